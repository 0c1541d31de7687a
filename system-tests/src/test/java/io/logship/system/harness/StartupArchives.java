package io.logship.system.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Class-data-sharing archives (JDK 13+ dynamic AppCDS, {@code -XX:ArchiveClassesAtExit}) of {@code logshipd} and
 * {@code logship}, made once per test JVM so that every later node and CLI process maps its classes instead of
 * loading and verifying them. Why: the system tests start a few hundred JVMs; on 2 cores a node took ~1.15 s to
 * print "running" without the archive and ~0.65 s with it, a CLI call ~0.7 s and ~0.5 s — minutes of the
 * {@code mvn -B verify} budget, with no change to what any test exercises (the same classes run; only how they
 * reach memory differs).
 *
 * <p>The archive is recorded from a real one-node start (to "running") and one {@code logship status} against it,
 * then both exit cleanly (SIGTERM: the archive is written at JVM exit). If anything about that fails, the options
 * are empty and the tests run without sharing, exactly as before; the reason is printed once. The archives and
 * their scratch node live in a temp directory removed when the test JVM exits.
 */
final class StartupArchives
{
    private static final long STEP_TIMEOUT_MS = 60_000;
    private static List<String> nodeOptions;
    private static List<String> cliOptions;

    private StartupArchives()
    {
    }

    /** The JVM options that make a node use the archive (empty if it could not be made). */
    static synchronized List<String> nodeOptions()
    {
        make();
        return nodeOptions;
    }

    /** The same for a {@code logship} CLI process. */
    static synchronized List<String> cliOptions()
    {
        make();
        return cliOptions;
    }

    private static void make()
    {
        if (null != nodeOptions)
        {
            return;
        }
        nodeOptions = List.of();
        cliOptions = List.of();
        if (Boolean.getBoolean("logship.test.cds.disabled"))
        {
            return;
        }
        Path dir = null;
        Process node = null;
        try
        {
            dir = Files.createTempDirectory("logship-cds-");
            final Path removeAtExit = dir;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(removeAtExit), "logship-cds-cleanup"));
            final Path config = writeOneNodeConfig(dir);
            final Path nodeArchive = dir.resolve("logshipd.jsa");
            final Path cliArchive = dir.resolve("logship.jsa");
            final Path nodeOut = dir.resolve("node.out");

            node = new ProcessBuilder(NodeProcess.command(NodeBinaries.locate(),
                List.of("-XX:ArchiveClassesAtExit=" + nodeArchive), config))
                .redirectErrorStream(true).redirectOutput(nodeOut.toFile()).start();
            final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STEP_TIMEOUT_MS);
            while (!Files.readString(nodeOut, StandardCharsets.UTF_8).contains("logshipd: node 1 running"))
            {
                if (!node.isAlive() || System.nanoTime() > deadline)
                {
                    throw new IllegalStateException("the recording node did not start: " +
                        Files.readString(nodeOut, StandardCharsets.UTF_8).strip());
                }
                Thread.sleep(20);
            }

            final Process cli = new ProcessBuilder(AdminCliProcess.command(
                List.of("-XX:ArchiveClassesAtExit=" + cliArchive), "status", "--config", config.toString()))
                .redirectErrorStream(true).redirectOutput(dir.resolve("cli.out").toFile()).start();
            if (!cli.waitFor(STEP_TIMEOUT_MS, TimeUnit.MILLISECONDS))
            {
                cli.destroyForcibly();
                throw new IllegalStateException("the recording logship status did not exit");
            }

            node.destroy();
            if (!node.waitFor(STEP_TIMEOUT_MS, TimeUnit.MILLISECONDS))
            {
                throw new IllegalStateException("the recording node did not stop on SIGTERM");
            }
            nodeOptions = usable(nodeArchive);
            cliOptions = usable(cliArchive);
            System.out.println("class-data-sharing archives for test JVMs: logshipd " +
                (nodeOptions.isEmpty() ? "none" : nodeArchive) + ", logship " + (cliOptions.isEmpty() ? "none" : cliArchive));
        }
        catch (final IOException | RuntimeException ex)
        {
            System.out.println("no class-data-sharing archive for test JVMs (they start without one): " + ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        finally
        {
            if (null != node && node.isAlive())
            {
                node.destroyForcibly();
            }
        }
    }

    private static List<String> usable(final Path archive) throws IOException
    {
        return Files.isRegularFile(archive) && Files.size(archive) > 0 ?
            List.of("-XX:SharedArchiveFile=" + archive) : List.of();
    }

    private static Path writeOneNodeConfig(final Path dir) throws IOException
    {
        final Path secret = dir.resolve("cluster.secret");
        final byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        Files.createFile(secret, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(secret, HexFormat.of().formatHex(bytes), StandardCharsets.US_ASCII);
        final int port;
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress()))
        {
            port = socket.getLocalPort();
        }
        final List<String> lines = new ArrayList<>(List.of(
            "logship.node.id=1",
            "logship.cluster.nodes=1@127.0.0.1:" + port,
            "logship.cluster.secret.file=" + secret,
            "logship.node.data.dir=" + dir.resolve("data"),
            "logship.transport.aeron.dir=" + dir.resolve("aeron")));
        final Path config = dir.resolve("node-1.conf");
        Files.write(config, lines, StandardCharsets.UTF_8);
        return config;
    }

    private static void deleteTree(final Path dir)
    {
        try (Stream<Path> paths = Files.walk(dir))
        {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
        catch (final IOException | UncheckedIOException ignored)
        {
            // Best effort at JVM exit: a temp directory left behind is not worth failing the run for.
        }
    }
}
