package io.logship.node;

import io.logship.node.election.AdminOutcome;

import com.lmax.disruptor.BatchEventProcessor;
import com.lmax.disruptor.BatchEventProcessorBuilder;
import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.ExceptionHandler;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import io.logship.LogshipException;
import io.logship.kv.KeyValueStore;
import io.logship.kv.SnapshotStore;
import io.logship.log.NodeStateFile;
import io.logship.log.SegmentedLog;
import io.logship.node.election.ElectionState;
import io.logship.node.pipeline.ConductorJournal;
import io.logship.node.pipeline.JournalHandler;
import io.logship.node.pipeline.JournalWaitStrategy;
import io.logship.node.pipeline.LogFlusher;
import io.logship.node.pipeline.RecentBatches;
import io.logship.node.pipeline.Wakeup;
import io.logship.node.pipeline.WriteEvent;
import io.logship.node.status.MetricsEndpoint;
import io.logship.node.status.NodeCounters;
import io.logship.transport.ConductorIdleStrategy;
import io.logship.transport.TransportContext;
import io.logship.transport.TransportNode;
import io.logship.transport.auth.HmacWarmUp;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.agrona.CloseHelper;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;

import java.io.IOException;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static java.lang.System.Logger.Level.ERROR;
import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

/**
 * One running node: opens the log, the store and the node state in the data directory, starts the
 * transport, the write ring with its journal thread (or the journal stage on the conductor), the conductor and the apply thread, and stops
 * them in the reverse order. {@link #close()} is the clean stop (what SIGTERM does): a leader first hands its
 * epoch to the most caught-up follower, then ingress stops, the journal drains, the log is flushed and closed, the store is closed with its
 * clean-shutdown marker, then the transport goes.
 *
 * <pre>
 * data dir/
 *   log/         segmented log (see log-store/README.md)
 *   store/       MapDB view + clean-shutdown marker
 *   snapshots/   checksummed store exports
 *   node-state   epoch, leader, vote
 * </pre>
 */
public final class Node implements AutoCloseable
{
    /** How long a clean stop waits for writes already taken to reach their ack level. */
    private static final long QUIESCE_MS = 2000;
    /** Batches the replication window indexes at most: at 10 k writes/s in batches of one record, 6.5 s of them. */
    private static final int RECENT_BATCHES_MAX = 65_536;
    /**
     * Longest the HMAC warm-up may hash: it took 76–212 ms when one node restarted beside running ones on this
     * project's 2-core machine, up to 1.9 s when three started at once.
     */
    private static final long HMAC_WARM_UP_BUDGET_NS = TimeUnit.SECONDS.toNanos(2);

    private final System.Logger logger;
    private final NodeConfig config;
    private final SegmentedLog log;
    private final KeyValueStore store;
    private final TransportNode transport;
    /** The journal thread's processor and thread; both null with {@code logship.node.journal=conductor}. */
    private final BatchEventProcessor<WriteEvent> journal;
    private final Thread journalThread;
    private final AgentRunner conductorRunner;
    private final AgentRunner applyRunner;
    private final NodeAgent agent;
    private final AtomicLong errors = new AtomicLong();
    private final MetricsEndpoint metrics;

