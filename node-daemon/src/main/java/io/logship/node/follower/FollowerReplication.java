package io.logship.node.follower;

import io.logship.node.election.LeaderContact;

import io.logship.LogshipException;
import io.logship.kv.KeyValueStore;
import io.logship.format.BatchDescriptor;
import io.logship.log.EpochHistory;
import io.logship.log.InvalidBatchException;
import io.logship.log.Quarantine;
import io.logship.log.SegmentedLog;
import io.logship.node.ApplyAgent;
import io.logship.node.NodeConfig;
import io.logship.node.ClusterMembership;
import io.logship.node.ReplicatedLog;
import io.logship.node.Role;
import io.logship.node.dedup.Deduplication;
import io.logship.node.egress.PeerPublishers;
import io.logship.node.election.ElectionState;
import io.logship.node.pipeline.LogFlusher;
import io.logship.node.pipeline.Wakeup;
import io.logship.node.write.JournalResultPoller;
import io.logship.transport.AppendBatchAssembler;
import io.logship.transport.codec.AppendBatchDecoder;
import io.logship.transport.codec.EpochEndResponseDecoder;
import io.logship.transport.codec.HeartbeatDecoder;
import io.logship.transport.codec.RefuseDecoder;
import io.logship.transport.codec.RefuseReason;
import io.logship.transport.codec.SnapshotChunkDecoder;
import org.agrona.DirectBuffer;

import java.util.concurrent.TimeUnit;

import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

/**
 * The follower's replication state machine ({@link FollowerState}): reconcile the log with a new leader's
 * (quarantining a divergent suffix before truncating it, and rewinding the store first when the cut is below
 * what it applied), then fetch, append (no fsync here: {@link LogFlusher} forces it on its own thread)
 * and acknowledge; a snapshot instead when the log ends below the leader's log start.
 *
 * <p>Two rules keep unchecked data from counting: until reconciled, heartbeats are acked with the durable
 * end unknown (-1), and the leader's commit offset is counted only once reconciled. Heartbeats are acked at
 * once whatever the state: the leader's lease runs on those acks. Conductor thread only.
 *
 * <p>A little over 500 lines, on purpose: every transition of {@link FollowerState} is here, next to the
 * message that causes it, so the order rules above can be checked in one read; the pure decision (where to
 * cut) is {@link LogReconciler}, the snapshot transfer {@link SnapshotInstaller}, the sending
 * {@link FeedbackPublisher}.
 */
public final class FollowerReplication implements AutoCloseable
{
    private final ReplicatedLog partition;
    private final SegmentedLog log;
    private final KeyValueStore store;
    private final NodeConfig config;
    private final ApplyAgent applier;
    private final LogFlusher flusher;
    private final JournalResultPoller journal;
    private final Deduplication dedup;
    private final PeerPublishers peers;
    private final FeedbackPublisher feedback;
    private final SnapshotInstaller snapshot;
    private final ResyncTracker resync;
    private final System.Logger logger;
    private final long heartbeatIntervalNs;
    private final AppendBatchAssembler assembler = new AppendBatchAssembler(BatchDescriptor.MAX_BATCH_LENGTH);
    private final SegmentedLogView logView;
    private final QuarantineWriter quarantine;

    private FollowerState state = FollowerState.AWAIT_LEADER;
    /** Told of every MEMBERS batch appended and every cut (docs/DESIGN.md#membership); null in tests without one. */
    private ClusterMembership membership;
    /** REWINDING: where the log is cut once the store has gone back to at or below it. */
    private long pendingCutOffset = -1;
    /** Why the pending cut is made, and the epoch-end answer it came from, for when its quarantine is saved. */
    private String cutReason;
    private int cutEpochFound;
    private int cutLatestEpoch;
    private int cutEpoch;
    private long quarantineTicket;
    // Volatile: the metrics port's /replica check reads it on the HTTP thread.
    private volatile long leaderCommitOffset;
    private long leaderLogEndOffset;
    private long lastFetchRequestNs;
    private long lastEpochEndRequestNs;
    private long lastAckSentNs;
    private long lastAppendNs;
    private long lastAckedDurable = -1;
    private long lastAckedWritten = -1;
    private long lastAckedApplied = -1;
    private boolean appendedSinceFlush;
    private int epochEndQuestion = Integer.MIN_VALUE;
    /** Newest Heartbeat.leaderTimestampNs from the current leader in the current epoch, echoed in every Ack. */
    private long echoTimestampNs = -1;

