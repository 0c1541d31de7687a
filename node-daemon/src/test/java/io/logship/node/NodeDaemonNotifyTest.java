package io.logship.node;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
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
 * {@code Type=notify} end to end without systemd: a receiver on a unix datagram socket stands in for the service
 * manager (python3, since the JDK cannot bind one), logshipd runs with NOTIFY_SOCKET pointing at it, and the real
 * {@code systemd-notify} must deliver READY=1 with logshipd's pid once the node has joined its cluster (or, alone in a
 * new cluster, after the bounded wait).
 */
class NodeDaemonNotifyTest
{
    private static final String RECEIVER = String.join("\n",
        "import socket, sys",
        "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)",
        "s.bind(sys.argv[1])",
        "while True:",
        "    data = s.recv(65536)",
        "    sys.stdout.write(data.decode() + '\\n--\\n')",
        "    sys.stdout.flush()");

    @TempDir
    Path dir;

    private final List<Process> processes = new ArrayList<>();
    private Path aeronDir;
    private Path received;
    private Path out;

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
    void shouldTellSystemdReadyWithItsPidOnceTheNodeHasJoined() throws Exception
    {
        final Process node = startUnderFakeSystemd("logship.cluster.nodes=1@127.0.0.1:" + freeUdpPort() + "\n", "");

        awaitCondition(() -> read(received).contains("READY=1") || !node.isAlive(), "READY=1 from logshipd");
        final String message = read(received);
        assertThat(message).as("logshipd output: %s", read(out)).contains("READY=1")
            .contains("MAINPID=" + node.pid()).contains("STATUS=node 1 running on").contains("joined: LEADER");
        assertThat(read(out)).contains("logshipd: node 1 running on").doesNotContain("cannot tell systemd");

        node.destroy();
        assertThat(node.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(node.exitValue()).as("clean stop after SIGTERM; output %s", read(out)).isEqualTo(143);
    }

    /**
     * The first host of a new three-node cluster can elect no leader alone: it says so in STATUS= while it waits,
     * then is ready after the bounded wait, so {@code systemctl enable --now} returns before host 2 exists.
     */
    @Test
    @Timeout(120)
    void shouldTellSystemdReadyAfterTheBoundedWaitWhenAloneInANewCluster() throws Exception
    {
        final Process node = startUnderFakeSystemd("logship.cluster.nodes=1@127.0.0.1:" + freeUdpPort() +
            ",2@127.0.0.1:" + freeUdpPort() + ",3@127.0.0.1:" + freeUdpPort() + "\n",
            "-D" + NodeDaemon.JOIN_WAIT_PROP + "=1500");

        awaitCondition(() -> read(received).contains("READY=1") || !node.isAlive(), "READY=1 from logshipd");
        final String message = read(received);
        assertThat(message).as("logshipd output: %s", read(out)).contains("waiting up to 1500 ms to join a leader")
            .contains("READY=1").contains("MAINPID=" + node.pid()).contains("no leader after");
        assertThat(message.indexOf("waiting up to")).isLessThan(message.indexOf("READY=1"));
        assertThat(read(out)).contains("no leader after").doesNotContain("cannot tell systemd");

        node.destroy();
        assertThat(node.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(node.exitValue()).as("clean stop after SIGTERM; output %s", read(out)).isEqualTo(143);
    }

    private Process startUnderFakeSystemd(final String nodesLine, final String jvmOption) throws Exception
    {
        final boolean tools = onPath("python3") && onPath("systemd-notify");
        if (!tools)
        {
            System.out.println("NodeDaemonNotifyTest skipped: python3 or systemd-notify is not on PATH");
        }
        Assumptions.assumeTrue(tools, "python3 and systemd-notify are needed");

        final Path socket = dir.resolve("notify.sock");
        received = dir.resolve("received.txt");
        processes.add(new ProcessBuilder("python3", "-c", RECEIVER, socket.toString())
            .redirectOutput(received.toFile()).redirectErrorStream(true).start());
        awaitCondition(() -> Files.exists(socket), "the receiver to bind " + socket);

        final Path secret = dir.resolve("secret");
        Files.writeString(secret, "0123456789abcdef0123456789abcdef\n", StandardCharsets.US_ASCII);
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        aeronDir = Path.of(Files.isDirectory(Path.of("/dev/shm")) ? "/dev/shm" : System.getProperty("java.io.tmpdir"),
            "logship-notify-test-" + ProcessHandle.current().pid());
        final Path config = dir.resolve("node.conf");
        Files.writeString(config, "logship.node.id=1\n" + nodesLine +
            "logship.cluster.secret.file=" + secret + "\nlogship.node.data.dir=" + dir.resolve("data") + "\n" +
            "logship.transport.aeron.dir=" + aeronDir + "\n", StandardCharsets.UTF_8);

        out = dir.resolve("logshipd.out");
        final List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
            .toString(), "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xmx256m",
            // The store's lz4 library unpacks itself into java.io.tmpdir, removed only at a normal exit: not into /tmp.
            "-Djava.io.tmpdir=" + dir));
        if (!jvmOption.isEmpty())
        {
            command.add(jvmOption);
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), NodeDaemon.class.getName(),
            "--config", config.toString()));
        final ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectErrorStream(true);
        builder.environment().put(SystemdNotifier.NOTIFY_SOCKET_ENV, socket.toString());
        final Process node = builder.start();
        processes.add(node);
        return node;
    }

    @Test
    void shouldDoNothingOutsideSystemd()
    {
        final SystemdNotifier notifier = new SystemdNotifier(null, "/nonexistent/systemd-notify");

        assertThat(notifier.enabled()).isFalse();
        assertThat(notifier.ready("status")).isNull();
    }

    @Test
    void shouldSayWhyWhenSystemdNotifyCannotRun()
    {
        final SystemdNotifier notifier = new SystemdNotifier("/run/systemd/notify", "/nonexistent/systemd-notify");

        assertThat(notifier.ready("status")).contains("cannot run /nonexistent/systemd-notify")
            .contains("NOTIFY_SOCKET=/run/systemd/notify");
    }

    private static boolean onPath(final String tool)
    {
        for (final String d : System.getenv().getOrDefault("PATH", "").split(":"))
        {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool)))
            {
                return true;
            }
        }
        return false;
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
