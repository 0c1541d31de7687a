package io.logship.cli;

import io.logship.client.LogshipClient;
import io.logship.client.NodeStatus;
import io.logship.client.ReadConsistency;
import io.logship.client.ReadResult;
import io.logship.client.WriteResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code logship demo}: a local 3-node cluster end to end. Writes the configs into a temporary directory
 * (free UDP ports probed on 127.0.0.1), starts three {@code $LOGSHIP_HOME/bin/logshipd} processes, waits for
 * a leader and two followers, writes records at quorum, reads one back from a follower with read-your-writes,
 * runs verify, then stops every node with SIGTERM (forcibly after a grace period) and deletes the directory
 * unless {@code --keep}. The nodes are stopped in a finally block and in a shutdown hook (Ctrl-C).
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Start a local 3-node cluster, write, read from a follower, verify, stop it.")
public final class DemoCommand extends CliCommand implements Callable<Integer>
{
    static final int NODES = 3;
    static final long STOP_GRACE_MS = 10_000;

    @Option(names = "--records", paramLabel = "N", defaultValue = "1000",
        description = "Records to write at quorum (default ${DEFAULT-VALUE}).")
    int records;

    @Option(names = "--keep", description = "Keep the temporary directory (configs, data, node logs).")
    boolean keep;

    @Option(names = "--startup-timeout-ms", paramLabel = "MS", defaultValue = "120000",
        description = "How long to wait for a leader and two followers (default ${DEFAULT-VALUE}).")
    long startupTimeoutMs;

    private final List<Process> processes = new ArrayList<>();

