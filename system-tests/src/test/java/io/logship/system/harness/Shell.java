package io.logship.system.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs operating-system commands (ip, tc, tar, systemd-analyze) for the tests that set up hosts, with a hard timeout;
 * output goes to temporary files so a chatty command can never block on a full pipe. Thread-safe (no state).
 */
public final class Shell
{
    private Shell()
    {
    }

    /** What one command printed and returned. */
    public record Result(List<String> command, int exitCode, String stdout, String stderr)
    {
        public boolean ok()
        {
            return 0 == exitCode;
        }

        /** Fails naming the command and its output unless it exited 0. */
        public Result check()
        {
            if (!ok())
            {
                throw new AssertionError(this.toString());
            }
            return this;
        }

        @Override
        public String toString()
        {
            return String.join(" ", command) + ": exit " + exitCode + ", stdout: " + stdout.strip() + ", stderr: " +
                stderr.strip();
        }
    }

    public static Result run(final Duration timeout, final String... command)
    {
        return run(timeout, Map.of(), List.of(command));
    }

    /** Runs {@code command} with {@code env} added to this process's environment. */
    public static Result run(final Duration timeout, final Map<String, String> env, final List<String> command)
    {
        Path out = null;
        Path err = null;
        try
        {
            out = Files.createTempFile("logship-shell", ".out");
            err = Files.createTempFile("logship-shell", ".err");
            final ProcessBuilder builder = new ProcessBuilder(command)
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            builder.environment().putAll(env);
            final Process process = builder.start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS))
            {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError(String.join(" ", command) + " did not exit within " + timeout);
            }
            return new Result(command, process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot run " + String.join(" ", command), ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + String.join(" ", command), ex);
        }
        finally
        {
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    /** The absolute path of {@code tool} on PATH (or /usr/sbin, /sbin, which root's PATH may lack), or null. */
    public static Path which(final String tool)
    {
        final String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin:/usr/bin:/bin";
        for (final String dir : path.split(":"))
        {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool)))
            {
                return Path.of(dir, tool);
            }
        }
        return null;
    }

    /** Whether this JVM runs as root (uid 0): namespaces and links need it. */
    public static boolean isRoot()
    {
        return "0".equals(run(Duration.ofSeconds(10), "id", "-u").stdout().strip());
    }

    /** Removes a directory tree, for clean-up paths that must not throw. */
    public static void deleteTree(final Path dir)
    {
        if (null != dir && Files.exists(dir))
        {
            run(Duration.ofSeconds(60), "rm", "-rf", "--one-file-system", dir.toString());
        }
    }

    private static void deleteQuietly(final Path file)
    {
        if (null != file)
        {
            try
            {
                Files.deleteIfExists(file);
            }
            catch (final IOException ignored)
            {
                // A leftover temp file is harmless; the command's result matters.
            }
        }
    }
}
