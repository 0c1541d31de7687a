package io.logship.node;

import io.logship.node.election.AdminOutcome;

import com.lmax.disruptor.EventPoller;
import io.logship.node.pipeline.ConductorJournal;
import com.lmax.disruptor.RingBuffer;
import io.logship.log.NodeStateFile;
import io.logship.node.egress.PeerPublishers;
import io.logship.node.election.AsyncPersistence;
import io.logship.node.election.StateFilePersistence;
import io.logship.node.election.ElectionRole;
import io.logship.node.election.ElectionState;
import io.logship.node.follower.FollowerState;
import io.logship.node.egress.SendBuffer;
import io.logship.node.fault.FaultInjector;
import io.logship.node.ingress.AdminAdapter;
import io.logship.node.ingress.ClientAdapter;
import io.logship.node.ingress.ClientSessions;
import io.logship.node.pipeline.RecentBatches;
import io.logship.node.pipeline.Wakeup;
import io.logship.node.pipeline.WriteEvent;
import io.logship.node.read.LogReadBuffer;
import io.logship.node.status.DutyCycleTimer;
import io.logship.node.status.NodeHealth;
import io.logship.node.status.NodeMetrics;
import io.logship.os.ThreadSlice;
import io.logship.transport.MessageAdapter;
import io.logship.transport.TransportNode;
import io.logship.transport.TransportStream;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.NanoClock;

import java.util.concurrent.TimeUnit;

import static java.lang.System.Logger.Level.WARNING;

/**
 * The node's conductor: one duty thread that owns every Aeron publication and subscription of the node and
 * polls them, and the switch on role — lead, drain the journal after stepping down, or follow. The work
 * itself is done by collaborators, each in a package named for its job (Aeron's ConsensusModuleAgent hands
 * work to Election, LogPublisher, adapters and publishers the same way):
 *
 * <ul>
 *   <li>{@code ingress}: client and admin stream adapters, client sessions;</li>
 *   <li>{@code egress}: the response publisher (holding the single lease check) and the peer publications;</li>
 *   <li>{@code write}: validation, intake into the ring, journal results, ack waits;</li>
 *   <li>{@code leader}: commit tracking, shipping and snapshots to followers, follower feedback;</li>
 *   <li>{@code follower}: the replication state machine, the pure {@code LogReconciler}, snapshot install;</li>
 *   <li>{@code election}: the pure {@code ElectionState} with its adapter and publisher;</li>
 *   <li>{@code dedup}, {@code read}, {@code admin}, {@code status}, {@code fault}.</li>
 * </ul>
 *
 * The state of the one log this node replicates, and its per-log collaborators, are in {@link LogReplica};
 * what is shared (this thread, the transport, the sessions, the admin stream) is here, so a node can later
 * host several logs. See {@link ReplicatedLog} for the vocabulary (offset = record number, position =
 * byte position).
 *
 * <p>With {@code logship.node.threading=shared} this thread also runs the embedded media driver and the Aeron
 * client conductor ({@link TransportNode#invoke()}) at the end of every duty cycle: what the cycle offered is
 * sent at once, and what arrives is polled by the next cycle, which runs without idling since receiving counts
 * as work. The journal and the flusher wake this thread when they hand it results; in turn it wakes the apply
 * thread when the apply target moves.
 *
 * <p>Not thread-safe: everything here runs on the conductor thread except the volatile getters.
 */
final class NodeAgent implements Agent
{
    private static final int FRAGMENT_LIMIT = 64;
    private static final int MAX_CLIENT_SESSIONS = 4096;
    private static final long STALL_BETWEEN_CYCLES_NS = TimeUnit.MILLISECONDS.toNanos(100);

    private final ReplicatedLog partition;
    private final NanoClock clock;
    private final System.Logger logger;
    private final long latencySliceNs;
    private final int nodeId;
    private final ClientSessions sessions;
    private final FaultInjector faults;
    private final LogReplica replica;
    private final ClientAdapter clients;
    private final NodeMetrics metrics;
    private final DutyCycleTimer dutyCycle;
    private final AsyncPersistence persistence;
    private final MembershipFile membershipFile;
    private final PeerPublishers peers;
    private final TransportNode transport;
    private final ApplyAgent applier;
    private final Wakeup wakeup;
    private long applyTargetSignalled = -1;

    private final MessageAdapter clientAdapter;
    private final MessageAdapter adminAdapter;
    private final MessageAdapter replicationAdapter;
    private final MessageAdapter feedbackAdapter;
    private final MessageAdapter electionAdapter;