    private Node(final NodeContext context)
    {
        final NodeConfig config = context.config();
        this.config = config;
        this.logger = context.logger();
        startHmacWarmUp(config, logger);
        SegmentedLog openedLog = null;
        KeyValueStore openedStore = null;
        TransportNode openedTransport = null;
        try
        {
            Files.createDirectories(config.dataDirectory());
            openedLog = SegmentedLog.open(config.logConfig());
            final SnapshotStore snapshots = new SnapshotStore(config.dataDirectory().resolve("snapshots"),
                config.snapshotRetain(), config.snapshotFlushBytes());
            openedStore = KeyValueStore.open(config.dataDirectory().resolve("store"), snapshots, config.storeMedium());
            if (openedStore.appliedOffset() < openedLog.logStartOffset())
            {
                throw new LogshipException("store applied offset " + openedStore.appliedOffset() +
                    " is below the log start " + openedLog.logStartOffset() + " and no snapshot covers the gap; " +
                    "remove " + config.dataDirectory() + " to resync this node from the leader",
                    LogshipException.Category.FATAL);
            }
            openedTransport = TransportNode.launch(config.transportContext().errorHandler(this::onError));
        }
        catch (final IOException | RuntimeException ex)
        {
            CloseHelper.quietCloseAll(openedTransport, openedStore, openedLog);
            if (ex instanceof LogshipException)
            {
                throw (LogshipException)ex;
            }
            throw new LogshipException("node " + config.nodeId() + " cannot start: " +
                (null == ex.getMessage() ? ex : ex.getMessage()), LogshipException.Category.FATAL, ex);
        }
        log = openedLog;
        store = openedStore;
        transport = openedTransport;
        transport.onLost(this::onTransportLost);

        // With the journal on the conductor nothing waits on the ring's barrier: a strategy whose publish signals nothing.
        final RingBuffer<WriteEvent> ring = RingBuffer.createSingleProducer(WriteEvent.slots(config.batchMaxBytes()),
            config.ringSize(),
            config.journalOnConductor() ? new BusySpinWaitStrategy() : JournalWaitStrategy.forLog(config.logConfig()));
        // The log's shared state comes first: the journal thread reads its leading epoch, the apply thread its
        // commit offset, and the conductor owns it.
        final ReplicatedLog partition = new ReplicatedLog(config.nodeId(), log, store, context.nanoClock(), logger,
            new NodeCounters());
        final LogFlusher flusher = new LogFlusher(log, config.logConfig().fsyncPolicy(),
            config.logConfig().epochClockMs(), config.nodeId(), logger);
        partition.flusher(flusher);
        // The journal and the apply thread wake the conductor when they hand it results, rather than leave them to its
        // back-off.
        final Wakeup conductorWakeup = new Wakeup();
        if (config.networkWait() && null != transport.networkWait() &&
            context.conductorIdleStrategy() instanceof ConductorIdleStrategy conductorIdle)
        {
            // logship.node.idle.strategy=network: the conductor sleeps in a selector on the driver's sockets, which an
            // unpark does not end, so the threads that hand it work end that wait instead (docs/DESIGN.md#node-threads).
            conductorIdle.waitOn(transport.networkWait());
            conductorWakeup.bindWaker(transport.networkWait()::wakeup);
        }
        final RecentBatches recentBatches = new RecentBatches(config.replicationWindowBytes(), RECENT_BATCHES_MAX);
        // On the conductor the journal's results are polled in the cycle that appended them: nothing to wake.
        final JournalHandler journalHandler = new JournalHandler(log, config.batchMaxBytes(), partition::leadingEpoch,
            config.ringSize(), logger, config.logConfig().epochClockMs(), flusher::request,
            config.journalOnConductor() ? () -> { } : conductorWakeup::wake, recentBatches);
        final ConductorJournal conductorJournal;
        final Sequence journalSequence;
        if (config.journalOnConductor())
        {
            journal = null;
            conductorJournal = new ConductorJournal(ring, journalHandler, this::onError);
            journalSequence = conductorJournal.sequence();
        }
        else
        {
            journal = new BatchEventProcessorBuilder().setMaxBatchSize(config.ringSize())
                .build(ring, ring.newBarrier(), journalHandler);
            journal.setExceptionHandler(new FencingExceptionHandler());
            conductorJournal = null;
            journalSequence = journal.getSequence();
        }
        final EventPoller<WriteEvent> poller = ring.newPoller(journalSequence);
        ring.addGatingSequences(poller.getSequence());

        final ApplyAgent applier = new ApplyAgent(log, store, partition::commitOffset,
            SnapshotSchedule.forMember(config.snapshotIntervalRecords(), config.nodeId(), config.members().keySet()),
            logger, conductorWakeup, config.applyNice());
        try
        {
            // Subscribing binds the node's own address: the first place a port in use or an address this host does
            // not have shows, as an Aeron exception the daemon would not recognise as a reason to stop.
            agent = new NodeAgent(config, partition, new NodeStateFile(config.dataDirectory().resolve("node-state")),
                transport, ring, poller, applier, conductorWakeup, recentBatches);
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietCloseAll(transport, store, log);
            throw new LogshipException(cannotStart(config, ex), LogshipException.Category.FATAL, ex);
        }

        if (null != conductorJournal)
        {
            agent.runJournalStage(conductorJournal);
            journalThread = null;
        }
        else
        {
            journalThread = new Thread(journal, "journal-" + config.nodeId());
            journalThread.setDaemon(true);
            journalThread.start();
        }
        applyRunner = new AgentRunner(context.applyIdleStrategy(), this::onError, null, applier);
        AgentRunner.startOnThread(applyRunner);
        conductorRunner = new AgentRunner(context.conductorIdleStrategy(), this::onError, null, agent);
        AgentRunner.startOnThread(conductorRunner);
        MetricsEndpoint endpoint = null;
        if (config.metricsPort() > 0)
        {
            try
            {
                final PrometheusRegistry registry = new PrometheusRegistry();
                agent.metrics().register(registry, NodeDaemon.version(), transport.aeron().countersReader());
                CounterWithCallback.builder().name("logship_journal_batches_total").help("log batches the journal appended")
                    .callback((callback) -> callback.call(journalHandler.batchesAppended())).register(registry);
                CounterWithCallback.builder().name("logship_journal_records_total").help("records the journal appended")
                    .callback((callback) -> callback.call(journalHandler.recordsAppended())).register(registry);
                registry.register(journalHandler.appendLatency());
                CounterWithCallback.builder().name("logship_replication_reads_total")
                    .help("leader's reads of batches to ship, by source: the replication window (memory) or the log")
                    .labelNames("source").callback((callback) ->
                    {
                        callback.call(recentBatches.hits(), "memory");
                        callback.call(recentBatches.misses(), "log");
                    }).register(registry);
                registry.register(applier.applyLag().histogram());
                CounterWithCallback.builder().name("logship_errors_total").help("errors reported by node threads")
                    .callback((callback) -> callback.call(errors.get())).register(registry);
                endpoint = new MetricsEndpoint(config.self().host(), config.metricsPort(), registry, agent.health());
            }
            catch (final IOException ex)
            {
                close();
                throw new LogshipException("cannot serve metrics on " + config.self().host() + ":" + config.metricsPort() +
                    " (" + NodeConfig.METRICS_PORT_PROP + "): " + ex, LogshipException.Category.ERROR, ex);
            }
        }
        metrics = endpoint;
    }

