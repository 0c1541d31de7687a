package io.logship.client;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An application paused for longer than its Aeron client's liveness timeout (a debugger, SIGSTOP, a stalled VM) comes
 * back to a client whose Aeron client terminated itself and unmapped its buffers. The client's duty thread must have
 * left them by then: the application keeps running and every request fails with CLOSED and the reason, instead of the
 * whole JVM dying of SIGSEGV (what a node did in the same situation). Needs a process of its own to pause: a child JVM
 * runs {@link PausedApplication}.
 */
class TransportLostClientTest
{
    @TempDir
    Path dir;

    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void stopChildren() throws InterruptedException
    {
        for (final Process process : processes)
        {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /**
     * With {@code sharedThreading} the Aeron client runs inside the duty thread's own cycle, so the loss is found, and
     * the buffers unmapped, in the middle of that cycle (ClientConductor.transportLost).
     */
    @ParameterizedTest(name = "sharedThreading={0}")
    @ValueSource(booleans = {false, true})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldFailRequestsWithTheReasonAndKeepTheApplicationAliveAfterAPausePastTheClientTimeout(
        final boolean sharedThreading) throws Exception
    {
        // The node the client keeps trying to connect to: a socket this test holds, which reads nothing.
        try (DatagramSocket node = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)))
        {
            final Path out = dir.resolve("child.out");
            final Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xmx128m",
                // Aeron's default is 10 s; the pause below is twice this.
                "-Daeron.client.liveness.timeout=2s",
                "-Djava.io.tmpdir=" + dir, "-XX:ErrorFile=" + dir.resolve("hs_err_pid%p.log"),
                "-cp", System.getProperty("java.class.path"), PausedApplication.class.getName(),
                Integer.toString(node.getLocalPort()), dir.resolve("aeron").toString(),
                Boolean.toString(sharedThreading))
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            processes.add(child);
            awaitLine(out, PausedApplication.READY, child);

            signal(child, "STOP");
            Thread.sleep(4_000); // the fault itself: the process stays frozen this long
            signal(child, "CONT");
            // The Aeron client finds out on its next duty cycle and tells the application's error handler.
            awaitLine(out, "error handler: client closed: its transport was lost", child);
            try (OutputStream in = child.getOutputStream())
            {
                in.write('\n');
            }
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).as("the application exited").isTrue();
            final String output = Files.readString(out, StandardCharsets.UTF_8);
            assertThat(output).as("child output").doesNotContain("A fatal error has been detected");
            assertThat(child.exitValue()).as("child exit code; output:%n%s", output).isZero();
            assertThat(output).contains("put failed: CLOSED: client closed: its transport was lost");
        }
    }

    private static void awaitLine(final Path file, final String line, final Process process) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Files.readString(file, StandardCharsets.UTF_8).contains(line))
        {
            assertThat(process.isAlive()).as("child alive; output: %s", Files.readString(file)).isTrue();
            assertThat(System.nanoTime() - deadline).as("waiting for %s", line).isNegative();
            Thread.sleep(20);
        }
    }

    private static void signal(final Process process, final String signal) throws Exception
    {
        final Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).as("kill -%s", signal).isZero();
    }

    /**
     * The application: a client connecting to a node that never answers (so its duty thread sends Connects every
     * round, through publications and counters), a line to say it runs, then one put after a line on stdin.
     */
    public static final class PausedApplication
    {
        static final String READY = "client running";

        public static void main(final String[] args) throws Exception
        {
            final ClientConfig config = new ClientConfig()
                .node(1, "127.0.0.1", Integer.parseInt(args[0]))
                .aeronDir(args[1])
                .sharedThreading(Boolean.parseBoolean(args[2]))
                .errorHandler((throwable) -> System.out.println("error handler: " + throwable.getMessage()));
            try (LogshipClient client = LogshipClient.connect(config))
            {
                System.out.println(READY);
                new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
                try
                {
                    client.put(new byte[] {1}, new byte[] {2}).get(10, TimeUnit.SECONDS);
                    System.out.println("put succeeded");
                }
                catch (final ExecutionException ex)
                {
                    System.out.println("put failed: " + ((LogshipClientException)ex.getCause()).status() + ": " +
                        ex.getCause().getMessage());
                }
            }
            System.out.println("closed");
        }
    }
}