    public FollowerReplication(final ReplicatedLog partition, final NodeConfig config, final ApplyAgent applier,
        final LogFlusher flusher, final JournalResultPoller journal, final Deduplication dedup,
        final PeerPublishers peers, final FeedbackPublisher feedback, final SnapshotInstaller snapshot)
    {
        this.partition = partition;
        this.log = partition.log();
        this.store = partition.store();
        this.config = config;
        this.applier = applier;
        this.flusher = flusher;
        this.journal = journal;
        this.dedup = dedup;
        this.peers = peers;
        this.feedback = feedback;
        this.snapshot = snapshot;
        this.logger = partition.logger();
        this.resync = new ResyncTracker(log, logger);
        this.heartbeatIntervalNs = TimeUnit.MILLISECONDS.toNanos(config.heartbeatIntervalMs());
        this.logView = new SegmentedLogView(log);
        this.quarantine = new QuarantineWriter(log, config.dataDirectory().resolve(Quarantine.DIRECTORY_NAME),
            partition.nodeId());
    }

    /** Starts the quarantine's thread; {@code conductor} is woken when a save ends. */
    public void start(final Wakeup conductor)
    {
        quarantine.start(conductor);
    }

    public FollowerState state()
    {
        return state;
    }

    public long leaderCommitOffset()
    {
        return leaderCommitOffset;
    }

    public long leaderLogEndOffset()
    {
        return leaderLogEndOffset;
    }

    public ResyncTracker resync()
    {
        return resync;
    }

    /** Set once by the node before the conductor starts: told of MEMBERS batches and cuts. */
    public void membership(final ClusterMembership membership)
    {
        this.membership = membership;
    }

    private void onTruncated(final long logEndOffset)
    {
        dedup.onTruncated();
        if (null != membership)
        {
            membership.onTruncated(logEndOffset);
        }
    }

    /** Starting, or back from leading: wait for a leader. */
    public void awaitLeader()
    {
        state = FollowerState.AWAIT_LEADER;
    }

    /** About to lead: what this node appended as a follower is forced by the flusher, never on the conductor. */
    public void onStartLeading()
    {
        if (appendedSinceFlush)
        {
            appendedSinceFlush = false;
            flusher.request();
        }
        snapshot.cancel(state == FollowerState.INSTALLING);
    }

    /** The election named a leader (or none) for {@code epoch}: reconcile with it from scratch. */
    public void onNewLeader(final int newLeaderId)
    {
        assembler.reset();
        echoTimestampNs = -1;
        lastAckedDurable = -2; // ack at the next chance: the new leader knows nothing of this node yet
        lastAckedWritten = -2;
        if (state != FollowerState.INSTALLING && state != FollowerState.REWINDING &&
            state != FollowerState.QUARANTINING)
        {
            snapshot.cancel(false);
            state = newLeaderId > 0 ? FollowerState.NEED_EPOCH_END : FollowerState.AWAIT_LEADER;
            lastEpochEndRequestNs = 0;
        }
    }

    /** One duty cycle as a follower (messages already polled). */
    public int onDutyCycle(final long nowNs)
    {
        int work = 0;
        if (appendedSinceFlush)
        {
            appendedSinceFlush = false;
            flusher.request(); // the fsync runs on its own thread; the ack of the durable end follows once it moves
            work++;
        }
        if (log.isFailed() && partition.role() != Role.FENCED)
        {
            partition.fence("Node " + partition.nodeId() + " is FENCED: its log failed (a follower append or " +
                "fsync); it takes no more data. Restart it once the disk is fixed.");
            return work;
        }
        if (state == FollowerState.FETCHING)
        {
            // Only a log reconciled with this leader's may count its leader's commit offset: before that, the
            // tail may be a divergent suffix that the commit offset would make the store apply (the
            // simulation's rule: followers apply min(leaderCommit, matchedEnd)).
            partition.commitOffset(Math.max(partition.commitOffset(),
                Math.min(leaderCommitOffset, log.durableEndOffset())));
        }
        work += advance(nowNs);
        resync.onDutyCycle(nowNs, partition.leaderId(), leaderLogEndOffset);
        // The written end is acked right after the append, the durable end once the flusher moves it: the leader
        // counts whichever this node holds by its fsync policy, and both in the write's durability receipt.
        final long durable = log.durableEndOffset();
        final long written = log.logEndOffset();
        final long applied = store.appliedOffset();
        if (partition.leaderId() > 0 && state == FollowerState.FETCHING && (durable != lastAckedDurable ||
            written != lastAckedWritten || applied != lastAckedApplied || nowNs - lastAckSentNs >= heartbeatIntervalNs))
        {
            sendAck(nowNs, durable, written, applied);
            work++;
        }
        return work;
    }