    /**
     * Compiles HMAC-SHA256 while the log and store open, if this node verifies replication messages: interpreted, it
     * held a restarted node's duty cycles for up to 220 ms in its first catch-up (HmacWarmUp, perf/README.md "Cold
     * code"). A thread of its own, so the start waits for nothing; it ends by itself within its budget.
     */
    private static void startHmacWarmUp(final NodeConfig config, final System.Logger logger)
    {
        final TransportContext transport = config.transportContext();
        if ((null != transport.clusterSecretFile() || null != transport.clusterSecret()) &&
            transport.authenticateReplicationData())
        {
            final Thread warmUp = new Thread(() -> logger.log(INFO, "Node " + config.nodeId() + ": " +
                HmacWarmUp.run(HMAC_WARM_UP_BUDGET_NS).describe()), "hmac-warm-up-" + config.nodeId());
            warmUp.setDaemon(true);
            warmUp.start();
        }
    }

    /** Why the node cannot start, naming its address when the cause is that it cannot bind it. */
    static String cannotStart(final NodeConfig config, final Throwable ex)
    {
        for (Throwable cause = ex; null != cause; cause = cause.getCause())
        {
            final String message = String.valueOf(cause.getMessage());
            final String why = message.contains("Address already in use") ?
                "the address is already in use (another logshipd, or another program, holds this UDP port)" :
                message.contains("Cannot assign requested address") ? "this host has no such address" :
                cause instanceof java.net.BindException ? message : null;
            if (null != why)
            {
                return "node " + config.nodeId() + " cannot listen on " + config.self().host() + ":" +
                    config.self().port() + " (its entry in " +
                    NodeConfig.CLUSTER_NODES_PROP + "): " + why;
            }
        }
        return "node " + config.nodeId() + " cannot start: " + (null == ex.getMessage() ? ex : ex.getMessage());
    }