    private volatile int pendingWriteCount;
    private volatile boolean leaveRequested;
    private volatile boolean handoverForStopRequested;
    private volatile AdminOutcome handoverForStop;
    private volatile boolean handoverForStopSteppedDown;
    private int handoverForStopEpoch;
    private volatile boolean joined;
    private volatile Runnable removalCallback;
    private boolean removalSignalled;
    private long lastDutyCycleEndNs;
    private long lastSlowCycleLogNs;

    NodeAgent(final NodeConfig config, final ReplicatedLog partition, final NodeStateFile nodeStateFile,
        final TransportNode transport, final RingBuffer<WriteEvent> ring, final EventPoller<WriteEvent> poller,
        final ApplyAgent applier, final Wakeup wakeup, final RecentBatches recentBatches)
    {
        this.partition = partition;
        this.transport = transport;
        this.applier = applier;
        this.wakeup = wakeup;
        this.clock = partition.clock();
        this.logger = partition.logger();
        this.nodeId = partition.nodeId();
        this.sessions = new ClientSessions(transport, MAX_CLIENT_SESSIONS);
        this.dutyCycle = new DutyCycleTimer(clock);

        final SendBuffer sendBuffer = new SendBuffer();
        final LogReadBuffer staging = new LogReadBuffer();
        // The election state's fsync runs on its own thread; peer messages wait for it (docs/DESIGN.md#election-state-persistence).
        persistence = new AsyncPersistence(new StateFilePersistence(nodeStateFile), "node-state-" + nodeId);
        // The configuration history is written off the conductor too, and peer messages (acks of a MEMBERS batch
        // among them) wait for it the same way (docs/DESIGN.md#membership, "In the log and on disk").
        membershipFile = new MembershipFile(nodeStateFile.file().resolveSibling("membership"));
        peers = new PeerPublishers(config, transport, sendBuffer,
            () -> persistence.isDurable() && membershipFile.isDurable(),
            epoch -> membershipFile.isDurable() && persistence.lastRequestedIsCandidacy(epoch, nodeId));
        latencySliceNs = TimeUnit.MICROSECONDS.toNanos(config.latencySliceUs());
        faults = new FaultInjector(config.faultsFile(), nodeId, peers, partition.counters(), logger,
            persistence::delayWrites);
        replica = new LogReplica(config, partition, persistence, ring, poller, applier, sessions, peers, faults,
            sendBuffer, staging, recentBatches, membershipFile);

        clients = new ClientAdapter(sessions, replica.responses, replica.writes, replica.reads,
            clock, logger);
        final AdminAdapter admin = new AdminAdapter(sessions, replica.status, replica.checksum, replica.adminCommands,
            new io.logship.node.admin.SnapshotExports(partition, applier, sendBuffer), replica.memberChanges, clock,
            logger);
        clientAdapter = transport.addAdapter(TransportStream.CLIENT_INGRESS, "client-ingress", clients::onMessage);
        adminAdapter = transport.addAdapter(TransportStream.ADMIN, "admin", admin::onMessage);
        replicationAdapter = transport.addAdapter(TransportStream.REPLICATION, "replication",
            replica.replicationAdapter::onMessage);
        feedbackAdapter = transport.addAdapter(TransportStream.REPLICATION_FEEDBACK, "feedback",
            replica.feedbackAdapter::onMessage);
        electionAdapter = transport.addAdapter(TransportStream.ELECTION, "election", replica.electionAdapter::onMessage);
        replica.electionAdapter.stopRequested(() -> leaveRequested);
        metrics = new NodeMetrics(partition, replica.commits, replica.ackWaits, sessions, replica.flusher,
            clientAdapter, adminAdapter, replicationAdapter, feedbackAdapter, electionAdapter)
            .dutyCycles(dutyCycle);
    }

    @Override
    public void onStart()
    {
        wakeup.bind(Thread.currentThread());
        persistence.start();
        membershipFile.start("membership-" + nodeId);
        replica.onStart(clock.nanoTime(), wakeup);
        // Every thread a write waits on has started by now (the fsync thread just above): give them short slices.
        // With dedicated threading that includes Aeron's: its client conductor, and the media driver's thread, which
        // Aeron names after the driver's directory (the kernel keeps the first 15 characters of a thread's name).
        final String conductor = roleName();
        final String journal = "journal-" + nodeId;
        final String fsync = "log-fsync-" + nodeId;
        final String driver = transport.aeron().context().aeronDirectoryName() + " [";
        ThreadSlice.applyToThreads(latencySliceNs, (name) -> name.equals(conductor) || name.equals(journal) ||
            name.equals(fsync) || name.equals("aeron-client") || (name.length() >= 8 && driver.startsWith(name)),
            "Node " + nodeId + "'s write-path threads", logger);
    }

    @Override
    public void onClose()
    {
        replica.close(sessions);
        persistence.close();
        sessions.close();
    }

    @Override
    public String roleName()
    {
        return "conductor-" + nodeId;
    }