    private int advance(final long nowNs)
    {
        switch (state)
        {
            case NEED_EPOCH_END ->
            {
                if (nowNs - lastEpochEndRequestNs >= 2 * heartbeatIntervalNs)
                {
                    lastEpochEndRequestNs = nowNs;
                    sendEpochEndRequest(nowNs);
                    return 1;
                }
            }
            case REWINDING ->
            {
                if (null != applier.failure())
                {
                    partition.fence("Node " + partition.nodeId() + " is FENCED: " + applier.failure());
                }
                else if (applier.rewoundTo() >= 0)
                {
                    final long end = log.logEndOffset();
                    log.truncateTo(pendingCutOffset);
                    onTruncated(pendingCutOffset);
                    partition.counters().onQuarantined(end - pendingCutOffset);
                    logger.log(WARNING, "Node " + partition.nodeId() + " truncated its log from offset " +
                        pendingCutOffset + " to " + end + " after rewinding its store to " + applier.rewoundTo());
                    pendingCutOffset = -1;
                    state = FollowerState.NEED_EPOCH_END; // confirm the new end with the leader, then fetch
                    lastEpochEndRequestNs = 0;
                    return 1;
                }
            }
            case QUARANTINING ->
            {
                final QuarantineWriter.Result saved = quarantine.result(quarantineTicket);
                if (null != saved)
                {
                    onQuarantined(saved, nowNs);
                    return 1;
                }
            }
            case FETCHING ->
            {
                final boolean behind = leaderLogEndOffset > log.logEndOffset();
                if (behind && nowNs - lastAppendNs > 4 * heartbeatIntervalNs &&
                    nowNs - lastFetchRequestNs > 4 * heartbeatIntervalNs)
                {
                    requestFetch(nowNs);
                    return 1;
                }
            }
            case INSTALLING ->
            {
                if (snapshot.isInstalled())
                {
                    final long snapshotOffset = snapshot.snapshotOffset();
                    log.truncateFullyAndStartAt(snapshotOffset);
                    onTruncated(snapshotOffset);
                    logger.log(INFO, "Installed the leader's snapshot at offset " + snapshotOffset +
                        "; fetching the log from there");
                    snapshot.onInstalled();
                    state = FollowerState.FETCHING;
                    requestFetch(nowNs);
                    return 1;
                }
            }
            default ->
            {
            }
        }
        return 0;
    }

    /** Epoch check shared by every message from a leader; false if the message must be ignored. */
    private boolean acceptLeaderEpoch(final int messageEpoch, final int messageLeaderId, final int templateId)
    {
        if (messageLeaderId == partition.nodeId() || null == peers.feedback(messageLeaderId))
        {
            return false;
        }
        if (partition.election().onLeaderContact(ReplicatedLog.nowMs(partition.clock().nanoTime()), messageEpoch,
            messageLeaderId) == LeaderContact.REFUSED)
        {
            // A deposed leader still sending: the refusal carries the current epoch, so it steps down.
            partition.counters().onStaleEpochRefusal();
            peers.refuse(peers.feedback(messageLeaderId), templateId, RefuseReason.STALE_EPOCH, partition.epoch(),
                partition.leaderId(), partition.nodeId());
            return false;
        }
        final Role role = partition.role();
        if (role == Role.LEADER || journal.isDraining() || role == Role.FENCED)
        {
            return false; // not a follower yet: the leader sends again, or this node fetches once it is
        }
        if (state == FollowerState.AWAIT_LEADER)
        {
            state = FollowerState.NEED_EPOCH_END;
            lastEpochEndRequestNs = 0;
            assembler.reset();
        }
        return true;
    }