    /** Starts a node with the defaults of {@link NodeContext}; returns once its threads run. */
    public static Node start(final NodeConfig config)
    {
        return start(new NodeContext().config(config));
    }

    /** Starts a node; concludes the context; returns once its threads run. */
    public static Node start(final NodeContext context)
    {
        return new Node(context.conclude());
    }

    /**
     * The Aeron client was terminated under the node (see {@link TransportNode#onLost}): the node can no longer send or
     * receive, and the client is about to unmap buffers that the duty thread may be writing. Halting now is a crash the
     * node is built to survive (its log and store recover as after SIGKILL, and it rejoins as a follower); going on
     * would be a SIGSEGV a moment later, or a node that answers nobody. Exit code {@value NodeDaemon#EXIT_TRANSPORT_LOST},
     * which the systemd unit restarts (docs/DESIGN.md#transport-lost).
     */
    private void onTransportLost()
    {
        final String message = "logshipd: node " + config.nodeId() + " lost its transport: the Aeron client was " +
            "terminated (its conductor did not run within the client liveness timeout, 10 s unless " +
            "aeron.client.liveness.timeout says otherwise, e.g. because the process was paused, or the media driver " +
            "stopped answering; the cause is logged just before). Halting with exit code " +
            NodeDaemon.EXIT_TRANSPORT_LOST + ": a restart recovers the node as after a crash";
        logger.log(ERROR, message);
        System.err.println(message);
        NodeLogging.stop();
        Runtime.getRuntime().halt(NodeDaemon.EXIT_TRANSPORT_LOST);
    }

    private void onError(final Throwable throwable)
    {
        if (throwable instanceof io.logship.transport.TransportException &&
            ((io.logship.transport.TransportException)throwable).category() ==
            io.logship.transport.TransportException.Category.WARN)
        {
            // Dropped bad input (garbage, a wrong HMAC): counted by the transport; any sender can cause it.
            logger.log(WARNING, "node " + config.nodeId() + ": " + throwable.getMessage());
            return;
        }
        errors.incrementAndGet();
        logger.log(ERROR, "node " + config.nodeId() + ": " + throwable, throwable);
    }

    /** The journal failing is fatal for this node's writes; never let it stop the ring silently. */
    private final class FencingExceptionHandler implements ExceptionHandler<WriteEvent>
    {
        @Override
        public void handleEventException(final Throwable ex, final long sequence, final WriteEvent event)
        {
            onError(ex);
            if (null != event) // null when the failure was in a timed flush, outside any event
            {
                event.result = WriteEvent.RESULT_FAILED;
                event.error = "journal failed: " + ex;
            }
        }

        @Override
        public void handleOnStartException(final Throwable ex)
        {
            onError(ex);
        }

        @Override
        public void handleOnShutdownException(final Throwable ex)
        {
            onError(ex);
        }
    }

    public Role role()
    {
        return agent.role();
    }

    public int epoch()
    {
        return agent.epoch();
    }

    public long errorCount()
    {
        return errors.get();
    }

    /**
     * Why this node was removed from its cluster by a committed configuration (docs/DESIGN.md#membership), or null
     * while it is a member. A removed node neither replicates nor votes; the daemon exits with code 4. Any thread.
     */
    public String removal()
    {
        return agent.removal();
    }

    /** {@code callback} runs once, on the conductor thread, when this node finds it was removed. Any thread. */
    public void onRemoved(final Runnable callback)
    {
        agent.onRemoved(callback);
    }

    /** The leader this node knows (itself when leading), or -1; see {@link #joined()} for readiness. Any thread. */
    public int leaderId()
    {
        return agent.leaderId();
    }

    /**
     * Whether the node has joined its cluster since it started: it leads, or it follows a live leader whose log it
     * reconciled with. What systemd's READY=1 waits for (see {@link NodeDaemon}). Any thread.
     */
    public boolean joined()
    {
        return agent.joined();
    }