    @Override
    public int doWork()
    {
        final long nowNs = clock.nanoTime();
        if (nowNs - lastDutyCycleEndNs > STALL_BETWEEN_CYCLES_NS && lastDutyCycleEndNs != 0 &&
            nowNs - lastSlowCycleLogNs > STALL_BETWEEN_CYCLES_NS * 10)
        {
            // A stalled conductor neither sends nor acks heartbeats: past the lease, that costs an election.
            // Between two cycles the thread only idles, so this is the JVM (a GC pause) or the machine.
            lastSlowCycleLogNs = nowNs;
            logger.log(WARNING, "Node " + nodeId + " conductor stalled for " +
                TimeUnit.NANOSECONDS.toMillis(nowNs - lastDutyCycleEndNs) + " ms between two duty cycles");
        }
        if (null != replica.removal())
        {
            // Removed from the cluster: it neither replicates nor votes while the daemon exits.
            final Runnable onRemoved = removalCallback;
            if (!removalSignalled && null != onRemoved)
            {
                removalSignalled = true;
                onRemoved.run();
            }
            return 0;
        }
        dutyCycle.beginCycle(nowNs);
        final int work = dutyCycleWork(nowNs);
        if (dutyCycle.endCycle())
        {
            logger.log(WARNING, "Node " + nodeId + " " + dutyCycle.describeSlowCycle());
        }
        lastDutyCycleEndNs = clock.nanoTime();
        return work;
    }

    /** One duty cycle; each step is timed ({@link DutyCycleTimer}) so a slow cycle names what held it. */
    private int dutyCycleWork(final long nowNs)
    {
        replica.openEpochWhenDurable();
        int work = peers.releaseHeld();
        dutyCycle.endStep("held peer messages");
        replica.dedup.check().onDutyCycle();
        replica.onElectionTick(nowNs);
        if (leaveRequested)
        {
            partition.election().leave(); // idempotent
        }
        if (handoverForStopRequested)
        {
            handOverForStop(nowNs);
        }
        faults.onDutyCycle(nowNs);
        dutyCycle.endStep("election tick");
        // A new leader's de-duplication window is rebuilt a slice per cycle: until it is whole, client requests
        // wait in their stream, as they did behind the one-shot rebuild (docs/DESIGN.md#de-duplication).
        work += replica.holdsClientRequests() ? 0 : clientAdapter.poll(FRAGMENT_LIMIT);
        dutyCycle.endStep("client stream");
        work += adminAdapter.poll(FRAGMENT_LIMIT);
        dutyCycle.endStep("admin stream");
        work += replica.checksum.onDutyCycle();
        dutyCycle.endStep("checksum slice");
        work += electionAdapter.poll(FRAGMENT_LIMIT);
        dutyCycle.endStep("election stream");
        if (partition.role() == Role.LEADER)
        {
            work += replica.journal.poll();
            dutyCycle.endStep("journal results");
            work += replica.dedup.check().advanceSearches(); // with what the client stream left of the budgets
            dutyCycle.endStep("de-duplication searches");
            work += feedbackAdapter.poll(FRAGMENT_LIMIT);
            dutyCycle.endStep("follower feedback");
            work += replicationAdapter.poll(FRAGMENT_LIMIT); // a leader of a higher epoch deposes this one
            dutyCycle.endStep("replication stream");
            work += replica.leaderWork(nowNs);
            if (!clients.announced(partition.epoch()) && partition.role() == Role.LEADER &&
                !replica.holdsClientRequests() && partition.election().acceptsWrites(ReplicatedLog.nowMs(nowNs)))
            {
                work += clients.announceLeadership(partition.epoch(), nowNs); // once per epoch: NewLeader to clients
            }
            dutyCycle.endStep("leader work");
            if (partition.role() == Role.LEADER)
            {
                pendingWriteCount = replica.pendingWrites();
            }
        }
        else if (replica.journal.isDraining())
        {
            // After a step-down: two threads must never append to the log at once, so this node follows only
            // once the journal has answered every write of the old epoch.
            work += replica.journal.drain();
            if (!replica.journal.isDraining())
            {
                pendingWriteCount = 0;
            }
            dutyCycle.endStep("journal drain");
        }
        else
        {
            work += replicationAdapter.poll(FRAGMENT_LIMIT);
            dutyCycle.endStep("replication stream");
            work += replica.follower.onDutyCycle(nowNs);
            dutyCycle.endStep("follower work");
            work += replica.catchUpDedupWindow();
            dutyCycle.endStep("de-duplication catch-up");
        }
        work += replica.membershipWork(nowNs);
        dutyCycle.endStep("membership");
        work += clients.sendPendingConnectReplies(nowNs);
        dutyCycle.endStep("connect replies");
        work += replica.reads.serviceReadWaits(nowNs);
        dutyCycle.endStep("read waits");
        replica.openEpochWhenDurable();
        work += peers.releaseHeld(); // a state requested in this cycle may be durable already
        dutyCycle.endStep("held peer messages");
        if (!joined && (partition.role() == Role.LEADER || replica.follower.state() == FollowerState.FETCHING))
        {
            joined = true;
        }
        wakeApplierWhenTargetMoves();
        work += transport.invoke();
        dutyCycle.endStep("media driver");
        return work;
    }