    public void onHeartbeat(final HeartbeatDecoder decoder)
    {
        if (!acceptLeaderEpoch(decoder.epoch(), decoder.leaderId(), HeartbeatDecoder.TEMPLATE_ID))
        {
            return;
        }
        leaderCommitOffset = Math.max(leaderCommitOffset, decoder.commitOffset());
        leaderLogEndOffset = decoder.logEndOffset();
        echoTimestampNs = Math.max(echoTimestampNs, decoder.leaderTimestampNs());
        // Ack every heartbeat at once, whatever the fsync or reconciliation state: the leader's lease runs
        // from the echoed timestamp. Until reconciled, the durable end is reported as unknown (-1), so
        // unchecked data never counts towards the commit offset.
        final long nowNs = partition.clock().nanoTime();
        final boolean reconciled = state == FollowerState.FETCHING;
        sendAck(nowNs, reconciled ? log.durableEndOffset() : -1, reconciled ? log.logEndOffset() : -1,
            store.appliedOffset());
    }

    public void onAppendBatch(final AppendBatchDecoder decoder)
    {
        if (!acceptLeaderEpoch(decoder.epoch(), decoder.leaderId(), AppendBatchDecoder.TEMPLATE_ID))
        {
            decoder.skipBatches();
            return;
        }
        final long messageCommit = decoder.commitOffset();
        final int prevBatchEpoch = decoder.prevBatchEpoch();
        if (state != FollowerState.FETCHING)
        {
            decoder.skipBatches();
            return;
        }
        final int assembled = assembler.onChunk(decoder);
        if (assembled == AppendBatchAssembler.INCOMPLETE)
        {
            return;
        }
        if (assembled == AppendBatchAssembler.DISCARDED)
        {
            requestFetch(partition.clock().nanoTime());
            return;
        }
        final int leaderId = partition.leaderId();
        final long firstBase = assembler.baseOffset();
        // prevBatchEpoch is -1 when the leader no longer knows (its log starts at that batch): no check then.
        if (firstBase == log.logEndOffset() && firstBase > log.logStartOffset() && prevBatchEpoch >= 0 &&
            prevBatchEpoch != log.epochHistory().epochForOffset(firstBase - 1))
        {
            // Our last batch is from another epoch than the leader's batch before this offset: diverged.
            logger.log(WARNING, "batch at offset " + firstBase + " follows epoch " + prevBatchEpoch + " on leader " +
                leaderId + " but epoch " + log.epochHistory().epochForOffset(firstBase - 1) + " here; reconciling");
            assembler.reset();
            state = FollowerState.NEED_EPOCH_END;
            lastEpochEndRequestNs = 0;
            return;
        }
        appendBatches(assembler.buffer(), assembler.length(), leaderId);
        assembler.reset();
        leaderCommitOffset = Math.max(leaderCommitOffset, messageCommit);
    }

    /**
     * Appends the whole batches of a leader's message. Not {@code BatchIterator}: these bytes come from
     * another node, so every batch length is checked before it is trusted.
     */
    private void appendBatches(final DirectBuffer bytes, final int length, final int leaderId)
    {
        int position = 0;
        while (position + BatchDescriptor.HEADER_LENGTH <= length)
        {
            final int batchLength = BatchDescriptor.length(bytes, position);
            if (batchLength < BatchDescriptor.HEADER_LENGTH || position + batchLength > length)
            {
                partition.counters().onInvalidBatchFromLeader();
                logger.log(WARNING, "AppendBatch from node " + leaderId + " holds a batch of length " + batchLength +
                    " at byte " + position + " of " + length + "; refetching");
                requestFetch(partition.clock().nanoTime());
                break;
            }
            final long base = BatchDescriptor.baseOffset(bytes, position);
            final long next = BatchDescriptor.nextOffset(bytes, position);
            final long end = log.logEndOffset();
            if (next <= end)
            {
                position += batchLength; // already have it (a catch-up and a live send overlapped)
                continue;
            }
            if (base != end)
            {
                requestFetch(partition.clock().nanoTime());
                break;
            }
            try
            {
                log.appendAsFollower(bytes, position, batchLength, false);
                dedup.onFollowerAppend(bytes, position); // a follower elected leader then needs no rebuild
                if (null != membership)
                {
                    membership.onFollowerAppend(bytes, position, batchLength);
                }
                appendedSinceFlush = true;
                lastAppendNs = partition.clock().nanoTime();
            }
            catch (final InvalidBatchException ex)
            {
                partition.counters().onInvalidBatchFromLeader();
                logger.log(WARNING, "batch from node " + leaderId + " refused: " + ex.getMessage() + "; refetching");
                requestFetch(partition.clock().nanoTime());
                break;
            }
            catch (final LogshipException ex)
            {
                partition.fence("Node " + partition.nodeId() + " is FENCED: " + ex.getMessage());
                break;
            }
            position += batchLength;
        }
    }