    /**
     * A leader that is stopping first hands its epoch to the most caught-up live follower with the graceful
     * switchover of {@code logship promote} (writes pause, the target catches up, the Handover message makes it
     * stand at once), as Kafka's controlled shutdown does, so the followers do not wait out the election timeout.
     * Bounded: the switchover's own two phases (catch up, then election) each within the handover timeout, plus
     * one election timeout for the new leader to be heard; past that, or with no live follower, the node stops
     * anyway and says why. A target that goes silent (a follower stopped just before this node) ends its switchover
     * within a lease timeout: before the handover the conductor tries the next live follower, after it this node has
     * stepped down in its own epoch and stops at once, leaving the election to the nodes still running.
     */
    private void handOverLeadershipBeforeStop()
    {
        if (agent.role() != Role.LEADER)
        {
            return;
        }
        final int nodeId = config.nodeId();
        final int epoch = agent.epoch();
        final long startNs = System.nanoTime();
        final long boundMs = 2 * config.electionConfig().handoverTimeoutMs() +
            config.electionConfig().electionTimeoutMs();
        final long deadlineNs = startNs + TimeUnit.MILLISECONDS.toNanos(boundMs);
        final long electionTimeoutNs = TimeUnit.MILLISECONDS.toNanos(config.electionConfig().electionTimeoutMs());
        long notLeadingSinceNs = 0;
        agent.requestHandoverForStop();
        String outcome = "the conductor did not take the handover request";
        while (System.nanoTime() - deadlineNs < 0)
        {
            final AdminOutcome started = agent.handoverForStop();
            if (null != started && !started.accepted())
            {
                outcome = "no handover: " + started.message();
                break;
            }
            final int leaderId = agent.leaderId();
            if (null != started && agent.role() != Role.LEADER && leaderId > 0 && leaderId != nodeId)
            {
                outcome = "handed epoch " + epoch + " over: node " + leaderId + " leads epoch " + agent.epoch() +
                    " after " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs) + " ms";
                break;
            }
            // No longer leading, by a vote for a candidate (the target, or a node that took over): its vote is cast,
            // and a candidate that has not won within an election timeout (stopping too, or dead) will not be helped
            // by this node staying longer.
            if (null != started && agent.role() != Role.LEADER)
            {
                if (0 == notLeadingSinceNs)
                {
                    notLeadingSinceNs = System.nanoTime();
                }
                else if (System.nanoTime() - notLeadingSinceNs > electionTimeoutNs)
                {
                    outcome = "no handover: no leader heard within " + config.electionConfig().electionTimeoutMs() +
                        " ms of giving up epoch " + epoch + " (now epoch " + agent.epoch() + "; " + started.message() +
                        ")";
                    break;
                }
            }
            if (null != started && agent.steppedDownWhileHandingOver())
            {
                outcome = "no handover: stepped down in epoch " + epoch + " after " +
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs) + " ms (" + started.message() +
                    "; the node's log says why)";
                break;
            }
            if (null != started)
            {
                outcome = "the handover did not complete within " + boundMs + " ms (" + started.message() + ")";
            }
            pause();
        }
        logger.log(INFO, "logshipd: node " + nodeId + " leader of epoch " + epoch + " stopping: " + outcome);
    }

    private static void pause()
    {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }

    @Override
    public void close()
    {
        // First: a handover arriving while the rest of the stop runs must find this node out of elections already.
        agent.leaveElections();
        logger.log(INFO, "logshipd: node " + config.nodeId() + " stopping");
        CloseHelper.quietClose(metrics);
        handOverLeadershipBeforeStop();
        // Stop taking writes, then give the writes already taken a moment to reach their ack level, so a
        // clean stop answers them OK instead of making every client retry.
        agent.stopTakingWrites();
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(QUIESCE_MS);
        while (agent.pendingWrites() > 0 && System.nanoTime() - deadlineNs < 0)
        {
            try
            {
                Thread.sleep(10);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                break;
            }
        }
        CloseHelper.quietClose(conductorRunner);
        if (null != journal)
        {
            journal.halt();
            try
            {
                journalThread.join(TimeUnit.SECONDS.toMillis(10));
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        CloseHelper.quietClose(applyRunner);
        CloseHelper.quietClose(log);
        CloseHelper.quietClose(store);
        CloseHelper.quietClose(transport);
        logger.log(INFO, "logshipd: node " + config.nodeId() + " stopped cleanly");
    }
}