    /** The apply thread's target (see {@link ApplyAgent#doWork()}) moved: wake it rather than let it park on. */
    private void wakeApplierWhenTargetMoves()
    {
        final long target = Math.min(partition.commitOffset(), partition.log().durableEndOffset());
        if (target != applyTargetSignalled)
        {
            applyTargetSignalled = target;
            applier.wake();
        }
    }

    /** This thread runs the journal stage ({@code logship.node.journal=conductor}); before the thread starts. */
    void runJournalStage(final ConductorJournal stage)
    {
        replica.journal.runJournalStage(stage);
    }

    /** The node's metric collectors (read on the metrics HTTP thread: single fields only). */
    NodeMetrics metrics()
    {
        return metrics;
    }

    /** The node's health answers for the metrics port (volatile reads only, any thread). */
    NodeHealth health()
    {
        return new NodeHealth(partition, replica.validator, replica.follower);
    }

    Role role()
    {
        return partition.role();
    }

    /** From now on writes are answered UNAVAILABLE (retryable): a clean stop is under way. Any thread. */
    void stopTakingWrites()
    {
        replica.validator.stopping();
    }

    /** Writes waiting for quorum or all, as of the last duty cycle (any thread). */
    int pendingWrites()
    {
        return replica.validator.isStopping() && partition.role() != Role.LEADER ? 0 : pendingWriteCount;
    }

    /**
     * A clean stop of any node: from its next duty cycle it neither stands nor takes a handover, but still votes
     * ({@link ElectionState#leave}). Any thread.
     */
    void leaveElections()
    {
        leaveRequested = true;
    }

    /**
     * A clean stop of the leader: the conductor starts a graceful switchover to the most caught-up follower at its
     * next duty cycle ({@link io.logship.node.admin.AdminCommands#handOverForStop}). Any thread.
     */
    void requestHandoverForStop()
    {
        handoverForStopRequested = true;
    }

    /**
     * Starts the stop's switchover, and starts it again when one ended before its handover went out (its target went
     * silent or did not catch up, so the node still leads), towards the follower most caught up by then. Notes when
     * the node stepped down in the epoch it was handing over (the target went silent after the handover): read here,
     * where the election's role and epoch change together, not from the stopping thread, which could see the role of
     * a successful handover's vote before its new epoch.
     */
    private void handOverForStop(final long nowNs)
    {
        final ElectionState election = partition.election();
        final AdminOutcome previous = handoverForStop;
        if (null == previous)
        {
            handoverForStopEpoch = election.epoch();
        }
        if (null == previous || (previous.accepted() && election.role() == ElectionRole.LEADER &&
            !election.switchoverRunning()))
        {
            handoverForStop = replica.adminCommands.handOverForStop(nowNs);
        }
        else if (previous.accepted() && !handoverForStopSteppedDown && election.role() != ElectionRole.LEADER &&
            election.epoch() == handoverForStopEpoch)
        {
            handoverForStopSteppedDown = true;
        }
    }

    /**
     * Whether the node stepped down in its own epoch while a stop handed it over: the switchover was abandoned, and
     * no new leader will come of it. Any thread.
     */
    boolean steppedDownWhileHandingOver()
    {
        return handoverForStopSteppedDown;
    }

    /**
     * What {@link #requestHandoverForStop()} led to, the latest attempt's; null until the conductor took the request.
     * Any thread.
     */
    AdminOutcome handoverForStop()
    {
        return handoverForStop;
    }

    /**
     * Whether this node has joined its cluster since it started: it led, or as a follower it reconciled its log
     * with a live leader and fetched (a leader id alone may be the one persisted before a restart). Any thread.
     */
    boolean joined()
    {
        return joined;
    }

    /** The leader this node knows (itself when leading), or -1 (any thread). */
    int leaderId()
    {
        return partition.leaderId();
    }

    int epoch()
    {
        return partition.epoch();
    }

    /** Run once on the conductor when this node finds it was removed from its cluster. Any thread. */
    void onRemoved(final Runnable callback)
    {
        removalCallback = callback;
    }

    /** Why this node was removed from its cluster (the daemon exits with code 4), or null. Any thread. */
    String removal()
    {
        return replica.removal();
    }
}