    public void onRefused(final RefuseDecoder decoder)
    {
        if (decoder.currentEpoch() > partition.epoch())
        {
            logger.log(INFO, "refused by node " + decoder.nodeId() + " at epoch " + decoder.currentEpoch());
            partition.election().onHigherEpochSeen(ReplicatedLog.nowMs(partition.clock().nanoTime()),
                decoder.currentEpoch(), decoder.leaderId());
        }
        else if (decoder.reason() == RefuseReason.LOG_MISMATCH && partition.role() != Role.LEADER &&
            !journal.isDraining())
        {
            state = FollowerState.NEED_EPOCH_END;
            lastEpochEndRequestNs = 0;
        }
    }

    public void onSnapshotChunk(final SnapshotChunkDecoder decoder)
    {
        if (!acceptLeaderEpoch(decoder.epoch(), decoder.leaderId(), SnapshotChunkDecoder.TEMPLATE_ID))
        {
            decoder.skipData();
            return;
        }
        switch (snapshot.onChunk(decoder, partition.leaderId()))
        {
            case STARTED -> state = FollowerState.SNAPSHOT;
            case INSTALLING -> state = FollowerState.INSTALLING;
            case FAILED ->
            {
                state = FollowerState.FETCHING;
                requestFetch(partition.clock().nanoTime());
            }
            default ->
            {
            }
        }
    }

    private void sendEpochEndRequest(final long nowNs)
    {
        final int latest = log.epochHistory().latestEpoch();
        if (latest == EpochHistory.UNDEFINED_EPOCH)
        {
            state = FollowerState.FETCHING;
            requestFetch(nowNs);
            return;
        }
        if (feedback.sendEpochEndRequest(latest))
        {
            epochEndQuestion = latest;
        }
    }

    /**
     * One round of reconciliation ({@link LogReconciler}): cut what diverged, quarantined first (never cut
     * what could not be kept), the store rewound first if the cut is below what it applied; then fetch, or
     * ask the next round. A late answer to an earlier question is ignored.
     */
    public void onEpochEndResponse(final EpochEndResponseDecoder decoder)
    {
        final int leaderId = partition.leaderId();
        if (partition.role() == Role.LEADER || state != FollowerState.NEED_EPOCH_END || decoder.nodeId() != leaderId ||
            decoder.epoch() != partition.epoch() || decoder.requestedEpoch() != epochEndQuestion)
        {
            return;
        }
        final int nodeId = partition.nodeId();
        final int ourLatest = log.epochHistory().latestEpoch();
        final long ourEnd = log.logEndOffset();
        final int found = decoder.epochFound();
        final long target = LogReconciler.cutOffset(logView, store.appliedOffset(), found, decoder.endOffset(),
            decoder.epoch());
        if (target < ourEnd)
        {
            // Keep what is cut first (writes acknowledged only at the leader level live nowhere else now), on the
            // quarantine's thread: the conductor keeps heartbeating meanwhile and appends nothing (QUARANTINING).
            pendingCutOffset = target;
            cutReason = "its epoch " + ourLatest + " diverges from leader " + leaderId + "'s log after offset " +
                target;
            cutEpochFound = found;
            cutLatestEpoch = ourLatest;
            cutEpoch = partition.epoch();
            quarantineTicket = quarantine.save(target, leaderId, partition.epoch(), cutReason);
            state = FollowerState.QUARANTINING;
            return;
        }
        nextReconciliationStep(found, ourLatest);
    }

