package io.logship.node;

import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.RingBuffer;
import io.logship.kv.KeyValueStore;
import io.logship.kv.SnapshotStore;
import io.logship.log.NodeStateFile;
import io.logship.log.SegmentedLog;
import io.logship.node.follower.FollowerState;
import io.logship.node.pipeline.JournalHandler;
import io.logship.node.pipeline.JournalWaitStrategy;
import io.logship.node.pipeline.LogFlusher;
import io.logship.node.pipeline.RecentBatches;
import io.logship.node.pipeline.Wakeup;
import io.logship.node.pipeline.WriteEvent;
import io.logship.node.status.NodeCounters;
import io.logship.transport.TransportNode;
import org.agrona.CloseHelper;
import org.agrona.concurrent.SystemNanoClock;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Properties;

/**
 * Two real nodes of one cluster in this process, for the write-path allocation benchmark: each node is its
 * production {@link NodeAgent} (every adapter, publisher and collaborator the daemon wires), its own
 * {@link TransportNode} with an embedded media driver on a loopback endpoint, its own log, store and node-state
 * file, exactly as {@code Node} builds them. What differs from {@code Node} is only who runs the duty cycles:
 * the caller's thread runs both conductors ({@link Member#doWork()}) and the journal's
 * {@link JournalHandler} through an {@link EventPoller} on the same ring (in the daemon a Disruptor
 * {@code BatchEventProcessor} thread calls the same handler), so the allocation of each node's duty cycle can be
 * measured on that one thread. The apply thread is not run: the store's apply has its own benchmark
 * ({@code StoreApplyBenchmark}). Each node's log flusher and election-state persistence run on their own threads,
 * as in the daemon.
 *
 * <p>Not a fake: no production class is replaced. Not thread-safe: one thread calls everything.
 */
public final class InProcessPair implements AutoCloseable
{
    /** One node of the pair. */
    public static final class Member implements AutoCloseable
    {
        private final NodeConfig config;
        private final SegmentedLog log;
        private final KeyValueStore store;
        private final TransportNode transport;
        private final LogFlusher flusher;
        private final JournalHandler journalHandler;
        private final EventPoller<WriteEvent> journalPoller;
        private final EventPoller.Handler<WriteEvent> journalStep;
        private final NodeAgent agent;

        Member(final NodeConfig config)
        {
            this.config = config;
            try
            {
                Files.createDirectories(config.dataDirectory());
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
            log = SegmentedLog.open(config.logConfig());
            store = KeyValueStore.open(config.dataDirectory().resolve("store"),
                new SnapshotStore(config.dataDirectory().resolve("snapshots"), config.snapshotRetain()));
            transport = TransportNode.launch(config.transportContext().errorHandler(Throwable::printStackTrace));
            final System.Logger logger = System.getLogger("io.logship.perf.node-" + config.nodeId());
            final RingBuffer<WriteEvent> ring = RingBuffer.createSingleProducer(
                WriteEvent.slots(config.batchMaxBytes()), config.ringSize(),
                JournalWaitStrategy.forLog(config.logConfig()));
            final ReplicatedLog partition = new ReplicatedLog(config.nodeId(), log, store, new SystemNanoClock(), logger,
                new NodeCounters());
            flusher = new LogFlusher(log, config.logConfig().fsyncPolicy(), config.logConfig().epochClockMs(),
                config.nodeId(), logger);
            partition.flusher(flusher);
            // The node's own window of recent batches, so the benchmark ships from memory as a node does.
            final RecentBatches recentBatches = new RecentBatches(config.replicationWindowBytes(), 65_536);
            journalHandler = new JournalHandler(log, config.batchMaxBytes(), partition::leadingEpoch,
                config.ringSize(), logger, config.logConfig().epochClockMs(), flusher::request, () -> { },
                recentBatches);
            journalPoller = ring.newPoller();
            journalStep = (event, sequence, endOfBatch) ->
            {
                journalHandler.onEvent(event, sequence, endOfBatch);
                return true;
            };
            final EventPoller<WriteEvent> resultPoller = ring.newPoller(journalPoller.getSequence());
            ring.addGatingSequences(resultPoller.getSequence());
            // One thread runs both nodes here, so no hand-off needs a wake-up: the Wakeup stays unbound (a no-op).
            final Wakeup unbound = new Wakeup();
            final ApplyAgent applier = new ApplyAgent(log, store, partition::commitOffset,
                SnapshotSchedule.forMember(config.snapshotIntervalRecords(), config.nodeId(), config.members().keySet()),
                logger, unbound, 0); // nice 0: one thread runs everything here
            agent = new NodeAgent(config, partition, new NodeStateFile(config.dataDirectory().resolve("node-state")),
                transport, ring, resultPoller, applier, unbound, recentBatches);
            agent.onStart();
        }

        /** One journal step (what the journal thread would do now) and one conductor duty cycle. */
        public int doWork()
        {
            int work;
            try
            {
                work = journalPoller.poll(journalStep) == EventPoller.PollState.PROCESSING ? 1 : 0;
            }
            catch (final Exception ex)
            {
                throw new IllegalStateException("journal step of node " + config.nodeId() + " failed", ex);
            }
            return work + agent.doWork();
        }

        public Role role()
        {
            return agent.role();
        }

        public boolean joined()
        {
            return agent.joined();
        }

        public TransportNode transport()
        {
            return transport;
        }

        public NodeConfig config()
        {
            return config;
        }

        public long logEndOffset()
        {
            return log.logEndOffset();
        }

        @Override
        public void close()
        {
            CloseHelper.closeAll(agent::onClose, transport, store, log);
        }
    }

