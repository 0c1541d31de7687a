package io.logship.system.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the operator command {@code logship ...} ({@code io.logship.cli.AdminCli} from the admin-cli jar the reactor
 * built) as its own JVM, the way {@code bin/logship} does, with a hard timeout; stdout and stderr are kept in files in
 * the test directory (so they stay with the node logs when a test fails).
 */
public final class AdminCliProcess
{
    private AdminCliProcess()
    {
    }

    /** What one {@code logship} run printed and returned. */
    public record Result(int exitCode, String stdout, String stderr)
    {
        @Override
        public String toString()
        {
            return "exit " + exitCode + ", stdout: " + stdout.strip() + ", stderr: " + stderr.strip();
        }
    }

    private static int runs;

    /** Runs {@code logship args...} in {@code dir}; fails if it does not exit within {@code timeout}. */
    public static synchronized Result run(final Path dir, final Duration timeout, final String... args)
    {
        final int run = ++runs;
        final Path out = dir.resolve("logship-" + run + ".out");
        final Path err = dir.resolve("logship-" + run + ".err");
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "-Xmx512m",
            // A CLI run lives well under a second: C1 and the serial collector start it fastest (see NodeProcess).
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            "-cp", NodeBinaries.adminCli().classPath(),
            "io.logship.cli.AdminCli"));
        command.addAll(List.of(args));
        final ClassDataArchive archive = ClassDataArchive.forProgram("logship", NodeBinaries.adminCli().classPath());
        final ClassDataArchive.Launch launch = null == archive ? null : archive.nextLaunch();
        if (null != launch)
        {
            command.addAll(command.indexOf("-cp"), launch.jvmOptions());
        }
        try
        {
            Files.writeString(dir.resolve("logship-" + run + ".cmd"), String.join(" ", command),
                StandardCharsets.UTF_8);
            final Process process = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
            if (null != launch)
            {
                archive.launched(launch, process);
            }
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS))
            {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("logship " + String.join(" ", args) + " did not exit within " + timeout +
                    "; stdout: " + Files.readString(out) + " stderr: " + Files.readString(err));
            }
            return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot run logship " + String.join(" ", args), ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running logship " + String.join(" ", args), ex);
        }
    }
}
