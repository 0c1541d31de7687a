package io.logship.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.DatagramSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * logshipd's logging as an operator sees it, in separate JVMs: JSON lines that a log shipper can parse, the node's
 * controlled-stop lines still written after SIGTERM, System.Logger calls (the node's and log-store's API) reaching
 * the backend with their exceptions, a full async ring dropping events instead of blocking the caller, and a bad
 * format or level refused with exit 2 naming the key.
 */
class NodeLoggingTest
{
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final List<Process> processes = new ArrayList<>();
    private Path aeronDir;

    @AfterEach
    void stop() throws Exception
    {
        for (final Process process : processes)
        {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        if (null != aeronDir && Files.exists(aeronDir))
        {
            new ProcessBuilder("rm", "-rf", aeronDir.toString()).start().waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    @Timeout(120)
    void shouldWriteEveryStdoutLineAsOneJsonObjectIncludingTheControlledStop() throws Exception
    {
        final Path config = nodeConfig("logship.node.log.format=json\n");
        final Path out = dir.resolve("logshipd.out");
        final Process node = start(out, NodeDaemon.class.getName(), "--config", config.toString());

        awaitCondition(() -> read(out).contains("logshipd: node 1 running on") || !node.isAlive(), "the running line");
        node.destroy();
        assertThat(node.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(node.exitValue()).as("clean stop after SIGTERM; output %s", read(out)).isEqualTo(143);

        final List<JsonNode> lines = new ArrayList<>();
        for (final String line : Files.readAllLines(out, StandardCharsets.UTF_8))
        {
            lines.add(JSON.readTree(line)); // throws on a line that is not one JSON object
        }
        assertThat(lines).isNotEmpty().allSatisfy(line ->
        {
            assertThat(line.isObject()).isTrue();
            assertThat(line.path("time").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
            assertThat(line.path("level").asText()).isIn("TRACE", "DEBUG", "INFO", "WARN", "ERROR");
            assertThat(line.path("logger").asText()).startsWith("io.logship.");
            assertThat(line.path("thread").asText()).isNotEmpty();
            assertThat(line.path("message").asText()).isNotEmpty();
            assertThat(line.has("exception")).as("no exception logged: %s", line).isFalse();
        });
        final List<String> messages = lines.stream().map(line -> line.path("message").asText()).toList();
        assertThat(messages).anyMatch(message -> message.startsWith("logshipd: node 1 running on"));
        // Logged by the node's stop inside the JVM's shutdown: proves the ring is drained after it, not before.
        assertThat(messages.get(messages.size() - 1)).isEqualTo("logshipd: node 1 stopped cleanly");
        assertThat(lines).anyMatch(line -> line.path("logger").asText().equals("io.logship.node.1"));
    }

    @Test
    @Timeout(60)
    void shouldRouteSystemLoggerCallsWithTheirExceptionIntoJsonLines() throws Exception
    {
        final Path out = dir.resolve("child.out");
        final Process child = start(out, LoggingChild.class.getName(), "exception");

        assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).as(read(out)).isZero();
        final List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
        assertThat(lines).as(read(out)).hasSize(1);
        final JsonNode line = JSON.readTree(lines.get(0));
        assertThat(line.path("level").asText()).isEqualTo("ERROR");
        assertThat(line.path("logger").asText()).isEqualTo("io.logship.log");
        assertThat(line.path("thread").asText()).isEqualTo("main");
        assertThat(line.path("message").asText()).isEqualTo("segment 7 is corrupt");
        assertThat(line.path("exception").asText()).startsWith("java.io.IOException: bad crc")
            .contains("at io.logship.node.NodeLoggingTest$LoggingChild.main");
    }

    /**
     * Nobody reads the child's stdout, so the pipe fills and Log4j's writer thread blocks on it; the logging thread
     * must still finish all its calls (the ring drops what does not fit) and the drops are counted.
     */
    @Test
    @Timeout(60)
    void shouldDropAndCountEventsRatherThanBlockWhenStdoutStalls() throws Exception
    {
        final Path result = dir.resolve("result.txt");
        final Process child = new ProcessBuilder(java("-Dlog4j2.asyncLoggerRingBufferSize=128",
            LoggingChild.class.getName(), "flood", result.toString())).redirectError(dir.resolve("err").toFile())
            .start(); // stdout stays an unread pipe
        processes.add(child);

        assertThat(child.waitFor(45, TimeUnit.SECONDS)).as("the flood finished without blocking").isTrue();
        final String[] counts = Files.readString(result).strip().split(" ");
        assertThat(Long.parseLong(counts[0])).isEqualTo(LoggingChild.FLOOD);
        assertThat(Long.parseLong(counts[1])).as("events dropped").isPositive();
    }

    @Test
    @Timeout(60)
    void shouldExit2NamingTheKeyForABadLevelOrFormat() throws Exception
    {
        for (final String line : List.of("logship.node.log.level=loud", "logship.node.log.format=xml"))
        {
            final Path config = nodeConfig(line + "\n");
            final Path err = dir.resolve("err.txt");
            final Process daemon = new ProcessBuilder(java(NodeDaemon.class.getName(), "--config", config.toString()))
                .redirectError(err.toFile()).redirectOutput(dir.resolve("out.txt").toFile()).start();
            processes.add(daemon);

            assertThat(daemon.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(daemon.exitValue()).isEqualTo(2);
            assertThat(read(err).strip().lines()).hasSize(1);
            assertThat(read(err)).contains(line + " is invalid").contains("expected one of");
        }
    }

    /** Runs in the child JVMs of the tests above: logs through System.Logger as the node and log-store do. */
    public static final class LoggingChild
    {
        static final long FLOOD = 200_000;

        public static void main(final String[] args) throws Exception
        {
            final System.Logger logger = System.getLogger("io.logship.log");
            if ("exception".equals(args[0]))
            {
                NodeLogging.configure("json", "info");
                logger.log(System.Logger.Level.DEBUG, "below the level: not written");
                logger.log(System.Logger.Level.ERROR, "segment 7 is corrupt", new IOException("bad crc"));
                NodeLogging.stop();
                return;
            }
            NodeLogging.configure("text", "info");
            long calls = 0;
            for (long i = 0; i < FLOOD; i++)
            {
                logger.log(System.Logger.Level.INFO, "flood line {0} with enough text to fill a pipe quickly", i);
                calls++;
            }
            Files.writeString(Path.of(args[1]), calls + " " + DroppingLogQueuePolicy.dropped() + "\n");
            // The writer thread is stuck on the full pipe: a normal exit would wait for nothing, halt ends it.
            Runtime.getRuntime().halt(0);
        }
    }

    private Process start(final Path out, final String... mainAndArgs) throws IOException
    {
        final Process process = new ProcessBuilder(java(mainAndArgs)).redirectOutput(out.toFile())
            .redirectError(dir.resolve("stderr.txt").toFile()).start();
        processes.add(process);
        return process;
    }

    private List<String> java(final String... mainAndArgs)
    {
        // java.io.tmpdir in the test's directory: the store's lz4 library unpacks itself there and is removed only at a
        // normal exit.
        final List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
            .toString(), "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xmx256m",
            "-Djava.io.tmpdir=" + dir));
        int at = 0;
        while (mainAndArgs[at].startsWith("-D"))
        {
            command.add(mainAndArgs[at++]);
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path")));
        for (; at < mainAndArgs.length; at++)
        {
            command.add(mainAndArgs[at]);
        }
        return command;
    }

    private Path nodeConfig(final String extra) throws IOException
    {
        final Path secret = dir.resolve("secret");
        Files.writeString(secret, "0123456789abcdef0123456789abcdef\n", StandardCharsets.US_ASCII);
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        aeronDir = Path.of(Files.isDirectory(Path.of("/dev/shm")) ? "/dev/shm" : System.getProperty("java.io.tmpdir"),
            "logship-logging-test-" + ProcessHandle.current().pid());
        final Path config = dir.resolve("node.conf");
        Files.writeString(config, "logship.node.id=1\nlogship.cluster.nodes=1@127.0.0.1:" + freeUdpPort() + "\n" +
            "logship.cluster.secret.file=" + secret + "\nlogship.node.data.dir=" + dir.resolve("data") + "\n" +
            "logship.transport.aeron.dir=" + aeronDir + "\n" + extra, StandardCharsets.UTF_8);
        return config;
    }

    private static int freeUdpPort() throws IOException
    {
        try (DatagramSocket socket = new DatagramSocket(0))
        {
            return socket.getLocalPort();
        }
    }

    private static String read(final Path file)
    {
        try
        {
            return Files.exists(file) ? Files.readString(file) : "";
        }
        catch (final IOException ex)
        {
            return "";
        }
    }

    private static void awaitCondition(final java.util.function.BooleanSupplier condition, final String what)
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean())
        {
            assertThat(System.nanoTime()).as("%s within 60 s", what).isLessThan(deadlineNs);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }
}