    private final Member leader;
    private final Member follower;

    /**
     * Starts nodes 1 and 2 under {@code dir} on loopback ports {@code port1} and {@code port2}; node 1 is the
     * bootstrap leader. {@code fsync} is {@code logship.log.fsync} of both.
     */
    public InProcessPair(final Path dir, final int port1, final int port2, final String fsync)
    {
        final Path secret = dir.resolve("secret");
        try
        {
            Files.writeString(secret, "in-process-pair-benchmark-secret-0123456789", StandardCharsets.US_ASCII);
            Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        final String members = "1@127.0.0.1:" + port1 + ",2@127.0.0.1:" + port2;
        final Member first = new Member(config(dir, 1, members, secret, fsync));
        Member second = null;
        try
        {
            second = new Member(config(dir, 2, members, secret, fsync));
        }
        finally
        {
            if (null == second)
            {
                first.close();
            }
        }
        leader = first;
        follower = second;
    }

    private static NodeConfig config(final Path dir, final int nodeId, final String members, final Path secret,
        final String fsync)
    {
        final Properties properties = new Properties();
        properties.setProperty(NodeConfig.NODE_ID_PROP, Integer.toString(nodeId));
        properties.setProperty(NodeConfig.CLUSTER_NODES_PROP, members);
        properties.setProperty(NodeConfig.SECRET_FILE_PROP, secret.toString());
        properties.setProperty(NodeConfig.LEADER_PROP, "1");
        properties.setProperty(NodeConfig.DATA_DIR_PROP, dir.resolve("node-" + nodeId).toString());
        properties.setProperty(io.logship.log.LogConfig.FSYNC_PROP, fsync);
        // Generous timeouts: JMH pauses between iterations, when nobody runs the duty cycles.
        properties.setProperty(NodeConfig.LEASE_TIMEOUT_MS_PROP, "5000");
        properties.setProperty(NodeConfig.ELECTION_TIMEOUT_MS_PROP, "10000");
        properties.setProperty(io.logship.transport.TransportConfiguration.AERON_DIR_PROP,
            dir.resolve("aeron-" + nodeId).toString());
        final Path file = dir.resolve("node-" + nodeId + ".properties");
        try (java.io.Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8))
        {
            properties.store(out, "in-process pair");
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        return NodeConfig.load(file);
    }

    public Member leader()
    {
        return leader;
    }

    public Member follower()
    {
        return follower;
    }

    /** Runs both nodes' duty cycles until node 1 leads and node 2 fetches from it, or throws after the timeout. */
    public void awaitReplicating(final long timeoutMs)
    {
        final long deadline = System.currentTimeMillis() + timeoutMs;
        while (!(leader.role() == Role.LEADER && follower.role() == Role.FOLLOWER && follower.joined()))
        {
            if (System.currentTimeMillis() > deadline)
            {
                throw new IllegalStateException("the pair did not start replicating within " + timeoutMs + " ms: node 1 " +
                    leader.role() + ", node 2 " + follower.role() + " (joined " + follower.joined() + ")");
            }
            if (leader.doWork() + follower.doWork() == 0)
            {
                Thread.onSpinWait();
            }
        }
    }

    @Override
    public void close()
    {
        CloseHelper.closeAll(follower, leader);
    }
}