    /**
     * The quarantine's save of the suffix to cut ended: cut it (once the store is rewound, if the cut is below what
     * it applied), or, if it could not be kept, cut nothing and ask again in 5 s.
     */
    private void onQuarantined(final QuarantineWriter.Result saved, final long nowNs)
    {
        final int nodeId = partition.nodeId();
        final int leaderId = partition.leaderId();
        final long target = pendingCutOffset;
        final long ourEnd = log.logEndOffset();
        if (null != saved.error())
        {
            // Never cut what could not be kept: stay out of sync and try again in a while.
            logger.log(System.Logger.Level.ERROR, "Node " + nodeId + " cannot rejoin leader " + leaderId +
                ": the divergent suffix [" + target + ", " + ourEnd + ") could not be quarantined (" + saved.error() +
                "); retrying in 5 s", saved.unexpected() ? saved.failure() : null);
            pendingCutOffset = -1;
            state = FollowerState.NEED_EPOCH_END;
            lastEpochEndRequestNs = nowNs + TimeUnit.SECONDS.toNanos(5);
            return;
        }
        if (target < store.appliedOffset())
        {
            // The store applied records that are about to be cut (this follows only an unclean promotion):
            // it goes back to a snapshot at or below the cut, or to empty, and applies the log again.
            logger.log(WARNING, "Node " + nodeId + " must cut its log at offset " + target + " (" + cutReason +
                ") below what its store applied (" + store.appliedOffset() + "); the cut records are kept in " +
                saved.file() + "; rewinding the store first");
            partition.commitOffset(target);
            state = FollowerState.REWINDING;
            applier.requestRewind(target);
            return;
        }
        logger.log(WARNING, "Node " + nodeId + " truncates its log from offset " + target + " to " + ourEnd +
            " (" + cutReason + "); the " + (ourEnd - target) + " records cut are kept in " + saved.file() +
            " ('logship quarantine show' prints them; saved in " + saved.elapsedMs() + " ms off the duty thread)");
        log.truncateTo(target);
        onTruncated(target);
        partition.counters().onQuarantined(ourEnd - target);
        pendingCutOffset = -1;
        state = FollowerState.NEED_EPOCH_END;
        if (partition.epoch() != cutEpoch)
        {
            lastEpochEndRequestNs = 0; // a newer leader came meanwhile: reconcile with it from scratch
            return;
        }
        nextReconciliationStep(cutEpochFound, cutLatestEpoch);
    }

    /** After a round's cut (or none): fetch if the log is reconciled, else ask about the epoch it now ends with. */
    private void nextReconciliationStep(final int epochFound, final int latestBeforeCut)
    {
        final long nowNs = partition.clock().nanoTime();
        if (LogReconciler.isReconciled(epochFound, latestBeforeCut, log.epochHistory().latestEpoch()))
        {
            state = FollowerState.FETCHING;
            requestFetch(nowNs);
            // Once per reconciliation (a new leader, or a mismatch found while fetching): from here this node can
            // acknowledge the leader's writes.
            logger.log(INFO, "Node " + partition.nodeId() + " reconciled its log with leader " + partition.leaderId() +
                " in epoch " + partition.epoch() + "; fetches from offset " + log.logEndOffset());
        }
        else
        {
            lastEpochEndRequestNs = nowNs;
            sendEpochEndRequest(nowNs); // next round: ask about the epoch this log now ends with
        }
    }

    private void requestFetch(final long nowNs)
    {
        lastFetchRequestNs = nowNs;
        feedback.sendFetch();
    }

    private void sendAck(final long nowNs, final long durable, final long written, final long applied)
    {
        if (feedback.sendAck(durable, written, applied, echoTimestampNs))
        {
            lastAckSentNs = nowNs;
            lastAckedDurable = durable;
            lastAckedWritten = written;
            lastAckedApplied = applied;
        }
    }

    @Override
    public void close()
    {
        quarantine.close();
        snapshot.close();
    }
}