    @Override
    public Integer call() throws Exception
    {
        if (records < 1)
        {
            throw usage("--records=" + records + " is invalid: expected at least 1");
        }
        final Path logshipd = logshipHome().resolve("bin").resolve("logshipd");
        if (!Files.isExecutable(logshipd))
        {
            throw usage(logshipd + " is missing or not executable: set LOGSHIP_HOME to the logship directory");
        }
        final Path dir = Files.createTempDirectory("logship-demo-");
        final Thread hook = new Thread(this::stopNodes, "logship-demo-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try
        {
            run(dir, logshipd);
            return AdminCli.EXIT_OK;
        }
        finally
        {
            stopNodes();
            try
            {
                Runtime.getRuntime().removeShutdownHook(hook);
            }
            catch (final IllegalStateException ignored)
            {
                // Already shutting down: the hook runs stopNodes, which is idempotent.
            }
            if (keep)
            {
                println("demo: kept " + dir + " (configs, data, node logs)");
            }
            else
            {
                deleteRecursively(dir);
            }
        }
    }

    private void run(final Path dir, final Path logshipd) throws Exception
    {
        final int basePort = LocalCluster.freeBasePort(NODES);
        final List<Path> configs = LocalCluster.write(dir, NODES, basePort, false);
        println("demo: 1. wrote a " + NODES + "-node cluster in " + dir + ": " +
            LocalCluster.members(NODES, basePort));

        for (int i = 1; i <= NODES; i++)
        {
            final Path log = dir.resolve("node" + i + ".log");
            final ProcessBuilder builder = new ProcessBuilder(logshipd.toString(), "--config",
                configs.get(i - 1).toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
            synchronized (processes)
            {
                processes.add(builder.start());
            }
            println("demo: 2. started node " + i + " (pid " + processes.get(i - 1).pid() + ", log " + log + ")");
        }

        final ClusterOptions.Target target = new ClusterOptions.Target(
            ClusterOptions.parse(LocalCluster.members(NODES, basePort), "demo"), LocalCluster.secretFile(dir), 5_000,
            null, LocalCluster.LOOPBACK_MTU_LENGTH);
        try (LogshipClient client = target.connect())
        {
            final List<NodeStatus> statuses = awaitLeaderAndFollowers(target, client, dir);
            final NodeStatus leader = statuses.stream().filter((s) -> "LEADER".equals(s.role())).findFirst()
                .orElseThrow();
            final NodeStatus follower = statuses.stream().filter((s) -> "FOLLOWER".equals(s.role())).findFirst()
                .orElseThrow();
            println("demo: 3. node " + leader.nodeId() + " leads epoch " + leader.epoch() + "; nodes " +
                statuses.stream().filter((s) -> "FOLLOWER".equals(s.role())).map((s) -> "" + s.nodeId())
                    .reduce((a, b) -> a + " and " + b).orElse("") + " follow");

            final long startNs = System.nanoTime();
            final List<CompletableFuture<WriteResult>> writes = new ArrayList<>();
            for (int i = 0; i < records; i++)
            {
                writes.add(client.put(("demo-" + i).getBytes(StandardCharsets.UTF_8),
                    ("value " + i).getBytes(StandardCharsets.UTF_8), io.logship.client.AckLevel.QUORUM));
            }
            CompletableFuture.allOf(writes.toArray(new CompletableFuture<?>[0])).join();
            final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
            final WriteResult first = writes.get(0).join();
            final WriteResult last = writes.get(records - 1).join();
            println("demo: 4. wrote " + records + " records at ack quorum in " + elapsedMs + " ms: offsets " +
                first.offset() + " to " + last.offset() + ", epoch " + last.epoch() + ", leader " + last.leaderId());

            final NodeStatus afterWrites = client.status(leader.nodeId());
            println("demo: 5. leader " + leader.nodeId() + ": log end " + afterWrites.logEndOffset() + ", commit " +
                afterWrites.commitOffset() + ", applied " + afterWrites.appliedOffset());

            final int index = records - 1;
            final ReadResult read = client.get(follower.nodeId(), ("demo-" + index).getBytes(StandardCharsets.UTF_8),
                ReadConsistency.minOffset(last.offset())).join();
            println("demo: 6. read demo-" + index + " from follower " + read.nodeId() + " with min-offset " +
                last.offset() + ": " + (read.found() ? "'" + new String(read.value(), StandardCharsets.UTF_8) +
                "' (written at offset " + read.valueOffset() + ")" : "NOT FOUND") + ", follower applied offset " +
                read.appliedOffset());
            if (!read.found())
            {
                throw new CliException(AdminCli.EXIT_FAILED, "the follower read did not find demo-" + index);
            }

            final VerifyCommand.Report report = VerifyCommand.verify(target, client);
            if (!report.ok())
            {
                throw new CliException(AdminCli.EXIT_FAILED, "verify FAILED: " + String.join("; ", report.failures()));
            }
            final var checksum = report.nodes().get(0).checksum();
            println("demo: 7. verify: all " + NODES + " nodes hold identical committed logs over [" +
                report.fromOffset() + ", " + report.toOffset() + "): " + checksum.batchCount() + " batches, " +
                checksum.byteCount() + " bytes, crc32c " + checksum.crc32c());
        }
        println("demo: 8. stopping the nodes (SIGTERM)");
    }

    private List<NodeStatus> awaitLeaderAndFollowers(
        final ClusterOptions.Target target, final LogshipClient client, final Path dir) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(startupTimeoutMs);
        String last = "no answer yet";
        while (System.nanoTime() - deadlineNs < 0)
        {
            for (int i = 0; i < processes.size(); i++)
            {
                final Process process = processes.get(i);
                if (!process.isAlive())
                {
                    throw new CliException(AdminCli.EXIT_FAILED, "node " + (i + 1) + " exited with code " +
                        process.exitValue() + ": see " + dir.resolve("node" + (i + 1) + ".log") + " (run with --keep)");
                }
            }
            final List<StatusCommand.NodeReport> reports = StatusCommand.collect(target, client);
            final List<NodeStatus> statuses = new ArrayList<>();
            long leaders = 0;
            long followers = 0;
            for (final StatusCommand.NodeReport report : reports)
            {
                if (null != report.status())
                {
                    statuses.add(report.status());
                    leaders += "LEADER".equals(report.status().role()) ? 1 : 0;
                    followers += "FOLLOWER".equals(report.status().role()) ? 1 : 0;
                }
            }
            if (leaders == 1 && followers == NODES - 1)
            {
                return statuses;
            }
            last = statuses.size() + " of " + NODES + " nodes answered, " + leaders + " leader(s), " + followers +
                " follower(s)";
            Thread.sleep(250);
        }
        throw new CliException(AdminCli.EXIT_FAILED, "no leader and " + (NODES - 1) + " followers within " +
            startupTimeoutMs + " ms (" + last + "): see the node logs in " + dir + " (run with --keep)");
    }

    /** SIGTERM to every node, then SIGKILL to those still running after the grace period. Idempotent. */
    private void stopNodes()
    {
        final List<Process> running;
        synchronized (processes)
        {
            running = new ArrayList<>(processes);
            processes.clear();
        }
        for (final Process process : running)
        {
            process.destroy();
        }
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STOP_GRACE_MS);
        for (final Process process : running)
        {
            try
            {
                final long leftNs = Math.max(0, deadlineNs - System.nanoTime());
                if (!process.waitFor(leftNs, TimeUnit.NANOSECONDS))
                {
                    process.destroyForcibly();
                    process.waitFor(5, TimeUnit.SECONDS);
                }
            }
            catch (final InterruptedException ex)
            {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    /** $LOGSHIP_HOME (bin/logship sets it to the repository root), else the current directory. */
    static Path logshipHome()
    {
        final String home = System.getenv("LOGSHIP_HOME");
        return null == home || home.isBlank() ? Path.of("").toAbsolutePath() : Path.of(home);
    }

    static void deleteRecursively(final Path dir)
    {
        if (!Files.exists(dir))
        {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir))
        {
            paths.sorted(Comparator.reverseOrder()).forEach((path) ->
            {
                try
                {
                    Files.deleteIfExists(path);
                }
                catch (final IOException ex)
                {
                    System.err.println("logship demo: cannot delete " + path + ": " + ex);
                }
            });
        }
        catch (final IOException ex)
        {
            System.err.println("logship demo: cannot delete " + dir + ": " + ex);
        }
    }
}
