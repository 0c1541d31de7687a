package io.logship.cli;

import io.logship.client.AckLevel;
import io.logship.client.LogshipClient;
import io.logship.client.LogshipClientException;
import io.logship.client.NodeStatus;
import io.logship.cli.load.LoadGenerator;
import io.logship.os.ThreadSlice;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * {@code logship load}: runs the {@link LoadGenerator} against the cluster. Exit 0 if every write was
 * acknowledged, 1 if the client gave up on some (their count and the first error on stderr).
 */
@Command(name = "load", mixinStandardHelpOptions = true,
    description = "Pipeline puts through the leader and report throughput and send-to-ack latency.")
public final class LoadCommand extends CliCommand implements Callable<Integer>
{
    static final long DEFAULT_TIMEOUT_MS = 30_000;
    private static final long SETTLE_POLL_MS = 50;
    /**
     * Each attempt of a write: a write unanswered this long is retried (idempotently) at another node, so
     * writes stuck at a killed leader move to its successor soon after it is elected (about 0.4 s with default timeouts).
     */
    static final long LOAD_ATTEMPT_TIMEOUT_MS = 500;

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--records", paramLabel = "N", defaultValue = "100000",
        description = "Writes to send (default ${DEFAULT-VALUE}).")
    long records;

    @Option(names = "--value-size", paramLabel = "B", defaultValue = "100",
        description = "Value bytes (default ${DEFAULT-VALUE}).")
    int valueSize;

    @Option(names = "--rate", paramLabel = "R", defaultValue = "0",
        description = "Records per second; 0 = as fast as --in-flight allows (default ${DEFAULT-VALUE}). " +
            "With a rate, latency is measured from each write's intended send time.")
    long rate;

    @Option(names = "--attempt-timeout-ms", paramLabel = "MS", defaultValue = "500",
        description = "Retry a write unanswered this long at another node, idempotently (default " +
            "${DEFAULT-VALUE}): how soon writes in flight at a dead leader move on. Keep it above the cluster's " +
            "election timeout.")
    long attemptTimeoutMs = LOAD_ATTEMPT_TIMEOUT_MS;

    @Option(names = "--in-flight", paramLabel = "K", defaultValue = "1024",
        description = "Writes outstanding at once (default ${DEFAULT-VALUE}).")
    int inFlight;

    @Option(names = "--ack", paramLabel = "LEVEL", converter = Converters.AckLevelConverter.class,
        description = "leader, quorum or all (default: quorum).")
    AckLevel ack = AckLevel.QUORUM;

    @Option(names = "--key-prefix", paramLabel = "P", defaultValue = "key-",
        description = "Keys are P0, P1, ... (default ${DEFAULT-VALUE}).")
    String keyPrefix;

    @Option(names = "--keys", paramLabel = "K", description = "Key space size (default: --records, unique keys).")
    Long keys;

    @Option(names = "--out", paramLabel = "FILE",
        description = "Write one JSON line per acknowledged write: key, offset, epoch, crc32c, ackMs.")
    Path out;

    @Option(names = "--warmup-records", paramLabel = "N", defaultValue = "0",
        description = "Send N unreported writes first through the same client (keys warmup-P0..., at --warmup-rate, " +
            "not in --out), wait for the nodes to apply them (--settle-timeout-ms), then measure --records from " +
            "fresh counters (default ${DEFAULT-VALUE}: no warm-up).")
    long warmupRecords;

    @Option(names = "--warmup-rate", paramLabel = "R", defaultValue = "0",
        description = "Records per second of the warm-up (default ${DEFAULT-VALUE}: unbounded). A latency run at a " +
            "rate warms up best at the same rate: the client and the nodes then run, and the JIT compiles, the code " +
            "that rate takes (small batches), not the unbounded run's.")
    long warmupRate;

    @Option(names = "--settle-timeout-ms", paramLabel = "MS", defaultValue = "120000",
        description = "After the warm-up, wait up to MS until every node has applied what the leader committed, so " +
            "the measured run does not start while the nodes still digest the warm-up's burst (default " +
            "${DEFAULT-VALUE}; 0 = start at once). Needs the cluster secret; without it the run starts at once.")
    long settleTimeoutMs;

    @Option(names = "--latency-slice-us", paramLabel = "US", defaultValue = "100",
        description = "Linux scheduler slice asked for the client's threads and the generator's (default " +
            "${DEFAULT-VALUE}; 0 = the kernel's default), as the nodes do with logship.node.latency.slice.us: on a " +
            "host whose cores are all busy the client's threads then wait less for a core (docs/DESIGN.md#thread-slice).")
    long latencySliceUs;

    @Option(names = "--client-threading", paramLabel = "MODE", defaultValue = "dedicated",
        description = "dedicated (default): the client's media driver runs on a thread of its own; shared: the " +
            "client's conductor thread runs it, as a node with logship.node.threading=shared does, so a write and its " +
            "answer cross no thread of the client but its conductor (ClientConfig.sharedThreading).")
    String clientThreading;

    @Option(names = "--json", description = "Print only the summary, as one JSON object.")
    boolean json;

    @Override
    public Integer call()
    {
        final LoadGenerator.Settings settings = new LoadGenerator.Settings()
            .records(records)
            .valueSize(valueSize)
            .rate(rate)
            .inFlight(inFlight)
            .ackLevel(ack)
            .keyPrefix(keyPrefix)
            .keys(null == keys ? -1 : keys)
            .out(out)
            .warmupRecords(warmupRecords)
            .warmupRate(warmupRate);
        try
        {
            settings.validate();
            if (latencySliceUs < 0 || latencySliceUs > 100_000)
            {
                throw new IllegalArgumentException("--latency-slice-us must be 0..100000 (µs), not " + latencySliceUs);
            }
            if (!"dedicated".equals(clientThreading) && !"shared".equals(clientThreading))
            {
                throw new IllegalArgumentException("--client-threading must be dedicated or shared, not " +
                    clientThreading);
            }
        }
        catch (final IllegalArgumentException ex)
        {
            throw usage(ex.getMessage());
        }
        final ClusterOptions.Target target = cluster.resolve(DEFAULT_TIMEOUT_MS);
        final LoadGenerator.Report report;
        final PrintStream progress = json ? null : System.err;
        final Set<Long> threadsBefore = ThreadSlice.threadNames().keySet();
        try (LogshipClient client = target.connect(inFlight, attemptTimeoutMs, "shared".equals(clientThreading)))
        {
            // The threads the client just started (its conductor, and unless shared its Aeron client conductor and
            // media driver), and this one, which sends the writes.
            final Set<Long> latencyThreads = new TreeSet<>(ThreadSlice.threadNames().keySet());
            latencyThreads.removeAll(threadsBefore);
            latencyThreads.add(ThreadSlice.currentThreadId());
            ThreadSlice.apply(TimeUnit.MICROSECONDS.toNanos(latencySliceUs), latencyThreads, "The load's client threads",
                new StderrLogger("load", json ? System.Logger.Level.WARNING : System.Logger.Level.INFO, System.err));
            if (!json)
            {
                println("load: " + records + " puts of " + valueSize + " B values, ack " + Converters.name(ack) +
                    ", in-flight " + inFlight + ", rate " + (rate == 0 ? "unbounded" : rate + "/s") + ", keys " +
                    settings.keys() + " (" + keyPrefix + "0..)" + (null == out ? "" : ", acks to " + out) +
                    (warmupRecords == 0 ? "" : ", after " + warmupRecords + " unreported warm-up writes"));
            }
            try
            {
                report = new LoadGenerator(settings).run(client, () -> settle(client, target, progress), progress);
            }
            catch (final IllegalStateException ex)
            {
                // A failed warm-up: nothing was measured, so there is no summary to print.
                throw new CliException(AdminCli.EXIT_FAILED, ex.getMessage());
            }
        }
        if (json)
        {
            println(report.toJson());
        }
        else
        {
            println(String.format(java.util.Locale.ROOT,
                "acknowledged %d of %d in %.3f s: %.0f records/s, %.2f MB/s", report.acknowledged(), report.records(),
                report.elapsedMs() / 1000.0, report.recordsPerSecond(), report.megabytesPerSecond()));
            println("latency us (" + (rate > 0 ? "intended send" : "send") + " to ack): p50 " + report.p50Us() +
                ", p99 " + report.p99Us() + ", p99.9 " + report.p999Us() + ", max " + report.maxUs());
            println("summary " + report.toJson());
        }
        if (!report.ok())
        {
            throw new CliException(AdminCli.EXIT_FAILED, "gave up on " + report.failed() + " of " + report.records() +
                " writes; first error: " + report.firstError());
        }
        return AdminCli.EXIT_OK;
    }

    /**
     * Waits until every node has applied all the leader had committed when the warm-up ended. The nodes' stores
     * apply behind the write path, at a lower priority, so a run started at once measures the tail of the warm-up's
     * burst, not the load asked for: the first 8 s of a 30 s run at 10 k writes/s after an unbounded warm-up held
     * most of its p99 (perf/README.md, "Where the tail at 10 k/s came from").
     */
    private void settle(final LogshipClient client, final ClusterOptions.Target target, final PrintStream progress)
    {
        if (settleTimeoutMs <= 0)
        {
            return;
        }
        final long startNs = System.nanoTime();
        final long deadlineNs = startNs + TimeUnit.MILLISECONDS.toNanos(settleTimeoutMs);
        long committed = -1;
        String behind = "no leader found";
        try
        {
            while (System.nanoTime() - deadlineNs < 0)
            {
                final List<NodeStatus> statuses = new ArrayList<>();
                for (final ClusterOptions.Node node : target.nodes())
                {
                    statuses.add(client.status(node.id()));
                }
                for (final NodeStatus status : statuses)
                {
                    if (committed < 0 && "LEADER".equals(status.role()))
                    {
                        committed = status.commitOffset();
                    }
                }
                if (committed >= 0)
                {
                    final long goal = committed;
                    behind = statuses.stream().filter(status -> status.appliedOffset() < goal)
                        .map(status -> "node " + status.nodeId() + " at " + status.appliedOffset())
                        .collect(Collectors.joining(", "));
                    if (behind.isEmpty())
                    {
                        note(progress, "load: every node applied the warm-up (up to offset " + goal + ") in " +
                            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs) + " ms; measuring now");
                        return;
                    }
                }
                // A poll, bounded by the deadline above: nothing tells a client when every node has applied up to an
                // offset (a MIN_OFFSET read waits on one node, and only for this client's 500 ms attempts).
                Thread.sleep(SETTLE_POLL_MS);
            }
            note(progress, "load: measuring although not every node applied the warm-up within " + settleTimeoutMs +
                " ms (" + behind + (committed >= 0 ? " of " + committed : "") + ")");
        }
        catch (final LogshipClientException ex)
        {
            note(progress, "load: measuring without waiting for the nodes to apply the warm-up: status failed (" +
                ex.getMessage() + ")");
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            note(progress, "load: interrupted while waiting for the nodes to apply the warm-up (" + behind + ")");
        }
    }

    private static void note(final PrintStream progress, final String line)
    {
        if (null != progress)
        {
            progress.println(line);
        }
    }
}
