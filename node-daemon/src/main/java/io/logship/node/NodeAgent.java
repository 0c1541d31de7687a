package io.logship.node;

import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import io.aeron.logbuffer.Header;
import io.logship.LogshipException;
import io.logship.kv.KeyValueStore;
import io.logship.kv.SnapshotInfo;
import io.logship.kv.SnapshotReceiver;
import io.logship.log.BatchDescriptor;
import io.logship.log.EpochHistory;
import io.logship.log.InvalidBatchException;
import io.logship.log.NodeStateFile;
import io.logship.log.OffsetOutOfRangeException;
import io.logship.log.Quarantine;
import io.logship.log.RecordCursor;
import io.logship.log.RecordDescriptor;
import io.logship.log.SegmentedLog;
import io.logship.node.election.ElectionState;
import io.logship.node.election.LogView;
import io.logship.node.election.Outbox;
import io.logship.node.election.Persistence;
import io.logship.node.pipeline.WriteEvent;
import io.logship.node.dedup.DedupWindow;
import io.logship.node.dedup.DuplicateCheck;
import io.logship.node.follower.FollowerFlusher;
import io.logship.node.ingress.ClientSessions;
import io.logship.node.leader.FollowerProgress;
import io.logship.node.status.MetricsEndpoint;
import io.logship.node.write.PendingWrites;
import io.logship.transport.AppendBatchAssembler;
import io.logship.transport.BoundedPublisher;
import io.logship.transport.Decoders;
import io.logship.transport.MessageAdapter;
import io.logship.transport.PublishResult;
import io.logship.transport.TransportChannels;
import io.logship.transport.TransportNode;
import io.logship.transport.TransportStream;
import io.logship.transport.codec.*;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

import static java.lang.System.Logger.Level.ERROR;
import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

/**
 * The node's conductor: one thread that owns every Aeron publication and subscription of the node,
 * the client sessions, and the replication state of both roles.
 *
 * <pre>
 *  leader:   client ingress ──► ring ──► JournalHandler (append + fsync) ──► poller (this thread)
 *                                                                             │ offsets
 *            log ──► ship to followers (live and catch-up are one path) ◄────┘
 *            follower acks ──► commit offset (majority, current-epoch rule) ──► answer quorum/all waits
 *  follower: AppendBatch ──► CRC + continuity ──► append (no fsync) … one fsync per cycle ──► Ack
 *  both:     reads, tail, status, checksum; ApplyAgent applies up to the commit offset on its own thread
 * </pre>
 *
 * The leader is fixed by configuration until automatic failover exists, but everything is fenced by
 * epochs already: a leader starts a new epoch on every start (persisted before use) and opens it
 * with a NOOP batch; the commit offset only moves once a majority holds that batch; a follower
 * reconciles its log with the leader's epoch history (truncating a divergent suffix) before it
 * fetches; anything from a lower epoch is refused with the current epoch.
 *
 * <p>Not thread-safe: everything here runs on the conductor thread except the volatile getters.
 */
final class NodeAgent implements Agent
{
    private static final int FRAGMENT_LIMIT = 64;
    private static final long EXPIRE_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final long CONNECT_REPLY_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(2);
    private static final int MAX_CLIENT_SESSIONS = 4096;
    private static final int DEDUP_WINDOW = 4096;
    /** Sequences remembered as written or not per client (20 KiB each): 13 s of a client at 10k writes/s. */
    private static final int DEDUP_PRESENCE_SPAN = 1 << 17;
    private static final int DEDUP_MAX_CLIENTS = 1024;
    private static final int DEDUP_REBUILD_BYTES = 16 * 1024 * 1024;
    /** Log one de-duplication search may read, and all of them in one duty cycle (~tens of ms). */
    private static final long DEDUP_SEARCH_BYTES = 64L * 1024 * 1024;
    private static final int MAX_READ_WAITS = 4096;
    private static final int TAIL_MAX_BYTES = 512 * 1024;
    private static final int SNAPSHOT_CHUNK_BYTES = 256 * 1024;
    private static final long RESYNC_LOG_THRESHOLD_RECORDS = 10_000;
    private static final long SLOW_CYCLE_NS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long FAULTS_CHECK_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(100);
    /** Peers cut off by the faults file (index = node id); null when none. */
    private boolean[] isolatedPeers;
    private long lastFaultsCheckNs;
    private volatile long faultDroppedMessages;
    private long lastDutyCycleNs;
    private long lastSlowCycleLogNs;
    private String lastCyclePhase = "";

    private final NodeConfig config;
    private final SegmentedLog log;
    private final KeyValueStore store;
    private final NodeStateFile nodeStateFile;
    private final TransportNode transport;
    private final ApplyAgent applier;
    private final System.Logger logger;
    private final int nodeId;
    private final int clusterSize;

    private final Decoders decoders = new Decoders();
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final UnsafeBuffer sendBuffer = new UnsafeBuffer(ByteBuffer.allocateDirect(2 * 1024 * 1024));
    private final ByteBuffer stagingByteBuffer = ByteBuffer.allocateDirect(2 * 1024 * 1024);
    private final UnsafeBuffer staging = new UnsafeBuffer(stagingByteBuffer);
    private final ExpandableArrayBuffer scratch = new ExpandableArrayBuffer(RecordDescriptor.MAX_KEY_LENGTH);

    private final AppendBatchEncoder appendBatchEncoder = new AppendBatchEncoder();
    private final HeartbeatEncoder heartbeatEncoder = new HeartbeatEncoder();
    private final AckEncoder ackEncoder = new AckEncoder();
    private final FetchFromEncoder fetchFromEncoder = new FetchFromEncoder();
    private final RefuseEncoder refuseEncoder = new RefuseEncoder();
    private final SnapshotChunkEncoder snapshotChunkEncoder = new SnapshotChunkEncoder();
    private final EpochEndRequestEncoder epochEndRequestEncoder = new EpochEndRequestEncoder();
    private final EpochEndResponseEncoder epochEndResponseEncoder = new EpochEndResponseEncoder();
    private final ConnectResponseEncoder connectResponseEncoder = new ConnectResponseEncoder();
    private final WriteResponseEncoder writeResponseEncoder = new WriteResponseEncoder();
    private final ReadResponseEncoder readResponseEncoder = new ReadResponseEncoder();
    private final TailResponseEncoder tailResponseEncoder = new TailResponseEncoder();
    private final StatusResponseEncoder statusResponseEncoder = new StatusResponseEncoder();
    private final ChecksumResponseEncoder checksumResponseEncoder = new ChecksumResponseEncoder();
    private final AdminResponseEncoder adminResponseEncoder = new AdminResponseEncoder();
    private final RequestVoteEncoder requestVoteEncoder = new RequestVoteEncoder();
    private final VoteEncoder voteEncoder = new VoteEncoder();
    private final HandoverEncoder handoverEncoder = new HandoverEncoder();

    private final MessageAdapter clientAdapter;
    private final MessageAdapter adminAdapter;
    private final MessageAdapter replicationAdapter;
    private final MessageAdapter feedbackAdapter;
    private final MessageAdapter electionAdapter;
    private final ClientSessions sessions;
    private final FollowerProgress[] followers;
    private final BoundedPublisher[] feedbackToPeer;
    private final BoundedPublisher[] electionToPeer;
    private final long[] durableScratch;

    // leader
    private final RingBuffer<WriteEvent> ring;
    private final EventPoller<WriteEvent> poller;
    private final EventPoller.Handler<WriteEvent> journalResultHandler = this::onJournalResult;
    private final PendingWrites quorumWaits;
    private final PendingWrites allWaits;
    private final DedupWindow dedup = new DedupWindow(DEDUP_WINDOW, DEDUP_PRESENCE_SPAN, DEDUP_MAX_CLIENTS);
    private final DuplicateCheck duplicates;
    private final PendingWrites.Completion quorumDone = (c, client, offset, epoch, timedOut, count) ->
        onWaitDone(c, client, offset, epoch, timedOut, AckLevel.QUORUM, count);
    private final PendingWrites.Completion allDone = (c, client, offset, epoch, timedOut, count) ->
        onWaitDone(c, client, offset, epoch, timedOut, AckLevel.ALL, count);
    private long epochStartOffset = -1;
    private String batchFailure;
    private long lastExpireNs;

    // follower
    private enum FollowerState
    {
        AWAIT_LEADER, NEED_EPOCH_END, REWINDING, FETCHING, SNAPSHOT, INSTALLING
    }

    /** REWINDING: where the log is cut once the store has gone back to at or below it. */
    private long pendingCutOffset = -1;

    private FollowerState followerState = FollowerState.AWAIT_LEADER;
    private final AppendBatchAssembler assembler = new AppendBatchAssembler(BatchDescriptor.MAX_BATCH_LENGTH);
    private long leaderCommitOffset;
    private long leaderLogEndOffset;
    private long lastFetchRequestNs;
    private long lastEpochEndRequestNs;
    private long lastAckSentNs;
    private long lastAppendNs;
    private long lastAckedDurable = -1;
    private long lastAckedApplied = -1;
    private boolean appendedSinceFlush;
    private SnapshotReceiver snapshotReceiver;
    private long receivingSnapshotOffset = -1;
    private long receivedSnapshotBytes;
    private int epochEndQuestion = Integer.MIN_VALUE;

    private final List<ClientSessions.Session> pendingConnectReplies = new ArrayList<>();

    // reads waiting for the applied offset
    private final List<ReadWait> readWaits = new ArrayList<>();

    private record ReadWait(long correlationId, long clientId, long minOffset, long deadlineNs, byte[] key)
    {
    }

    private volatile Role role = Role.FOLLOWER;
    private volatile boolean stopping;
    private volatile int pendingWriteCount;
    private volatile int epoch;
    private volatile int leaderId = -1;
    private volatile long commitOffset;
    private final long heartbeatIntervalNs;
    private final long defaultTimeoutNs;
    private final CRC32C checksum = new CRC32C();
    private final RecordCursor cursor = new RecordCursor();

    private final ElectionState election;
    private final FollowerFlusher flusher;
    /** The epoch this node leads, -1 when it does not: the journal thread appends only under it. */
    private volatile int leadingEpoch = -1;
    /** After stepping down: journal results still to collect before this node may append as a follower. */
    private boolean journalDraining;
    /** Switchover under way: the leader keeps its role and replicates, but takes no new writes. */
    private boolean writesStopped;
    private long writesStoppedAtNs;
    /** Newest Heartbeat.leaderTimestampNs from the current leader in the current epoch, echoed in every Ack. */
    private long echoTimestampNs = -1;
    private long nextBootstrapNs;
    private volatile long electionsStarted;
    private volatile long quarantinedRecords;
    private volatile long leaderDepositions;
    // Resync progress (follower): a rate over the last window, logged while far behind.
    private long resyncWindowStartNs;
    private long resyncWindowStartOffset;
    private long resyncWindowBytes;
    private volatile long resyncRecordsPerSecond;
    private volatile long resyncBytesPerSecond;
    private long lastResyncLogNs;
    private volatile long writesWithoutSession;
    private volatile long staleEpochRefusals;
    private volatile long invalidBatchesFromLeader;

    NodeAgent(final NodeConfig config, final SegmentedLog log, final KeyValueStore store, final NodeStateFile nodeStateFile,
        final TransportNode transport, final RingBuffer<WriteEvent> ring, final EventPoller<WriteEvent> poller,
        final ApplyAgent applier, final System.Logger logger)
    {
        this.config = config;
        this.log = log;
        this.store = store;
        this.nodeStateFile = nodeStateFile;
        this.transport = transport;
        this.ring = ring;
        this.poller = poller;
        this.applier = applier;
        this.logger = logger;
        this.nodeId = config.nodeId();
        this.clusterSize = config.members().size();
        this.heartbeatIntervalNs = TimeUnit.MILLISECONDS.toNanos(config.heartbeatIntervalMs());
        this.defaultTimeoutNs = TimeUnit.MILLISECONDS.toNanos(config.requestTimeoutMs());
        this.quorumWaits = new PendingWrites(config.pendingMax());
        this.allWaits = new PendingWrites(config.pendingMax());
        this.durableScratch = new long[clusterSize];
        this.sessions = new ClientSessions(transport, MAX_CLIENT_SESSIONS);
        this.duplicates = new DuplicateCheck(dedup, new StoreSequences(), new LogSearch(), DEDUP_SEARCH_BYTES);

        clientAdapter = transport.addAdapter(TransportStream.CLIENT_INGRESS, "client-ingress", this::onClientMessage);
        adminAdapter = transport.addAdapter(TransportStream.ADMIN, "admin", this::onAdminMessage);
        replicationAdapter = transport.addAdapter(TransportStream.REPLICATION, "replication", this::onReplicationMessage);
        feedbackAdapter = transport.addAdapter(TransportStream.REPLICATION_FEEDBACK, "feedback", this::onFeedbackMessage);
        electionAdapter = transport.addAdapter(TransportStream.ELECTION, "election", this::onElectionMessage);

        final int maxId = config.members().keySet().stream().mapToInt(Integer::intValue).max().orElse(0);
        followers = new FollowerProgress[maxId + 1];
        feedbackToPeer = new BoundedPublisher[maxId + 1];
        electionToPeer = new BoundedPublisher[maxId + 1];
        for (final Map.Entry<Integer, NodeConfig.Member> entry : config.members().entrySet())
        {
            final int id = entry.getKey();
            if (id == nodeId)
            {
                continue;
            }
            final NodeConfig.Member member = entry.getValue();
            final BoundedPublisher election = transport.addPublisher(member.host(), member.port(),
                TransportStream.ELECTION, "election-to-" + id);
            electionToPeer[id] = election;
            feedbackToPeer[id] = transport.addPublisher(member.host(), member.port(),
                TransportStream.REPLICATION_FEEDBACK, "feedback-to-" + id);
            followers[id] = new FollowerProgress(id, transport.addPublisher(member.host(), member.port(),
                TransportStream.REPLICATION, "replication-to-" + id), election);
        }
        this.flusher = new FollowerFlusher(log, nodeId, logger);
        this.election = new ElectionState(config.electionConfig(), new StateFilePersistence(), new LocalLogView(),
            new ElectionOutbox(), new SplittableRandom(), nowMs(System.nanoTime()));
    }

    private static long nowMs(final long nowNs)
    {
        // The election's clock and Heartbeat.leaderTimestampNs are the same monotonic clock, so an echoed
        // timestamp can be compared with "now" on the leader.
        return nowNs / 1_000_000;
    }

    // ---------------------------------------------------------------------------------------------
    // Lifecycle

    @Override
    public void onStart()
    {
        // A node never resumes leadership after a restart: it starts as a follower of the leader it last
        // knew, at its persisted epoch, and an election decides (ELECTION.md, "Restart").
        epoch = election.epoch();
        leaderId = election.leaderId();
        commitOffset = store.appliedOffset();
        role = Role.FOLLOWER;
        followerState = FollowerState.AWAIT_LEADER;
        logger.log(INFO, "Node " + nodeId + " starts as a follower at epoch " + epoch + (leaderId > 0 ?
            " (last leader: node " + leaderId + ")" : "") + ", log [" + log.logStartOffset() + ", " +
            log.logEndOffset() + "), " + (config.electionConfig().autoFailoverEnabled() ? "automatic failover on" :
            config.electionConfig().autoFailoverDisabledReason()));
        flusher.start();
        bootstrapIfNew(System.nanoTime());
    }

    /**
     * A brand-new cluster (epoch 0, empty log) has never had a leader: the node named by
     * {@code logship.cluster.leader} stands at once, and again every election timeout until some leader is
     * known. This is also how a new two-node cluster gets its first leader without an operator.
     */
    private void bootstrapIfNew(final long nowNs)
    {
        if (config.leaderId() != nodeId || !neverLed() || election.role() != ElectionState.Role.FOLLOWER ||
            election.leaderId() > 0 || nowNs < nextBootstrapNs)
        {
            return;
        }
        nextBootstrapNs = nowNs + TimeUnit.MILLISECONDS.toNanos(2 * config.electionConfig().electionTimeoutMs());
        final ElectionState.AdminOutcome outcome = election.promote(nowMs(nowNs), nodeId, false);
        logger.log(INFO, "Bootstrap of a new cluster: " + outcome.message());
    }

    private boolean neverLed()
    {
        return log.epochHistory().latestEpoch() == EpochHistory.UNDEFINED_EPOCH && log.logEndOffset() == 0;
    }

    /** Starts leading {@code newEpoch} (already persisted by the election): the NOOP that opens it goes first. */
    private void startLeading(final int newEpoch)
    {
        // Never fsync on the conductor here (a follower fsync can take a second on this disk): the flusher
        // forces what this node appended as a follower, and the NOOP's own fsync forces the segment anyway.
        if (appendedSinceFlush)
        {
            appendedSinceFlush = false;
            flusher.request();
        }
        epoch = newEpoch;
        leaderId = nodeId;
        role = Role.LEADER;
        writesStopped = false;
        epochStartOffset = -1;
        cancelSnapshotReceive();
        final long nowNs = System.nanoTime();
        for (final FollowerProgress follower : followers)
        {
            if (null != follower)
            {
                follower.reset();
                follower.lastAckNs = 0;
                // Heartbeat before the window rebuild below: followers learn of the epoch, and their acks start
                // this leader's lease, while the conductor reads the log.
                follower.lastHeartbeatNs = nowNs;
                sendHeartbeat(follower, nowNs);
            }
        }
        leadingEpoch = newEpoch;
        final long sequence = ring.next();
        final WriteEvent event = ring.get(sequence);
        event.kind = WriteEvent.KIND_EPOCH_START;
        event.clientId = 0;
        event.idempotent = false;
        ring.publish(sequence);
        // Offsets in the window may belong to a suffix cut since this node last led: learn them from the log again.
        // Client writes wait in their stream meanwhile; none is taken before the window is whole.
        final long rebuildStartNs = System.nanoTime();
        rebuildDedupWindow();
        final long rebuildNs = System.nanoTime() - rebuildStartNs;
        logger.log(INFO, "Node " + nodeId + " leads epoch " + newEpoch + " of a " + clusterSize + "-node cluster, log [" +
            log.logStartOffset() + ", " + log.logEndOffset() + "), store applied to " + store.appliedOffset() +
            " (de-duplication window rebuilt in " + TimeUnit.NANOSECONDS.toMillis(rebuildNs) + " ms)");
    }

    private void cancelSnapshotReceive()
    {
        if (null != snapshotReceiver)
        {
            snapshotReceiver.close();
            snapshotReceiver = null;
        }
        if (followerState != FollowerState.INSTALLING)
        {
            receivingSnapshotOffset = -1;
        }
    }

    /**
     * Learns the idempotent writes of about the last {@link #DEDUP_REBUILD_BYTES} of log, so retries of writes
     * taken by the previous leader are de-duplicated: the window covers the log from there on.
     */
    private void rebuildDedupWindow()
    {
        long offset = offsetBytesBelow(log.logEndOffset(), DEDUP_REBUILD_BYTES);
        dedup.reset(offset);
        while (offset < log.logEndOffset())
        {
            stagingByteBuffer.clear();
            final int length = log.read(offset, 1024 * 1024, stagingByteBuffer);
            int position = 0;
            while (position < length)
            {
                cursor.wrap(staging, position);
                while (cursor.next())
                {
                    if (cursor.idempotent())
                    {
                        dedup.onAppended(cursor.clientId(), cursor.sequence(), cursor.offset());
                    }
                }
                offset = BatchDescriptor.nextOffset(staging, position);
                position += BatchDescriptor.length(staging, position);
            }
            if (length == 0)
            {
                break;
            }
        }
    }

    /**
     * An offset about {@code bytes} of log below {@code offset}, not below the log start: an estimate from the
     * average record size. Reading whole segments (up to 2 x 128 MiB) to rebuild the window blocked the
     * conductor of a newly elected leader for longer than its lease, which then expired at once; the
     * de-duplication searches bound what they read the same way.
     */
    private long offsetBytesBelow(final long offset, final long bytes)
    {
        final long start = log.logStartOffset();
        final long records = log.logEndOffset() - start;
        if (records <= 0)
        {
            return Math.max(start, Math.min(offset, log.logEndOffset()));
        }
        final long recordBytes = Math.max(1, log.sizeBytes() / records);
        return Math.max(start, offset - bytes / recordBytes);
    }

    /** The store's de-duplication table, as {@link DuplicateCheck} reads it. */
    private final class StoreSequences implements DuplicateCheck.Store
    {
        @Override
        public long appliedOffset()
        {
            return store.appliedOffset();
        }

        @Override
        public long lastSequence(final long clientId)
        {
            return store.lastSequence(clientId);
        }

        @Override
        public long offsetOfLastSequence(final long clientId)
        {
            return store.offsetOfLastSequence(clientId);
        }
    }

    /** Searches of the log for one idempotent record, for {@link DuplicateCheck} (conductor thread, staging buffer). */
    private final class LogSearch implements DuplicateCheck.Log
    {
        private long bytesRead;

        @Override
        public long startOffset()
        {
            return log.logStartOffset();
        }

        @Override
        public long endOffset()
        {
            return log.logEndOffset();
        }

        @Override
        public long offsetBytesBelow(final long offset, final long bytes)
        {
            return NodeAgent.this.offsetBytesBelow(offset, bytes);
        }

        @Override
        public long find(final long clientId, final long lowSequence, final long highSequence, final long from,
            final long to, final long maxBytes)
        {
            bytesRead = 0;
            long offset = from;
            try
            {
                while (offset < to)
                {
                    if (bytesRead >= maxBytes)
                    {
                        return INCOMPLETE;
                    }
                    stagingByteBuffer.clear();
                    final int length = log.read(offset, 1024 * 1024, stagingByteBuffer);
                    if (length == 0)
                    {
                        return NOT_FOUND; // the log end moved below the range (a truncation): nothing more
                    }
                    bytesRead += length;
                    int position = 0;
                    while (position < length && offset < to)
                    {
                        cursor.wrap(staging, position);
                        while (cursor.next())
                        {
                            // Any match is the original, even one just outside the range (the first batch read
                            // starts below it): the leader's log holds each (client id, sequence) once.
                            if (cursor.idempotent() && cursor.clientId() == clientId &&
                                cursor.sequence() >= lowSequence && cursor.sequence() <= highSequence)
                            {
                                return cursor.offset();
                            }
                        }
                        offset = BatchDescriptor.nextOffset(staging, position);
                        position += BatchDescriptor.length(staging, position);
                    }
                }
                return NOT_FOUND;
            }
            catch (final OffsetOutOfRangeException ex)
            {
                return INCOMPLETE; // retention removed what was to be read: the answer is not known
            }
        }

        @Override
        public long bytesRead()
        {
            return bytesRead;
        }
    }

    @Override
    public void onClose()
    {
        flusher.close();
        if (role == Role.LEADER || role == Role.FENCED)
        {
            final PendingWrites.Completion unavailable = (c, client, offset, offsetEpoch, timedOut, count) ->
            {
                final ClientSessions.Session session = sessions.get(client, 0);
                if (null != session)
                {
                    // Retryable: the client resends with the same sequence and gets the original offset.
                    sendWriteResponse(session, c, offset - count + 1, Status.UNAVAILABLE, AckLevel.LEADER, "node " +
                        nodeId + " stopped before the write at offset " + offset + " was acknowledged; retry",
                        offsetEpoch, count);
                }
            };
            quorumWaits.drain(unavailable);
            allWaits.drain(unavailable);
        }
        for (final FollowerProgress follower : followers)
        {
            if (null != follower)
            {
                follower.closeSnapshot();
            }
        }
        if (null != snapshotReceiver)
        {
            snapshotReceiver.close();
        }
        sessions.close();
    }

    @Override
    public String roleName()
    {
        return "conductor-" + nodeId;
    }

    // ---------------------------------------------------------------------------------------------
    // Duty cycle

    @Override
    public int doWork()
    {
        final long nowNs = System.nanoTime();
        if (nowNs - lastDutyCycleNs > SLOW_CYCLE_NS && lastDutyCycleNs != 0 && nowNs - lastSlowCycleLogNs > SLOW_CYCLE_NS * 10)
        {
            // A stalled conductor neither sends nor acks heartbeats: past the lease, that costs an election.
            lastSlowCycleLogNs = nowNs;
            logger.log(WARNING, "Node " + nodeId + " conductor stalled for " +
                TimeUnit.NANOSECONDS.toMillis(nowNs - lastDutyCycleNs) + " ms (" + lastCyclePhase + ")");
        }
        lastDutyCycleNs = nowNs;
        lastCyclePhase = "duty cycle";
        duplicates.onDutyCycle();
        if (role != Role.FENCED)
        {
            // A fenced node (its log failed) never stands for election; it still votes and serves reads.
            election.onTick(nowMs(nowNs));
            bootstrapIfNew(nowNs);
        }
        if (null != config.faultsFile() && nowNs - lastFaultsCheckNs >= FAULTS_CHECK_INTERVAL_NS)
        {
            lastFaultsCheckNs = nowNs;
            checkFaults();
        }
        int work = clientAdapter.poll(FRAGMENT_LIMIT);
        work += adminAdapter.poll(FRAGMENT_LIMIT);
        work += electionAdapter.poll(FRAGMENT_LIMIT);
        if (role == Role.LEADER)
        {
            work += leaderWork(nowNs);
        }
        else if (journalDraining)
        {
            work += drainJournal();
        }
        else
        {
            work += followerWork(nowNs);
        }
        if (!pendingConnectReplies.isEmpty())
        {
            work += sendPendingConnectReplies(nowNs);
        }
        if (!readWaits.isEmpty())
        {
            work += serviceReadWaits(nowNs);
        }
        return work;
    }

    private int leaderWork(final long nowNs)
    {
        lastCyclePhase = "leader work";
        int work = 0;
        work += pollJournalResults();
        work += feedbackAdapter.poll(FRAGMENT_LIMIT);
        work += replicationAdapter.poll(FRAGMENT_LIMIT); // a leader of a higher epoch deposes this one
        if (role != Role.LEADER)
        {
            return work;
        }
        if (log.isFailed())
        {
            logger.log(ERROR, "Node " + nodeId + " is FENCED: its log failed; it steps down and takes no more " +
                "writes. Restart it once the disk is fixed.");
            election.demote(nowMs(nowNs));
            role = Role.FENCED;
            return work;
        }
        updateCommitOffset();
        pendingWriteCount = quorumWaits.size() + allWaits.size() + (int)(ring.getCursor() - poller.getSequence().get());
        if (election.canAcknowledge(nowMs(nowNs)))
        {
            // Without the lease, committed writes wait: the lease, a new leader, or a step-down answers them.
            work += quorumWaits.completeBelow(commitOffset, quorumDone);
            work += allWaits.completeBelow(Math.min(commitOffset, lowestDurableOffset()), allDone);
        }
        if (nowNs - lastExpireNs >= EXPIRE_INTERVAL_NS)
        {
            lastExpireNs = nowNs;
            work += quorumWaits.expire(nowNs, quorumDone);
            work += allWaits.expire(nowNs, allDone);
        }
        for (final FollowerProgress follower : followers)
        {
            if (null != follower)
            {
                work += shipTo(follower, nowNs);
                if (nowNs - follower.lastHeartbeatNs >= heartbeatIntervalNs)
                {
                    follower.lastHeartbeatNs = nowNs;
                    sendHeartbeat(follower, nowNs);
                }
            }
        }
        return work;
    }

    /**
     * Fault injection: reads {@code logship.node.faults.file}. While it exists, every peer id it lists is cut
     * off both ways: this node's publications to it drop every message, and messages from it are dropped on
     * arrival (by the sender id each replication and election message carries). A partition, as the
     * system tests make one, without touching the network.
     */
    private void checkFaults()
    {
        boolean[] isolated = null;
        try
        {
            if (java.nio.file.Files.exists(config.faultsFile()))
            {
                isolated = new boolean[followers.length];
                for (final String part : java.nio.file.Files.readString(config.faultsFile()).split("[,\\s]+"))
                {
                    if (!part.isBlank())
                    {
                        final int id = Integer.parseInt(part.trim());
                        if (id > 0 && id < isolated.length && id != nodeId)
                        {
                            isolated[id] = true;
                        }
                    }
                }
            }
        }
        catch (final java.io.IOException | NumberFormatException ex)
        {
            logger.log(WARNING, "faults file " + config.faultsFile() + " unreadable: " + ex + "; no peer is cut off");
            isolated = null;
        }
        if (java.util.Arrays.equals(isolated, isolatedPeers))
        {
            return;
        }
        isolatedPeers = isolated;
        final List<Integer> cutOff = new ArrayList<>();
        for (int id = 1; id < followers.length; id++)
        {
            final boolean cut = null != isolated && isolated[id];
            if (cut)
            {
                cutOff.add(id);
            }
            if (null != followers[id])
            {
                followers[id].replication.dropAll(cut);
                feedbackToPeer[id].dropAll(cut);
                electionToPeer[id].dropAll(cut);
            }
        }
        logger.log(WARNING, "Faults file " + config.faultsFile() + ": " + (cutOff.isEmpty() ? "no peer cut off" :
            "cut off from peers " + cutOff));
    }

    /** Whether a message from {@code peerId} is dropped by fault injection (counted). */
    private boolean faultDropped(final int peerId)
    {
        final boolean[] isolated = isolatedPeers;
        if (null != isolated && peerId > 0 && peerId < isolated.length && isolated[peerId])
        {
            faultDroppedMessages++;
            return true;
        }
        return false;
    }

    /** The peer that sent a replication, feedback or election message, from the id field it carries; -1 if none. */
    private int senderOf(final int templateId, final DirectBuffer buffer, final int offset, final int length)
    {
        return switch (templateId)
        {
            case AppendBatchDecoder.TEMPLATE_ID -> decoders.appendBatch(buffer, offset, length).leaderId();
            case HeartbeatDecoder.TEMPLATE_ID -> decoders.heartbeat(buffer, offset, length).leaderId();
            case SnapshotChunkDecoder.TEMPLATE_ID -> decoders.snapshotChunk(buffer, offset, length).leaderId();
            case AckDecoder.TEMPLATE_ID -> decoders.ack(buffer, offset, length).nodeId();
            case FetchFromDecoder.TEMPLATE_ID -> decoders.fetchFrom(buffer, offset, length).nodeId();
            case RefuseDecoder.TEMPLATE_ID -> decoders.refuse(buffer, offset, length).nodeId();
            case RequestVoteDecoder.TEMPLATE_ID -> decoders.requestVote(buffer, offset, length).candidateId();
            case VoteDecoder.TEMPLATE_ID -> decoders.vote(buffer, offset, length).voterId();
            case EpochEndRequestDecoder.TEMPLATE_ID -> decoders.epochEndRequest(buffer, offset, length).nodeId();
            case EpochEndResponseDecoder.TEMPLATE_ID -> decoders.epochEndResponse(buffer, offset, length).nodeId();
            case HandoverDecoder.TEMPLATE_ID -> decoders.handover(buffer, offset, length).leaderId();
            default -> -1;
        };
    }

    /**
     * After a step-down the journal thread may still hold writes of the old epoch; they fail (the epoch gate)
     * or finish, and their results are answered here. Only once the ring is empty may this node append as a
     * follower: two threads must never append to the log at once.
     */
    private int pollJournalResults()
    {
        try
        {
            return poller.poll(journalResultHandler) == EventPoller.PollState.PROCESSING ? 1 : 0;
        }
        catch (final Exception ex)
        {
            throw new LogshipException("journal result handling failed: " + ex, LogshipException.Category.FATAL, ex);
        }
    }

    private int drainJournal()
    {
        int work = 0;
        work += pollJournalResults();
        if (poller.getSequence().get() >= ring.getCursor())
        {
            journalDraining = false;
            pendingWriteCount = 0;
            work++;
        }
        return work;
    }

    // ---------------------------------------------------------------------------------------------
    // Leader: write intake

    private void onClientMessage(
        final int templateId, final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        final long nowNs = System.nanoTime();
        switch (templateId)
        {
            case ConnectDecoder.TEMPLATE_ID -> onConnect(decoders.connect(buffer, offset, length), nowNs);
            case WriteRequestDecoder.TEMPLATE_ID -> onWriteRequest(decoders.writeRequest(buffer, offset, length), nowNs);
            case WriteBatchRequestDecoder.TEMPLATE_ID ->
                onWriteBatchRequest(decoders.writeBatchRequest(buffer, offset, length), nowNs);
            case ReadRequestDecoder.TEMPLATE_ID -> onReadRequest(decoders.readRequest(buffer, offset, length), nowNs);
            case TailRequestDecoder.TEMPLATE_ID -> onTailRequest(decoders.tailRequest(buffer, offset, length), nowNs);
            default -> logger.log(WARNING, "unexpected " + io.logship.transport.MessageTypes.describe(templateId) + " on client ingress");
        }
    }

    private void onConnect(final ConnectDecoder decoder, final long nowNs)
    {
        final long clientId = decoder.clientId();
        final int streamId = decoder.responseStreamId();
        final String channel = decoder.responseChannel();
        if (!channel.startsWith("aeron:"))
        {
            logger.log(WARNING, "Connect from client " + clientId + " with invalid response channel '" + channel + "'");
            return;
        }
        final ClientSessions.Session session = sessions.connect(clientId, channel, streamId, nowNs);
        session.connectReplyDeadlineNs = nowNs + CONNECT_REPLY_TIMEOUT_NS;
        if (!trySendConnectReply(session) && !pendingConnectReplies.contains(session))
        {
            pendingConnectReplies.add(session); // its publication is still connecting
        }
    }

    private int sendPendingConnectReplies(final long nowNs)
    {
        int sent = 0;
        for (int i = pendingConnectReplies.size() - 1; i >= 0; i--)
        {
            final ClientSessions.Session session = pendingConnectReplies.get(i);
            if (session.connectReplyDeadlineNs == 0 || nowNs - session.connectReplyDeadlineNs > 0 ||
                trySendConnectReply(session))
            {
                session.connectReplyDeadlineNs = 0;
                pendingConnectReplies.remove(i);
                sent++;
            }
        }
        return sent;
    }

    private boolean trySendConnectReply(final ClientSessions.Session session)
    {
        if (!session.publisher.isConnected())
        {
            return false;
        }
        connectResponseEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
            .clientId(session.clientId).nodeId(nodeId).leaderId(leaderId).epoch(epoch).status(Status.OK);
        if (session.publisher.offer(connectResponseEncoder).isSent())
        {
            session.connectReplyDeadlineNs = 0;
            return true;
        }
        return false;
    }

    private void onWriteRequest(final WriteRequestDecoder decoder, final long nowNs)
    {
        final long correlationId = decoder.correlationId();
        final long clientId = decoder.clientId();
        final long sequence = decoder.sequence();
        final ClientSessions.Session session = sessions.get(clientId, nowNs);
        if (null == session)
        {
            writesWithoutSession++;
            return; // the client reconnects when its request times out
        }
        if (stopping)
        {
            sendWriteResponse(session, correlationId, -1, Status.UNAVAILABLE, null, "node " + nodeId +
                " is stopping; retry at the next leader");
            return;
        }
        if (role != Role.LEADER)
        {
            final Status status = role == Role.FENCED ? Status.FENCED : Status.NOT_LEADER;
            sendWriteResponse(session, correlationId, -1, status, null, role == Role.FENCED ?
                "node " + nodeId + " is fenced after a storage failure and takes no writes" :
                "node " + nodeId + " is not the leader; " + (leaderId > 0 ? "node " + leaderId + " leads epoch " + epoch :
                "no leader is known in epoch " + epoch + " (an election may be under way)"));
            return;
        }
        final String notTaking = writeRefusal(nowNs);
        if (null != notTaking)
        {
            sendWriteResponse(session, correlationId, -1, Status.UNAVAILABLE, null, notTaking);
            return;
        }
        final AckLevel ackLevel = decoder.ackLevel() == AckLevel.NULL_VAL ? defaultAckLevel() : decoder.ackLevel();
        final io.logship.transport.codec.RecordType type = decoder.recordType();
        if (type != io.logship.transport.codec.RecordType.PUT && type != io.logship.transport.codec.RecordType.DELETE)
        {
            sendWriteResponse(session, correlationId, -1, Status.INVALID, null, "recordType " + type +
                " is invalid: expected PUT or DELETE");
            return;
        }
        final long timeoutNs = decoder.timeoutMs() > 0 ?
            Math.min(TimeUnit.MILLISECONDS.toNanos(decoder.timeoutMs()), 10 * defaultTimeoutNs) : defaultTimeoutNs;
        final int keyLength = decoder.keyLength();
        if (keyLength > RecordDescriptor.MAX_KEY_LENGTH)
        {
            sendWriteResponse(session, correlationId, -1, Status.INVALID, null, "key length " + keyLength +
                " exceeds the limit of " + RecordDescriptor.MAX_KEY_LENGTH + " bytes");
            return;
        }
        decoder.getKey(scratch, 0, keyLength);
        final int valueLength = decoder.valueLength();
        final int recordLength = RecordDescriptor.recordLength(keyLength, valueLength, true);
        if (valueLength > RecordDescriptor.MAX_VALUE_LENGTH ||
            recordLength + BatchDescriptor.HEADER_LENGTH > config.batchMaxBytes())
        {
            sendWriteResponse(session, correlationId, -1, Status.INVALID, null, "value length " + valueLength +
                " exceeds the limit of " + Math.min(RecordDescriptor.MAX_VALUE_LENGTH, config.batchMaxBytes() -
                BatchDescriptor.HEADER_LENGTH - RecordDescriptor.recordLength(keyLength, 0, true)) +
                " bytes (" + NodeConfig.BATCH_MAX_BYTES_PROP + "=" + config.batchMaxBytes() + ")");
            return;
        }

        if (sequence > 0)
        {
            final long original = duplicates.check(clientId, sequence);
            if (original >= 0)
            {
                answerDuplicate(session, correlationId, clientId, original, ackLevel, nowNs + timeoutNs);
                return;
            }
            if (original != DuplicateCheck.NEW)
            {
                sendDuplicateRefusal(session, correlationId, original, "sequence " + sequence + " of client " +
                    clientId + " is", 1);
                return;
            }
        }

        if (quorumWaits.isFull() || allWaits.isFull())
        {
            sendWriteResponse(session, correlationId, -1, Status.BUSY, null, "node " + nodeId + " has " +
                config.pendingMax() + " writes waiting for acknowledgement; retry later");
            return;
        }
        final long slot;
        try
        {
            slot = ring.tryNext();
        }
        catch (final InsufficientCapacityException ex)
        {
            sendWriteResponse(session, correlationId, -1, Status.BUSY, null, "write ring of node " + nodeId +
                " is full; retry later");
            return;
        }
        final WriteEvent event = ring.get(slot);
        event.kind = WriteEvent.KIND_WRITE;
        event.correlationId = correlationId;
        event.clientId = clientId;
        event.idempotent = sequence > 0;
        event.sequence = sequence;
        event.batchCount = 0;
        event.batchMember = false;
        event.ackLevel = (byte)ackLevel.value();
        event.recordType = type == io.logship.transport.codec.RecordType.PUT ?
            io.logship.log.RecordType.PUT.code() : io.logship.log.RecordType.DELETE.code();
        event.deadlineNs = nowNs + timeoutNs;
        event.keyLength = keyLength;
        event.valueLength = valueLength;
        event.payload.putBytes(0, scratch, 0, keyLength);
        event.payload.checkLimit(keyLength + valueLength);
        decoder.getValue(event.payload, keyLength, valueLength);
        ring.publish(slot);
        if (sequence > 0)
        {
            dedup.onPublished(clientId, sequence);
        }
    }

    /**
     * Client-side batching: {@code count} records with sequences {@code firstSequence ..}, claimed as
     * consecutive ring slots so the journal gives them consecutive offsets; only the last slot answers,
     * once it reaches the ack level (the others are below it), with the first offset and the count. A
     * retried batch is recognised by its last sequence and answered with its original offsets.
     */
    private void onWriteBatchRequest(final WriteBatchRequestDecoder decoder, final long nowNs)
    {
        final long correlationId = decoder.correlationId();
        final long clientId = decoder.clientId();
        final long firstSequence = decoder.firstSequence();
        final ClientSessions.Session session = sessions.get(clientId, nowNs);
        if (null == session)
        {
            writesWithoutSession++;
            return;
        }
        final AckLevel ackLevel = decoder.ackLevel() == AckLevel.NULL_VAL ? defaultAckLevel() : decoder.ackLevel();
        final long timeoutNs = decoder.timeoutMs() > 0 ?
            Math.min(TimeUnit.MILLISECONDS.toNanos(decoder.timeoutMs()), 10 * defaultTimeoutNs) : defaultTimeoutNs;
        final int limit = decoder.limit();
        WriteBatchRequestDecoder.RecordsDecoder records = decoder.records();
        final int count = records.count();
        final String notTaking = role == Role.LEADER && !stopping ? writeRefusal(nowNs) : null;
        if (null != notTaking)
        {
            sendWriteResponse(session, correlationId, -1, Status.UNAVAILABLE, null, notTaking, epoch, count);
            return;
        }
        final String refusal = role == Role.LEADER && !stopping ? validateBatch(records) : null;
        if (stopping || role != Role.LEADER || null != refusal || count == 0 || firstSequence <= 0)
        {
            final Status status = stopping ? Status.UNAVAILABLE : role == Role.FENCED ? Status.FENCED :
                role != Role.LEADER ? Status.NOT_LEADER : Status.INVALID;
            sendWriteResponse(session, correlationId, -1, status, null, null != refusal ? refusal :
                count == 0 || firstSequence <= 0 ? "a batch needs at least one record and a sequence above 0" :
                stopping ? "node " + nodeId + " is stopping; retry at the next leader" :
                "node " + nodeId + " is not the leader; node " + leaderId + " leads epoch " + epoch, epoch, count);
            return;
        }
        final long original = duplicates.checkBatch(clientId, firstSequence, count);
        if (original >= 0)
        {
            answerDuplicateBatch(session, correlationId, clientId, original, count, ackLevel, nowNs + timeoutNs);
            return;
        }
        if (original != DuplicateCheck.NEW)
        {
            sendDuplicateRefusal(session, correlationId, original, "sequences " + firstSequence + ".." +
                (firstSequence + count - 1) + " of client " + clientId + " are", count);
            return;
        }
        if (quorumWaits.isFull() || allWaits.isFull())
        {
            sendWriteResponse(session, correlationId, -1, Status.BUSY, null, "node " + nodeId + " has " +
                config.pendingMax() + " writes waiting for acknowledgement; retry later", epoch, count);
            return;
        }
        final long hi;
        try
        {
            hi = ring.tryNext(count);
        }
        catch (final InsufficientCapacityException ex)
        {
            sendWriteResponse(session, correlationId, -1, Status.BUSY, null, "write ring of node " + nodeId +
                " cannot take " + count + " records now; retry later", epoch, count);
            return;
        }
        final long lo = hi - count + 1;
        decoder.limit(limit);
        records = decoder.records();
        for (int i = 0; i < count; i++)
        {
            records.next();
            final WriteEvent event = ring.get(lo + i);
            event.kind = WriteEvent.KIND_WRITE;
            event.correlationId = correlationId;
            event.clientId = clientId;
            event.idempotent = true;
            event.sequence = firstSequence + i;
            event.ackLevel = (byte)ackLevel.value();
            event.recordType = records.recordType() == io.logship.transport.codec.RecordType.PUT ?
                io.logship.log.RecordType.PUT.code() : io.logship.log.RecordType.DELETE.code();
            event.deadlineNs = nowNs + timeoutNs;
            event.batchCount = i == count - 1 ? count : 0;
            event.batchMember = i != count - 1;
            final int keyLength = records.keyLength();
            event.payload.checkLimit(keyLength);
            records.getKey(event.payload, 0, keyLength);
            final int valueLength = records.valueLength();
            event.payload.checkLimit(keyLength + valueLength);
            records.getValue(event.payload, keyLength, valueLength);
            event.keyLength = keyLength;
            event.valueLength = valueLength;
        }
        ring.publish(lo, hi);
        for (int i = 0; i < count; i++)
        {
            dedup.onPublished(clientId, firstSequence + i);
        }
    }

    /** First pass over a batch: every record must be a PUT or DELETE that fits one log batch. */
    private String validateBatch(final WriteBatchRequestDecoder.RecordsDecoder records)
    {
        if (records.count() > config.ringSize() / 2)
        {
            return "a batch of " + records.count() + " records exceeds half the write ring (" +
                NodeConfig.RING_SIZE_PROP + "=" + config.ringSize() + ")";
        }
        String problem = null;
        while (records.hasNext())
        {
            records.next();
            final io.logship.transport.codec.RecordType type = records.recordType();
            final int keyLength = records.keyLength();
            records.skipKey();
            final int valueLength = records.valueLength();
            records.skipValue();
            if (null != problem)
            {
                continue;
            }
            if (type != io.logship.transport.codec.RecordType.PUT && type != io.logship.transport.codec.RecordType.DELETE)
            {
                problem = "recordType " + type + " is invalid: expected PUT or DELETE";
            }
            else if (keyLength > RecordDescriptor.MAX_KEY_LENGTH)
            {
                problem = "key length " + keyLength + " exceeds the limit of " + RecordDescriptor.MAX_KEY_LENGTH + " bytes";
            }
            else if (valueLength > RecordDescriptor.MAX_VALUE_LENGTH || RecordDescriptor.recordLength(keyLength,
                valueLength, true) + BatchDescriptor.HEADER_LENGTH > config.batchMaxBytes())
            {
                problem = "value length " + valueLength + " exceeds the limit of " + Math.min(
                    RecordDescriptor.MAX_VALUE_LENGTH, config.batchMaxBytes() - BatchDescriptor.HEADER_LENGTH -
                    RecordDescriptor.recordLength(keyLength, 0, true)) + " bytes (" + NodeConfig.BATCH_MAX_BYTES_PROP +
                    "=" + config.batchMaxBytes() + ")";
            }
        }
        return problem;
    }

    private void answerDuplicateBatch(final ClientSessions.Session session, final long correlationId,
        final long clientId, final long lastOffset, final int count, final AckLevel ackLevel, final long deadlineNs)
    {
        final int offsetEpoch = log.epochHistory().epochForOffset(lastOffset);
        final long reachedBelow = ackLevel == AckLevel.ALL ? Math.min(commitOffset, lowestDurableOffset()) :
            ackLevel == AckLevel.QUORUM ? commitOffset : Long.MAX_VALUE;
        if (lastOffset < reachedBelow)
        {
            sendWriteResponse(session, correlationId, lastOffset - count + 1, Status.OK, ackLevel, null, offsetEpoch,
                count);
        }
        else
        {
            (ackLevel == AckLevel.ALL ? allWaits : quorumWaits).add(correlationId, clientId, lastOffset, offsetEpoch,
                deadlineNs, count);
        }
    }

    /** Answers a write {@link DuplicateCheck} did not let through: BUSY if a retry will do, else INVALID and why. */
    private void sendDuplicateRefusal(final ClientSessions.Session session, final long correlationId,
        final long verdict, final String what, final int count)
    {
        if (verdict == DuplicateCheck.IN_FLIGHT)
        {
            sendWriteResponse(session, correlationId, -1, Status.BUSY, null, what + " still being written; retry",
                epoch, count);
        }
        else if (verdict == DuplicateCheck.DEFERRED)
        {
            sendWriteResponse(session, correlationId, -1, Status.BUSY, null, what + " a retry whose original the " +
                "leader must search its log for, and it has searched enough for now; retry", epoch, count);
        }
        else
        {
            sendWriteResponse(session, correlationId, -1, Status.INVALID, null, duplicates.refusal(), epoch, count);
        }
    }

    private void answerDuplicate(final ClientSessions.Session session, final long correlationId, final long clientId,
        final long offset, final AckLevel ackLevel, final long deadlineNs)
    {
        final int offsetEpoch = log.epochHistory().epochForOffset(offset);
        switch (ackLevel)
        {
            case QUORUM ->
            {
                if (offset < commitOffset)
                {
                    sendWriteResponse(session, correlationId, offset, Status.OK, AckLevel.QUORUM, null, offsetEpoch);
                }
                else
                {
                    quorumWaits.add(correlationId, clientId, offset, offsetEpoch, deadlineNs, 1);
                }
            }
            case ALL ->
            {
                if (offset < Math.min(commitOffset, lowestDurableOffset()))
                {
                    sendWriteResponse(session, correlationId, offset, Status.OK, AckLevel.ALL, null, offsetEpoch);
                }
                else
                {
                    allWaits.add(correlationId, clientId, offset, offsetEpoch, deadlineNs, 1);
                }
            }
            default -> sendWriteResponse(session, correlationId, offset, Status.OK, AckLevel.LEADER, null, offsetEpoch);
        }
    }

    /** Whether a slot is a non-final member of a WriteBatchRequest (its {@code batchMember} flag). */
    /** Why the leader takes no new writes right now (switchover, lease lapsed), or null if it does. */
    private String writeRefusal(final long nowNs)
    {
        if (writesStopped)
        {
            return "node " + nodeId + " is handing leadership over (switchover); retry in a moment";
        }
        if (!election.acceptsWrites(nowMs(nowNs)))
        {
            return "node " + nodeId + " leads epoch " + epoch + " but has not heard from a majority within its lease; " +
                "retry in a moment";
        }
        return null;
    }

    private static boolean isBatchMember(final WriteEvent event)
    {
        return event.batchMember;
    }

    private boolean onJournalResult(final WriteEvent event, final long sequence, final boolean endOfBatch)
    {
        if (event.kind == WriteEvent.KIND_EPOCH_START)
        {
            if (role != Role.LEADER || event.result == WriteEvent.RESULT_APPENDED && event.epoch != leadingEpoch)
            {
                return true; // the epoch it opened is over already
            }
            if (event.result == WriteEvent.RESULT_APPENDED)
            {
                epochStartOffset = event.offset;
                logger.log(INFO, "Epoch " + epoch + " opened with a NOOP at offset " + event.offset);
            }
            else
            {
                logger.log(ERROR, "Node " + nodeId + " could not open epoch " + epoch + ": " + event.error +
                    "; it is FENCED, steps down and takes no writes");
                election.demote(nowMs(System.nanoTime()));
                role = Role.FENCED;
            }
            return true;
        }
        final long clientId = event.clientId;
        if (event.idempotent)
        {
            dedup.onResult(clientId, event.sequence, event.result == WriteEvent.RESULT_APPENDED ? event.offset : -1);
        }
        if (isBatchMember(event))
        {
            // An earlier record of a batch: the batch's last record answers for all of them, and fails them
            // all if any was not stored (slots of one batch are consecutive, so nothing interleaves).
            if (event.result != WriteEvent.RESULT_APPENDED && null == batchFailure)
            {
                batchFailure = event.error;
            }
            return true;
        }
        final int count = Math.max(1, event.batchCount);
        final String memberFailure = batchFailure;
        batchFailure = null;
        final ClientSessions.Session session = sessions.get(clientId, 0);
        if (role != Role.LEADER || event.result == WriteEvent.RESULT_APPENDED && event.epoch != leadingEpoch)
        {
            // Stepped down while the write was in the ring: stored or not, it is the next leader's to answer.
            if (null != session)
            {
                sendWriteResponse(session, event.correlationId, -1, Status.NOT_LEADER, null, "node " + nodeId +
                    " stopped leading epoch " + event.epoch + " before the write was acknowledged; retry (the " +
                    "retry is de-duplicated if the write survived)", epoch, count);
            }
            return true;
        }
        if (event.result != WriteEvent.RESULT_APPENDED || null != memberFailure)
        {
            if (null != memberFailure)
            {
                event.error = "a record of this batch was not stored (" + memberFailure + "); records that were " +
                    "are de-duplicated when the batch is retried";
            }
            if (null != session)
            {
                sendWriteResponse(session, event.correlationId, -1, log.isFailed() ? Status.FENCED : Status.ERROR, null,
                    "write not stored: " + event.error, epoch, count);
            }
            return true;
        }
        final AckLevel ackLevel = AckLevel.get((short)event.ackLevel);
        switch (ackLevel)
        {
            case QUORUM -> quorumWaits.add(event.correlationId, clientId, event.offset, event.epoch, event.deadlineNs,
                count);
            case ALL -> allWaits.add(event.correlationId, clientId, event.offset, event.epoch, event.deadlineNs, count);
            default ->
            {
                if (null != session)
                {
                    sendWriteResponse(session, event.correlationId, event.offset - count + 1, Status.OK,
                        AckLevel.LEADER, null, event.epoch, count);
                }
            }
        }
        return true;
    }

    private void onWaitDone(final long correlationId, final long clientId, final long lastOffset, final int offsetEpoch,
        final boolean timedOut, final AckLevel level, final int count)
    {
        final long offset = lastOffset - count + 1;
        final ClientSessions.Session session = sessions.get(clientId, 0);
        if (null == session)
        {
            return;
        }
        if (!timedOut)
        {
            sendWriteResponse(session, correlationId, offset, Status.OK, level, null, offsetEpoch, count);
            return;
        }
        final boolean committed = lastOffset < commitOffset;
        final AckLevel reached = committed ? AckLevel.QUORUM : AckLevel.LEADER;
        final String message;
        if (role != Role.LEADER)
        {
            message = "node " + nodeId + " stopped leading before the write at offset " + offset + " reached " + level;
        }
        else if (level == AckLevel.ALL)
        {
            message = "ack level ALL not reached in time: the write at offset " + offset + " is durable on nodes " +
                nodesHolding(offset) + " of " + config.members().keySet() + (committed ?
                "; it is committed (quorum) and will reach the others when they return" :
                "; it is not committed yet");
        }
        else
        {
            message = "ack level QUORUM not reached in time: the write at offset " + offset + " is durable on nodes " +
                nodesHolding(offset) + " of " + config.members().keySet() + "; it will be committed once a majority has it";
        }
        sendWriteResponse(session, correlationId, offset, Status.TIMEOUT, reached, message, offsetEpoch, count);
    }

    private List<Integer> nodesHolding(final long offset)
    {
        final List<Integer> holders = new ArrayList<>();
        if (log.durableEndOffset() > offset)
        {
            holders.add(nodeId);
        }
        for (final FollowerProgress follower : followers)
        {
            if (null != follower && follower.durableEndOffset > offset)
            {
                holders.add(follower.nodeId);
            }
        }
        return holders;
    }

    private AckLevel defaultAckLevel()
    {
        return switch (config.defaultAckLevel())
        {
            case "leader" -> AckLevel.LEADER;
            case "all" -> AckLevel.ALL;
            default -> AckLevel.QUORUM;
        };
    }

    private void sendWriteResponse(final ClientSessions.Session session, final long correlationId, final long offset,
        final Status status, final AckLevel reached, final String message)
    {
        sendWriteResponse(session, correlationId, offset, status, reached, message, epoch);
    }

    private void sendWriteResponse(final ClientSessions.Session session, final long correlationId, final long offset,
        final Status status, final AckLevel reached, final String message, final int offsetEpoch)
    {
        sendWriteResponse(session, correlationId, offset, status, reached, message, offsetEpoch, 1);
    }

    private void sendWriteResponse(final ClientSessions.Session session, final long correlationId, final long offset,
        final Status status, final AckLevel reached, final String message, final int offsetEpoch, final int recordCount)
    {
        // The one place every acknowledgement passes: a leader without its lease acknowledges nothing, so a
        // deposed leader that has not noticed yet can never confirm a write its successor lacks.
        final boolean mayAcknowledge = status != Status.OK || election.canAcknowledge(nowMs(System.nanoTime()));
        writeResponseEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
            .correlationId(correlationId)
            .writeOffset(mayAcknowledge ? offset : -1)
            .epoch(offsetEpoch)
            .leaderId(leaderId)
            .status(mayAcknowledge ? status : Status.UNAVAILABLE)
            .ackLevelReached(null == reached || !mayAcknowledge ? AckLevel.NULL_VAL : reached)
            .recordCount(recordCount)
            .message(mayAcknowledge ? null == message ? "" : message : "node " + nodeId + " lost its leader lease " +
                "before acknowledging; retry (the retry is de-duplicated if the write survived)");
        session.publisher.offer(writeResponseEncoder);
    }

    // ---------------------------------------------------------------------------------------------
    // Leader: commit

    private void updateCommitOffset()
    {
        if (epochStartOffset < 0)
        {
            return;
        }
        int n = 0;
        durableScratch[n++] = log.durableEndOffset();
        for (final FollowerProgress follower : followers)
        {
            if (null != follower)
            {
                durableScratch[n++] = follower.durableEndOffset;
            }
        }
        commitOffset = CommitRule.commitOffset(durableScratch, n, epochStartOffset, commitOffset);
    }

    private long lowestDurableOffset()
    {
        long lowest = log.durableEndOffset();
        for (final FollowerProgress follower : followers)
        {
            if (null != follower)
            {
                lowest = Math.min(lowest, follower.durableEndOffset);
            }
        }
        return lowest;
    }

    // ---------------------------------------------------------------------------------------------
    // Leader: shipping

    private int shipTo(final FollowerProgress follower, final long nowNs)
    {
        if (null != follower.snapshot)
        {
            return shipSnapshot(follower);
        }
        if (follower.nextSendOffset < 0)
        {
            return 0;
        }
        int budget = config.replicationBytesPerCycle();
        int work = 0;
        final int maxChunk = AppendBatchAssembler.maxChunkLength(
            follower.replication.maxMessageLength(AppendBatchEncoder.TEMPLATE_ID)) - 64;
        while (budget > 0 && follower.nextSendOffset < log.logEndOffset())
        {
            final long from = follower.nextSendOffset;
            stagingByteBuffer.clear();
            final int length;
            try
            {
                length = log.read(from, Math.min(maxChunk, budget), stagingByteBuffer);
            }
            catch (final OffsetOutOfRangeException ex)
            {
                startSnapshot(follower, from);
                return work + 1;
            }
            if (length == 0)
            {
                break;
            }
            if (length > maxChunk)
            {
                logger.log(ERROR, "batch at offset " + from + " (" + length + " bytes) does not fit one message of " +
                    maxChunk + " bytes; lower " + NodeConfig.BATCH_MAX_BYTES_PROP);
                follower.nextSendOffset = -1;
                break;
            }
            final long baseOffset = BatchDescriptor.baseOffset(staging, 0);
            appendBatchEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
                .epoch(epoch)
                .leaderId(nodeId)
                .baseOffset(baseOffset)
                .prevBatchEpoch(log.epochHistory().epochForOffset(baseOffset - 1))
                .commitOffset(commitOffset)
                .totalLength(length)
                .chunkPosition(0)
                .putBatches(staging, 0, length);
            final PublishResult result = follower.replication.offer(appendBatchEncoder);
            if (!result.isSent())
            {
                break; // back-pressure or the follower is down: the same range goes again next cycle
            }
            follower.nextSendOffset = lastNextOffset(length);
            budget -= length;
            work++;
        }
        return work;
    }

    private long lastNextOffset(final int length)
    {
        int position = 0;
        long next = -1;
        while (position < length)
        {
            next = BatchDescriptor.nextOffset(staging, position);
            position += BatchDescriptor.length(staging, position);
        }
        return next;
    }

    private void startSnapshot(final FollowerProgress follower, final long wantedOffset)
    {
        final SnapshotInfo info = store.snapshots().newestValidSnapshot().orElse(null);
        if (null == info || info.appliedOffset() < log.logStartOffset())
        {
            logger.log(ERROR, "follower " + follower.nodeId + " needs offset " + wantedOffset + " below the log start " +
                log.logStartOffset() + " and there is no snapshot covering it");
            follower.nextSendOffset = -1;
            return;
        }
        follower.snapshot = store.snapshots().openReader(info.file());
        follower.snapshotOffset = info.appliedOffset();
        follower.snapshotPosition = 0;
        logger.log(INFO, "Sending snapshot " + info.file().getFileName() + " (" + info.sizeBytes() + " bytes, offset " +
            info.appliedOffset() + ") to follower " + follower.nodeId + ", which asked for offset " + wantedOffset);
    }

    private int shipSnapshot(final FollowerProgress follower)
    {
        int work = 0;
        int budget = config.replicationBytesPerCycle();
        final long size = follower.snapshot.sizeBytes();
        while (budget > 0 && follower.snapshotPosition < size)
        {
            stagingByteBuffer.clear().limit(SNAPSHOT_CHUNK_BYTES);
            final int length = follower.snapshot.read(follower.snapshotPosition, stagingByteBuffer);
            snapshotChunkEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
                .epoch(epoch)
                .leaderId(nodeId)
                .snapshotOffset(follower.snapshotOffset)
                .totalLength(size)
                .chunkPosition(follower.snapshotPosition)
                .putData(staging, 0, length);
            if (!follower.replication.offer(snapshotChunkEncoder).isSent())
            {
                return work;
            }
            follower.snapshotPosition += length;
            budget -= length;
            work++;
        }
        if (follower.snapshotPosition >= size)
        {
            follower.closeSnapshot();
            follower.nextSendOffset = -1; // the follower sends FetchFrom once it has installed it
        }
        return work;
    }

    private void sendHeartbeat(final FollowerProgress follower, final long nowNs)
    {
        heartbeatEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
            .epoch(epoch).leaderId(nodeId).commitOffset(commitOffset).logEndOffset(log.logEndOffset())
            .leaderTimestampNs(nowNs);
        // On the election stream: a replication publication full of catch-up data must not delay the heartbeat
        // that keeps this leader's lease (ELECTION.md, "No spurious failover").
        follower.election.offer(heartbeatEncoder);
    }

    // ---------------------------------------------------------------------------------------------
    // Leader: feedback

    private void onFeedbackMessage(
        final int templateId, final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        if (null != isolatedPeers && faultDropped(senderOf(templateId, buffer, offset, length)))
        {
            return;
        }
        switch (templateId)
        {
            case AckDecoder.TEMPLATE_ID -> onAck(decoders.ack(buffer, offset, length));
            case FetchFromDecoder.TEMPLATE_ID -> onFetchFrom(decoders.fetchFrom(buffer, offset, length));
            case RefuseDecoder.TEMPLATE_ID -> onRefuse(decoders.refuse(buffer, offset, length));
            default -> logger.log(WARNING, "unexpected " + io.logship.transport.MessageTypes.describe(templateId) + " on feedback");
        }
    }

    private FollowerProgress follower(final int id)
    {
        return id > 0 && id < followers.length ? followers[id] : null;
    }

    private void onAck(final AckDecoder decoder)
    {
        final FollowerProgress follower = follower(decoder.nodeId());
        if (null == follower)
        {
            return;
        }
        final long nowNs = System.nanoTime();
        if (decoder.epoch() > epoch)
        {
            election.onHigherEpochSeen(nowMs(nowNs), decoder.epoch(), Persistence.NONE);
            return;
        }
        if (role != Role.LEADER)
        {
            return;
        }
        if (decoder.epoch() != epoch)
        {
            staleEpochRefusals++;
            refuse(feedbackToPeer[follower.nodeId], AckDecoder.TEMPLATE_ID, RefuseReason.STALE_EPOCH);
            return; // an ack from an older epoch says nothing about this epoch's log
        }
        final long durable = decoder.durableEndOffset();
        if (durable >= 0) // -1: the follower is still reconciling its log with this one
        {
            follower.durableEndOffset = durable;
        }
        follower.appliedOffset = decoder.appliedOffset();
        follower.lastAckNs = nowNs;
        final long echoed = decoder.echoedTimestampNs();
        election.onFollowerAck(nowMs(nowNs), follower.nodeId, decoder.epoch(),
            echoed < 0 ? Long.MIN_VALUE / 4 : nowMs(echoed), durable);
    }

    private void onFetchFrom(final FetchFromDecoder decoder)
    {
        final FollowerProgress follower = follower(decoder.nodeId());
        if (null == follower)
        {
            return;
        }
        if (decoder.epoch() > epoch)
        {
            election.onHigherEpochSeen(nowMs(System.nanoTime()), decoder.epoch(), Persistence.NONE);
            return;
        }
        if (role != Role.LEADER)
        {
            return;
        }
        if (decoder.epoch() < epoch)
        {
            staleEpochRefusals++;
            refuse(follower.replication, FetchFromDecoder.TEMPLATE_ID, RefuseReason.STALE_EPOCH);
            return;
        }
        final long fetchOffset = decoder.fetchOffset();
        if (fetchOffset > log.logEndOffset())
        {
            refuse(follower.replication, FetchFromDecoder.TEMPLATE_ID, RefuseReason.LOG_MISMATCH);
            return;
        }
        follower.closeSnapshot();
        if (fetchOffset < log.logStartOffset())
        {
            startSnapshot(follower, fetchOffset);
            return;
        }
        if (follower.nextSendOffset != fetchOffset)
        {
            logger.log(INFO, "Follower " + follower.nodeId + " fetches from offset " + fetchOffset + " (log end " +
                log.logEndOffset() + ")");
        }
        follower.nextSendOffset = fetchOffset;
    }

    private void onRefuse(final RefuseDecoder decoder)
    {
        if (decoder.currentEpoch() > epoch)
        {
            logger.log(WARNING, "node " + decoder.nodeId() + " refused " +
                io.logship.transport.MessageTypes.describe(decoder.refusedTemplateId()) + ": it is at epoch " +
                decoder.currentEpoch() + " above this node's " + epoch + (decoder.leaderId() > 0 ? " (node " +
                decoder.leaderId() + " leads)" : "") + (role == Role.LEADER ? "; this node no longer leads" : ""));
            election.onHigherEpochSeen(nowMs(System.nanoTime()), decoder.currentEpoch(), decoder.leaderId());
        }
    }

    private void refuse(final BoundedPublisher publisher, final int templateId, final RefuseReason reason)
    {
        if (null == publisher)
        {
            return;
        }
        refuseEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
            .currentEpoch(epoch).leaderId(leaderId).nodeId(nodeId).refusedTemplateId(templateId).reason(reason);
        publisher.offer(refuseEncoder);
    }

    // ---------------------------------------------------------------------------------------------
    // Election stream: epoch-end queries (reconciliation after a restart)

    private void onElectionMessage(
        final int templateId, final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        if (null != isolatedPeers && faultDropped(senderOf(templateId, buffer, offset, length)))
        {
            return;
        }
        switch (templateId)
        {
            case EpochEndRequestDecoder.TEMPLATE_ID -> onEpochEndRequest(decoders.epochEndRequest(buffer, offset, length));
            case EpochEndResponseDecoder.TEMPLATE_ID ->
                onEpochEndResponse(decoders.epochEndResponse(buffer, offset, length));
            case RefuseDecoder.TEMPLATE_ID -> onRefuse(decoders.refuse(buffer, offset, length));
            case HeartbeatDecoder.TEMPLATE_ID -> onHeartbeat(decoders.heartbeat(buffer, offset, length));
            case RequestVoteDecoder.TEMPLATE_ID -> onRequestVote(decoders.requestVote(buffer, offset, length));
            case VoteDecoder.TEMPLATE_ID ->
            {
                final VoteDecoder vote = decoders.vote(buffer, offset, length);
                election.onVote(nowMs(System.nanoTime()), vote.voterId(), vote.epoch(),
                    vote.granted() == BooleanType.TRUE, vote.voterEpoch());
            }
            case HandoverDecoder.TEMPLATE_ID ->
            {
                final HandoverDecoder handover = decoders.handover(buffer, offset, length);
                if (handover.targetId() == nodeId)
                {
                    election.onHandover(nowMs(System.nanoTime()), handover.leaderId(), handover.epoch());
                }
            }
            default -> logger.log(WARNING, "unexpected " + io.logship.transport.MessageTypes.describe(templateId) +
                " on election");
        }
    }

    private void onRequestVote(final RequestVoteDecoder decoder)
    {
        final int flags = (decoder.flags().forced() ? ElectionState.FLAG_FORCED : 0) |
            (decoder.flags().graceful() ? ElectionState.FLAG_GRACEFUL : 0);
        final ElectionState.Vote vote = election.onRequestVote(nowMs(System.nanoTime()), decoder.candidateId(),
            decoder.epoch(), decoder.lastLogEpoch(), decoder.logEndOffset(), flags);
        logger.log(INFO, "Node " + nodeId + (vote.granted() ? " votes for" : " does not vote for") + " node " +
            decoder.candidateId() + " in epoch " + decoder.epoch() + (vote.granted() ? "" : ": " + vote.reason()));
    }

    private void onEpochEndRequest(final EpochEndRequestDecoder decoder)
    {
        final int requester = decoder.nodeId();
        if (requester <= 0 || requester >= electionToPeer.length || null == electionToPeer[requester])
        {
            return;
        }
        if (role != Role.LEADER)
        {
            return;
        }
        if (decoder.epoch() > epoch)
        {
            election.onHigherEpochSeen(nowMs(System.nanoTime()), decoder.epoch(), Persistence.NONE);
            return;
        }
        final EpochHistory.EpochEnd end = log.epochHistory().endOffsetFor(decoder.requestedEpoch(), log.logEndOffset());
        epochEndResponseEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
            .epoch(epoch).nodeId(nodeId).epochFound(end.epoch()).endOffset(end.endOffset())
            .requestedEpoch(decoder.requestedEpoch());
        electionToPeer[requester].offer(epochEndResponseEncoder);
    }

    // ---------------------------------------------------------------------------------------------
    // Follower

    private int followerWork(final long nowNs)
    {
        int work = replicationAdapter.poll(FRAGMENT_LIMIT);
        if (appendedSinceFlush)
        {
            appendedSinceFlush = false;
            flusher.request(); // the fsync runs on its own thread; the ack follows once the durable end moves
            work++;
        }
        if (log.isFailed() && role != Role.FENCED)
        {
            role = Role.FENCED;
            logger.log(ERROR, "Node " + nodeId + " is FENCED: its log failed (a follower append or fsync); it " +
                "takes no more data. Restart it once the disk is fixed.");
            return work;
        }
        if (followerState == FollowerState.FETCHING)
        {
            // Only a log reconciled with this leader's may count its leader's commit offset: before that, the
            // tail may be a divergent suffix that the commit offset would make the store apply (the
            // simulation's rule: followers apply min(leaderCommit, matchedEnd)).
            commitOffset = Math.max(commitOffset, Math.min(leaderCommitOffset, log.durableEndOffset()));
        }

        switch (followerState)
        {
            case NEED_EPOCH_END ->
            {
                if (nowNs - lastEpochEndRequestNs >= 2 * heartbeatIntervalNs)
                {
                    lastEpochEndRequestNs = nowNs;
                    sendEpochEndRequest();
                    work++;
                }
            }
            case REWINDING ->
            {
                if (null != applier.failure())
                {
                    role = Role.FENCED;
                    logger.log(ERROR, "Node " + nodeId + " is FENCED: " + applier.failure());
                }
                else if (applier.rewoundTo() >= 0)
                {
                    final long end = log.logEndOffset();
                    log.truncateTo(pendingCutOffset);
                    quarantinedRecords += end - pendingCutOffset;
                    logger.log(WARNING, "Node " + nodeId + " truncated its log from offset " + pendingCutOffset + " to " +
                        end + " after rewinding its store to " + applier.rewoundTo());
                    pendingCutOffset = -1;
                    followerState = FollowerState.NEED_EPOCH_END; // confirm the new end with the leader, then fetch
                    lastEpochEndRequestNs = 0;
                    work++;
                }
            }
            case FETCHING ->
            {
                final boolean behind = leaderLogEndOffset > log.logEndOffset();
                if (behind && nowNs - lastAppendNs > 4 * heartbeatIntervalNs &&
                    nowNs - lastFetchRequestNs > 4 * heartbeatIntervalNs)
                {
                    requestFetch(nowNs);
                    work++;
                }
            }
            case INSTALLING ->
            {
                if (applier.installedOffset() == receivingSnapshotOffset)
                {
                    log.truncateFullyAndStartAt(receivingSnapshotOffset);
                    logger.log(INFO, "Installed the leader's snapshot at offset " + receivingSnapshotOffset +
                        "; fetching the log from there");
                    receivingSnapshotOffset = -1;
                    followerState = FollowerState.FETCHING;
                    requestFetch(nowNs);
                    work++;
                }
            }
            default ->
            {
            }
        }

        trackResync(nowNs);
        final long durable = log.durableEndOffset();
        final long applied = store.appliedOffset();
        if (leaderId > 0 && followerState == FollowerState.FETCHING &&
            (durable != lastAckedDurable || applied != lastAckedApplied || nowNs - lastAckSentNs >= heartbeatIntervalNs))
        {
            sendAck(nowNs, durable, applied);
            work++;
        }
        return work;
    }

    /**
     * Resync progress: the append rate over windows of about a second, and a log line every 5 s while this
     * follower is more than {@value #RESYNC_LOG_THRESHOLD_RECORDS} records behind the leader.
     */
    private void trackResync(final long nowNs)
    {
        if (resyncWindowStartNs == 0)
        {
            resyncWindowStartNs = nowNs;
            resyncWindowStartOffset = log.logEndOffset();
            resyncWindowBytes = log.sizeBytes();
            return;
        }
        final long elapsedNs = nowNs - resyncWindowStartNs;
        if (elapsedNs < TimeUnit.SECONDS.toNanos(1))
        {
            return;
        }
        final long end = log.logEndOffset();
        final long bytes = log.sizeBytes();
        resyncRecordsPerSecond = Math.max(0, (end - resyncWindowStartOffset) * 1_000_000_000L / elapsedNs);
        resyncBytesPerSecond = Math.max(0, (bytes - resyncWindowBytes) * 1_000_000_000L / elapsedNs);
        resyncWindowStartNs = nowNs;
        resyncWindowStartOffset = end;
        resyncWindowBytes = bytes;
        final long behind = leaderLogEndOffset - end;
        if (leaderId > 0 && behind > RESYNC_LOG_THRESHOLD_RECORDS && nowNs - lastResyncLogNs >= TimeUnit.SECONDS.toNanos(5))
        {
            lastResyncLogNs = nowNs;
            logger.log(INFO, "Resync from node " + leaderId + ": " + behind + " records behind (log end " + end +
                ", leader " + leaderLogEndOffset + "), " + resyncRecordsPerSecond + " records/s, " +
                resyncBytesPerSecond / 1024 + " KiB/s, ETA " + (resyncRecordsPerSecond > 0 ?
                behind / resyncRecordsPerSecond + " s" : "unknown"));
        }
    }

    private void onReplicationMessage(
        final int templateId, final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        if (null != isolatedPeers && faultDropped(senderOf(templateId, buffer, offset, length)))
        {
            return;
        }
        switch (templateId)
        {
            case AppendBatchDecoder.TEMPLATE_ID -> onAppendBatch(decoders.appendBatch(buffer, offset, length));
            case HeartbeatDecoder.TEMPLATE_ID -> onHeartbeat(decoders.heartbeat(buffer, offset, length));
            case SnapshotChunkDecoder.TEMPLATE_ID -> onSnapshotChunk(decoders.snapshotChunk(buffer, offset, length));
            case RefuseDecoder.TEMPLATE_ID -> onFollowerRefused(decoders.refuse(buffer, offset, length));
            default -> logger.log(WARNING, "unexpected " + io.logship.transport.MessageTypes.describe(templateId) + " on replication");
        }
    }

    /** Epoch check shared by every message from a leader; false if the message must be ignored. */
    private boolean acceptLeaderEpoch(final int messageEpoch, final int messageLeaderId, final int templateId)
    {
        if (messageLeaderId == nodeId || messageLeaderId <= 0 || messageLeaderId >= feedbackToPeer.length ||
            null == feedbackToPeer[messageLeaderId])
        {
            return false;
        }
        if (election.onLeaderContact(nowMs(System.nanoTime()), messageEpoch, messageLeaderId) ==
            ElectionState.Contact.REFUSED)
        {
            // A deposed leader still sending: the refusal carries the current epoch, so it steps down.
            staleEpochRefusals++;
            refuse(feedbackToPeer[messageLeaderId], templateId, RefuseReason.STALE_EPOCH);
            return false;
        }
        if (role == Role.LEADER || journalDraining || role == Role.FENCED)
        {
            return false; // not a follower yet: the leader sends again, or this node fetches once it is
        }
        if (followerState == FollowerState.AWAIT_LEADER)
        {
            followerState = FollowerState.NEED_EPOCH_END;
            lastEpochEndRequestNs = 0;
            assembler.reset();
        }
        return true;
    }

    private void onHeartbeat(final HeartbeatDecoder decoder)
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
        final long nowNs = System.nanoTime();
        sendAck(nowNs, followerState == FollowerState.FETCHING ? log.durableEndOffset() : -1, store.appliedOffset());
    }

    private void onAppendBatch(final AppendBatchDecoder decoder)
    {
        if (!acceptLeaderEpoch(decoder.epoch(), decoder.leaderId(), AppendBatchDecoder.TEMPLATE_ID))
        {
            decoder.skipBatches();
            return;
        }
        final long messageCommit = decoder.commitOffset();
        final int prevBatchEpoch = decoder.prevBatchEpoch();
        if (followerState != FollowerState.FETCHING)
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
            requestFetch(System.nanoTime());
            return;
        }
        final long firstBase = assembler.baseOffset();
        // prevBatchEpoch is -1 when the leader no longer knows (its log starts at that batch): no check then.
        if (firstBase == log.logEndOffset() && firstBase > log.logStartOffset() && prevBatchEpoch >= 0 &&
            prevBatchEpoch != log.epochHistory().epochForOffset(firstBase - 1))
        {
            // Our last batch is from another epoch than the leader's batch before this offset: diverged.
            logger.log(WARNING, "batch at offset " + firstBase + " follows epoch " + prevBatchEpoch + " on leader " +
                leaderId + " but epoch " + log.epochHistory().epochForOffset(firstBase - 1) + " here; reconciling");
            assembler.reset();
            followerState = FollowerState.NEED_EPOCH_END;
            lastEpochEndRequestNs = 0;
            return;
        }
        final DirectBuffer bytes = assembler.buffer();
        final int length = assembler.length();
        int position = 0;
        while (position + BatchDescriptor.HEADER_LENGTH <= length)
        {
            final int batchLength = BatchDescriptor.length(bytes, position);
            if (batchLength < BatchDescriptor.HEADER_LENGTH || position + batchLength > length)
            {
                invalidBatchesFromLeader++;
                logger.log(WARNING, "AppendBatch from node " + leaderId + " holds a batch of length " + batchLength +
                    " at byte " + position + " of " + length + "; refetching");
                requestFetch(System.nanoTime());
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
                requestFetch(System.nanoTime());
                break;
            }
            try
            {
                log.appendAsFollower(bytes, position, batchLength, false);
                appendedSinceFlush = true;
                lastAppendNs = System.nanoTime();
            }
            catch (final InvalidBatchException ex)
            {
                invalidBatchesFromLeader++;
                logger.log(WARNING, "batch from node " + leaderId + " refused: " + ex.getMessage() + "; refetching");
                requestFetch(System.nanoTime());
                break;
            }
            catch (final LogshipException ex)
            {
                role = Role.FENCED;
                logger.log(ERROR, "Node " + nodeId + " is FENCED: " + ex.getMessage());
                break;
            }
            position += batchLength;
        }
        assembler.reset();
        leaderCommitOffset = Math.max(leaderCommitOffset, messageCommit);
    }

    private void onFollowerRefused(final RefuseDecoder decoder)
    {
        if (decoder.currentEpoch() > epoch)
        {
            logger.log(INFO, "refused by node " + decoder.nodeId() + " at epoch " + decoder.currentEpoch());
            election.onHigherEpochSeen(nowMs(System.nanoTime()), decoder.currentEpoch(), decoder.leaderId());
        }
        else if (decoder.reason() == RefuseReason.LOG_MISMATCH && role != Role.LEADER && !journalDraining)
        {
            followerState = FollowerState.NEED_EPOCH_END;
            lastEpochEndRequestNs = 0;
        }
    }

    private void sendEpochEndRequest()
    {
        final int latest = log.epochHistory().latestEpoch();
        if (latest == EpochHistory.UNDEFINED_EPOCH)
        {
            followerState = FollowerState.FETCHING;
            requestFetch(System.nanoTime());
            return;
        }
        final BoundedPublisher toLeader = leaderId > 0 && leaderId < electionToPeer.length ? electionToPeer[leaderId] : null;
        if (null != toLeader)
        {
            epochEndQuestion = latest;
            epochEndRequestEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
                .epoch(epoch).nodeId(nodeId).requestedEpoch(latest);
            toLeader.offer(epochEndRequestEncoder);
        }
    }

    /**
     * Reconciles this follower's log with the leader's, one epoch at a time (KIP-279's rounds): the
     * leader says where the epoch we asked about (or the largest one below it that it has) ended on
     * its log; everything we hold beyond that point diverged and is cut. If the leader lacked our
     * epoch, the next round asks about the epoch we now end with, until the leader confirms our last
     * epoch. Only then does the follower fetch and acknowledge: acks before that could count
     * divergent data towards the commit offset. A late answer to an earlier question is ignored.
     */
    private void onEpochEndResponse(final EpochEndResponseDecoder decoder)
    {
        if (role == Role.LEADER || followerState != FollowerState.NEED_EPOCH_END || decoder.nodeId() != leaderId ||
            decoder.epoch() != epoch || decoder.requestedEpoch() != epochEndQuestion)
        {
            return;
        }
        final EpochHistory history = log.epochHistory();
        final int ourLatest = history.latestEpoch();
        final long ourEnd = log.logEndOffset();
        final int found = decoder.epochFound();
        final long target;
        if (found == EpochHistory.UNDEFINED_EPOCH)
        {
            // The leader holds no epoch at or below ours (its log starts later): keep only what this node
            // knows is committed, then fetch; below the leader's log start that becomes a snapshot.
            target = Math.max(log.logStartOffset(), Math.min(ourEnd, store.appliedOffset()));
        }
        else if (found == ourLatest)
        {
            target = Math.min(decoder.endOffset(), ourEnd);
        }
        else
        {
            // The leader never had our latest epoch: everything we wrote after epoch `found` diverged.
            final EpochHistory.EpochEnd ours = history.endOffsetFor(found, ourEnd);
            final long ourEndOfFound = ours.epoch() == EpochHistory.UNDEFINED_EPOCH ? log.logStartOffset() :
                ours.endOffset();
            target = Math.max(log.logStartOffset(), Math.min(decoder.endOffset(), ourEndOfFound));
        }
        if (target < ourEnd)
        {
            final String reason = "its epoch " + ourLatest + " diverges from leader " + leaderId + "'s log after offset " +
                target;
            final Path saved;
            try
            {
                // Keep what is cut: writes acknowledged only at the leader level live nowhere else now.
                saved = Quarantine.save(log, target, config.dataDirectory().resolve(Quarantine.DIRECTORY_NAME), nodeId,
                    leaderId, epoch, reason);
            }
            catch (final LogshipException ex)
            {
                // Never cut what could not be kept: stay out of sync and try again in a while.
                logger.log(ERROR, "Node " + nodeId + " cannot rejoin leader " + leaderId + ": the divergent suffix [" +
                    target + ", " + ourEnd + ") could not be quarantined (" + ex.getMessage() + "); retrying in 5 s");
                lastEpochEndRequestNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                return;
            }
            if (target < store.appliedOffset())
            {
                // The store applied records that are about to be cut (this follows only an unclean promotion):
                // it goes back to a snapshot at or below the cut, or to empty, and applies the log again.
                logger.log(WARNING, "Node " + nodeId + " must cut its log at offset " + target + " (" + reason +
                    ") below what its store applied (" + store.appliedOffset() + "); the cut records are kept in " +
                    saved + "; rewinding the store first");
                commitOffset = target;
                pendingCutOffset = target;
                followerState = FollowerState.REWINDING;
                applier.requestRewind(target);
                return;
            }
            logger.log(WARNING, "Node " + nodeId + " truncates its log from offset " + target + " to " + ourEnd +
                " (" + reason + "); the " + (ourEnd - target) + " records cut are kept in " + saved +
                " ('logship quarantine show' prints them)");
            log.truncateTo(target);
            quarantinedRecords += ourEnd - target;
        }
        final int nowLatest = history.latestEpoch();
        if (found == ourLatest || found == EpochHistory.UNDEFINED_EPOCH || nowLatest == EpochHistory.UNDEFINED_EPOCH)
        {
            followerState = FollowerState.FETCHING;
            requestFetch(System.nanoTime());
        }
        else
        {
            lastEpochEndRequestNs = System.nanoTime();
            sendEpochEndRequest(); // next round: ask about the epoch this log now ends with
        }
    }

    private void requestFetch(final long nowNs)
    {
        lastFetchRequestNs = nowNs;
        final BoundedPublisher toLeader = leaderId > 0 && leaderId < feedbackToPeer.length ? feedbackToPeer[leaderId] : null;
        if (null == toLeader)
        {
            return;
        }
        fetchFromEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
            .epoch(epoch).nodeId(nodeId).fetchOffset(log.logEndOffset()).lastEpoch(log.epochHistory().latestEpoch());
        toLeader.offer(fetchFromEncoder);
    }

    private void sendAck(final long nowNs, final long durable, final long applied)
    {
        final BoundedPublisher toLeader = leaderId > 0 && leaderId < feedbackToPeer.length ? feedbackToPeer[leaderId] : null;
        if (null == toLeader)
        {
            return;
        }
        ackEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
            .epoch(epoch).nodeId(nodeId).durableEndOffset(durable).appliedOffset(applied)
            .echoedTimestampNs(echoTimestampNs);
        if (toLeader.offer(ackEncoder).isSent())
        {
            lastAckSentNs = nowNs;
            lastAckedDurable = durable;
            lastAckedApplied = applied;
        }
    }

    private void onSnapshotChunk(final SnapshotChunkDecoder decoder)
    {
        if (!acceptLeaderEpoch(decoder.epoch(), decoder.leaderId(), SnapshotChunkDecoder.TEMPLATE_ID))
        {
            decoder.skipData();
            return;
        }
        final long snapshotOffset = decoder.snapshotOffset();
        final long position = decoder.chunkPosition();
        final long total = decoder.totalLength();
        if (position == 0)
        {
            if (null != snapshotReceiver)
            {
                snapshotReceiver.close();
            }
            snapshotReceiver = store.snapshots().beginReceive();
            receivingSnapshotOffset = snapshotOffset;
            receivedSnapshotBytes = 0;
            followerState = FollowerState.SNAPSHOT;
            logger.log(INFO, "Receiving snapshot at offset " + snapshotOffset + " (" + total + " bytes) from node " +
                leaderId + ": this node's log ends below the leader's log start");
        }
        if (null == snapshotReceiver || snapshotOffset != receivingSnapshotOffset || position != receivedSnapshotBytes)
        {
            decoder.skipData();
            return;
        }
        final int length = decoder.dataLength();
        stagingByteBuffer.clear();
        decoder.getData(staging, 0, length);
        stagingByteBuffer.limit(length);
        snapshotReceiver.write(position, stagingByteBuffer);
        receivedSnapshotBytes += length;
        if (receivedSnapshotBytes == total)
        {
            try
            {
                final SnapshotInfo info = snapshotReceiver.complete();
                snapshotReceiver = null;
                followerState = FollowerState.INSTALLING;
                applier.requestInstall(info.file(), info.appliedOffset());
            }
            catch (final LogshipException ex)
            {
                logger.log(ERROR, "received snapshot failed verification: " + ex.getMessage() + "; asking again");
                snapshotReceiver = null;
                followerState = FollowerState.FETCHING;
                requestFetch(System.nanoTime());
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Reads, tail

    private void onReadRequest(final ReadRequestDecoder decoder, final long nowNs)
    {
        final long correlationId = decoder.correlationId();
        final long clientId = decoder.clientId();
        final ClientSessions.Session session = sessions.get(clientId, nowNs);
        if (null == session)
        {
            return;
        }
        final Consistency consistency = decoder.consistency();
        final long timeoutNs = decoder.timeoutMs() > 0 ?
            Math.min(TimeUnit.MILLISECONDS.toNanos(decoder.timeoutMs()), 10 * defaultTimeoutNs) : defaultTimeoutNs;
        final long requested = decoder.minOffset();
        final byte[] key = new byte[decoder.keyLength()];
        decoder.getKey(key, 0, key.length);
        final long minOffset;
        switch (consistency)
        {
            case LEADER ->
            {
                if (role != Role.LEADER)
                {
                    sendReadResponse(session, correlationId, Status.NOT_LEADER, null);
                    return;
                }
                if (!election.canAcknowledge(nowMs(nowNs)))
                {
                    // Without its lease a newer leader may already have committed writes this one has not seen.
                    sendReadResponse(session, correlationId, Status.UNAVAILABLE, null);
                    return;
                }
                minOffset = commitOffset; // applied up to the commit seen now: linearizable with the leader
            }
            case MIN_OFFSET -> minOffset = requested + 1; // the applied offset is exclusive: N applied once it passed N
            default -> minOffset = 0;
        }
        if (store.appliedOffset() >= minOffset)
        {
            sendReadResponse(session, correlationId, null, key);
        }
        else if (readWaits.size() >= MAX_READ_WAITS)
        {
            sendReadResponse(session, correlationId, Status.BUSY, null);
        }
        else
        {
            readWaits.add(new ReadWait(correlationId, clientId, minOffset, nowNs + timeoutNs, key));
        }
    }

    private int serviceReadWaits(final long nowNs)
    {
        int work = 0;
        final long applied = store.appliedOffset();
        for (int i = readWaits.size() - 1; i >= 0; i--)
        {
            final ReadWait wait = readWaits.get(i);
            final boolean ready = applied >= wait.minOffset();
            if (ready || nowNs - wait.deadlineNs() >= 0)
            {
                readWaits.remove(i);
                final ClientSessions.Session session = sessions.get(wait.clientId(), nowNs);
                if (null != session)
                {
                    sendReadResponse(session, wait.correlationId(), ready ? null : Status.TIMEOUT, ready ? wait.key() : null);
                }
                work++;
            }
        }
        return work;
    }

    /** @param status null to read {@code key} now and answer OK or NOT_FOUND. */
    private void sendReadResponse(final ClientSessions.Session session, final long correlationId, final Status status,
        final byte[] key)
    {
        final long applied = store.appliedOffset();
        byte[] value = null;
        long valueOffset = -1;
        Status outcome = status;
        if (null == status)
        {
            final KeyValueStore.Value stored = store.getValue(key);
            if (null != stored)
            {
                value = stored.bytes();
                valueOffset = stored.offset();
            }
            outcome = null == value ? Status.NOT_FOUND : Status.OK;
        }
        readResponseEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
            .correlationId(correlationId).appliedOffset(applied).valueOffset(valueOffset).leaderId(leaderId)
            .status(outcome);
        if (null != value)
        {
            readResponseEncoder.putValue(value, 0, value.length);
        }
        else
        {
            readResponseEncoder.putValue(sendBuffer, 0, 0);
        }
        session.publisher.offer(readResponseEncoder);
    }

    private void onTailRequest(final TailRequestDecoder decoder, final long nowNs)
    {
        final ClientSessions.Session session = sessions.get(decoder.clientId(), nowNs);
        if (null == session)
        {
            return;
        }
        final long from = decoder.fromOffset();
        final long limit = commitOffset;
        final int maxBytes = Math.max(1, Math.min(decoder.maxBytes() <= 0 ? TAIL_MAX_BYTES : decoder.maxBytes(),
            TAIL_MAX_BYTES));
        Status status = Status.OK;
        int length = 0;
        long next = from;
        if (from < log.logStartOffset())
        {
            status = Status.OFFSET_OUT_OF_RANGE;
        }
        else if (from < limit)
        {
            stagingByteBuffer.clear();
            try
            {
                final int read = log.read(from, maxBytes, stagingByteBuffer);
                while (length < read && BatchDescriptor.nextOffset(staging, length) <= limit)
                {
                    next = BatchDescriptor.nextOffset(staging, length);
                    length += BatchDescriptor.length(staging, length);
                }
            }
            catch (final OffsetOutOfRangeException ex)
            {
                status = Status.OFFSET_OUT_OF_RANGE;
            }
        }
        tailResponseEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
            .correlationId(decoder.correlationId()).nextOffset(next).logStartOffset(log.logStartOffset())
            .commitOffset(limit).status(status).putBatches(staging, 0, length);
        session.publisher.offer(tailResponseEncoder);
    }

    // ---------------------------------------------------------------------------------------------
    // Admin

    private void onAdminMessage(
        final int templateId, final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        final long nowNs = System.nanoTime();
        switch (templateId)
        {
            case StatusRequestDecoder.TEMPLATE_ID ->
            {
                final StatusRequestDecoder decoder = decoders.statusRequest(buffer, offset, length);
                final ClientSessions.Session session = sessions.get(decoder.clientId(), nowNs);
                if (null != session)
                {
                    sendStatus(session, decoder.correlationId(), nowNs);
                }
            }
            case ChecksumRequestDecoder.TEMPLATE_ID ->
            {
                final ChecksumRequestDecoder decoder = decoders.checksumRequest(buffer, offset, length);
                final ClientSessions.Session session = sessions.get(decoder.clientId(), nowNs);
                if (null != session)
                {
                    sendChecksum(session, decoder.correlationId(), decoder.fromOffset(), decoder.toOffset());
                }
            }
            case PromoteRequestDecoder.TEMPLATE_ID ->
            {
                final PromoteRequestDecoder decoder = decoders.promoteRequest(buffer, offset, length);
                onPromote(decoder, nowNs);
            }
            case DemoteRequestDecoder.TEMPLATE_ID ->
            {
                final DemoteRequestDecoder decoder = decoders.demoteRequest(buffer, offset, length);
                if (decoder.nodeId() != nodeId)
                {
                    answerAdmin(decoder.clientId(), decoder.correlationId(), nowNs, Status.INVALID, "this is node " +
                        nodeId + ", not node " + decoder.nodeId() + ": send the demotion to the node itself");
                }
                else
                {
                    final ElectionState.AdminOutcome outcome = election.demote(nowMs(nowNs));
                    logger.log(outcome.accepted() ? WARNING : INFO, "demote: " + outcome.message());
                    answerAdmin(decoder.clientId(), decoder.correlationId(), nowNs,
                        outcome.accepted() ? Status.OK : Status.NOT_LEADER, outcome.message());
                }
            }
            default -> logger.log(WARNING, "unexpected " + io.logship.transport.MessageTypes.describe(templateId) + " on admin");
        }
    }

    /**
     * {@code logship promote}: on the leader a graceful switchover to the target; on the target with
     * {@code forced}, an unclean promotion whose answer names what may be lost; on a follower with no live
     * leader, a candidacy that voters still refuse if this node lacks committed data.
     */
    private void onPromote(final PromoteRequestDecoder decoder, final long nowNs)
    {
        final int target = decoder.targetNodeId();
        final boolean forced = decoder.flags().forced();
        final long endBefore = log.logEndOffset();
        final long knownCommit = Math.max(commitOffset, leaderCommitOffset);
        final ElectionState.AdminOutcome outcome = election.promote(nowMs(nowNs), target, forced);
        String message = outcome.message();
        if (forced && outcome.accepted())
        {
            message += " This node's log ends at offset " + endBefore + "; the highest commit offset it heard is " +
                knownCommit + (knownCommit > endBefore ? ": committed offsets [" + endBefore + ", " + knownCommit +
                ") are not on this node and are LOST." : ": every committed offset it knows of is here.") +
                " Offsets from " + endBefore + " up that other nodes hold are quarantined when they rejoin.";
        }
        else if (outcome.accepted() && target != nodeId)
        {
            writesStoppedAtNs = nowNs;
        }
        logger.log(outcome.accepted() ? WARNING : INFO, "promote node " + target + (forced ? " --force" : "") + ": " +
            message);
        final Status status = outcome.accepted() ? Status.OK :
            election.leaderId() > 0 && election.leaderId() != nodeId ? Status.NOT_LEADER : Status.UNAVAILABLE;
        answerAdmin(decoder.clientId(), decoder.correlationId(), nowNs, status, message);
    }

    private void answerAdmin(final long clientId, final long correlationId, final long nowNs, final Status status,
        final String message)
    {
        final ClientSessions.Session session = sessions.get(clientId, nowNs);
        if (null == session)
        {
            return;
        }
        adminResponseEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
            .correlationId(correlationId).nodeId(nodeId).epoch(election.epoch()).leaderId(election.leaderId())
            .status(status).message(message);
        session.publisher.offer(adminResponseEncoder);
    }

    private void sendStatus(final ClientSessions.Session session, final long correlationId, final long nowNs)
    {
        statusResponseEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
            .correlationId(correlationId)
            .nodeId(nodeId)
            .epoch(epoch)
            .leaderId(leaderId)
            .role(role.wire())
            .logStartOffset(log.logStartOffset())
            .logEndOffset(log.logEndOffset())
            .durableEndOffset(log.durableEndOffset())
            .commitOffset(commitOffset)
            .appliedOffset(store.appliedOffset())
            .autoFailover(election.config().autoFailoverEnabled() ? BooleanType.TRUE : BooleanType.FALSE)
            .elections(electionsStarted)
            .leaderLogEndOffset(role == Role.LEADER ? log.logEndOffset() : leaderId > 0 ? leaderLogEndOffset : -1)
            .resyncRecordsPerSecond(role == Role.LEADER ? 0 : resyncRecordsPerSecond)
            .resyncBytesPerSecond(role == Role.LEADER ? 0 : resyncBytesPerSecond)
            .quarantinedRecords(quarantinedRecords);
        int count = 0;
        if (role == Role.LEADER)
        {
            for (final FollowerProgress follower : followers)
            {
                if (null != follower)
                {
                    count++;
                }
            }
        }
        final StatusResponseEncoder.FollowersEncoder group = statusResponseEncoder.followersCount(count);
        if (count > 0)
        {
            for (final FollowerProgress follower : followers)
            {
                if (null != follower)
                {
                    group.next().nodeId(follower.nodeId).durableEndOffset(follower.durableEndOffset)
                        .appliedOffset(follower.appliedOffset)
                        .lastAckAgeMs(follower.lastAckNs == 0 ? -1 :
                            TimeUnit.NANOSECONDS.toMillis(nowNs - follower.lastAckNs));
                }
            }
        }
        statusResponseEncoder.note(statusNote(nowNs));
        session.publisher.offer(statusResponseEncoder);
    }

    /** One line for {@code status}: why failover is off, a switchover, an election or a resync under way. */
    private String statusNote(final long nowNs)
    {
        final List<String> notes = new ArrayList<>();
        final String disabled = election.config().autoFailoverDisabledReason();
        if (null != disabled)
        {
            notes.add(disabled);
        }
        if (writesStopped)
        {
            notes.add("switchover under way for " + TimeUnit.NANOSECONDS.toMillis(nowNs - writesStoppedAtNs) +
                " ms: writes paused");
        }
        if (role == Role.CANDIDATE)
        {
            notes.add("standing for election in epoch " + epoch);
        }
        if (role == Role.FOLLOWER && leaderId <= 0)
        {
            notes.add("no leader known in epoch " + epoch);
        }
        final long behind = leaderLogEndOffset - log.logEndOffset();
        if (role == Role.FOLLOWER && leaderId > 0 && behind > 0)
        {
            notes.add("resync: " + behind + " records behind node " + leaderId + " at " + resyncRecordsPerSecond +
                " records/s" + (resyncRecordsPerSecond > 0 ? ", ETA " + behind / resyncRecordsPerSecond + " s" : ""));
        }
        if (role == Role.FOLLOWER && followerState == FollowerState.NEED_EPOCH_END)
        {
            notes.add("reconciling its log with node " + leaderId + "'s epoch history");
        }
        return String.join("; ", notes);
    }

    private void sendChecksum(final ClientSessions.Session session, final long correlationId, final long fromOffset,
        final long toOffset)
    {
        Status status = Status.OK;
        String message = "";
        long batches = 0;
        long bytes = 0;
        long coveredFrom = fromOffset;
        long coveredTo = fromOffset;
        checksum.reset();
        final long limit = Math.min(toOffset, commitOffset);
        try
        {
            long offset = fromOffset;
            boolean first = true;
            while (offset < limit)
            {
                stagingByteBuffer.clear();
                final int read = log.read(offset, 1024 * 1024, stagingByteBuffer);
                if (read == 0)
                {
                    break;
                }
                int position = 0;
                while (position < read && BatchDescriptor.nextOffset(staging, position) <= limit)
                {
                    final int length = BatchDescriptor.length(staging, position);
                    if (first)
                    {
                        coveredFrom = BatchDescriptor.baseOffset(staging, position);
                        first = false;
                    }
                    final ByteBuffer view = stagingByteBuffer.duplicate();
                    view.limit(position + length).position(position);
                    checksum.update(view);
                    batches++;
                    bytes += length;
                    offset = BatchDescriptor.nextOffset(staging, position);
                    coveredTo = offset;
                    position += length;
                }
                if (position == 0)
                {
                    break;
                }
            }
        }
        catch (final LogshipException ex)
        {
            status = ex instanceof OffsetOutOfRangeException ? Status.OFFSET_OUT_OF_RANGE : Status.ERROR;
            message = ex.getMessage();
        }
        checksumResponseEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
            .correlationId(correlationId).nodeId(nodeId).status(status).fromOffset(coveredFrom).toOffset(coveredTo)
            .batchCount(batches).byteCount(bytes).crc32c(checksum.getValue()).message(message);
        session.publisher.offer(checksumResponseEncoder);
    }

    // ---------------------------------------------------------------------------------------------
    // Queries for status, metrics and tests

    /** Renders the node's metrics (called on the metrics HTTP thread: reads single fields only). */
    void renderMetrics(final StringBuilder text)
    {
        MetricsEndpoint.gauge(text, "logship_role", "0 follower, 1 candidate, 2 leader, 3 fenced", role.code());
        MetricsEndpoint.gauge(text, "logship_epoch", "current epoch", epoch);
        MetricsEndpoint.gauge(text, "logship_leader_id", "node id of the leader, -1 unknown", leaderId);
        MetricsEndpoint.gauge(text, "logship_log_start_offset", "first offset in the log", log.logStartOffset());
        MetricsEndpoint.gauge(text, "logship_log_end_offset", "next offset to write", log.logEndOffset());
        MetricsEndpoint.gauge(text, "logship_durable_end_offset", "offsets below are fsynced", log.durableEndOffset());
        MetricsEndpoint.gauge(text, "logship_commit_offset", "offsets below are committed", commitOffset);
        MetricsEndpoint.gauge(text, "logship_applied_offset", "offsets below are applied to the store",
            store.appliedOffset());
        MetricsEndpoint.gauge(text, "logship_log_size_bytes", "bytes in all segments", log.sizeBytes());
        if (role == Role.LEADER)
        {
            text.append("# HELP logship_follower_lag_records records the follower lacks durably\n")
                .append("# TYPE logship_follower_lag_records gauge\n");
            for (final FollowerProgress follower : followers)
            {
                if (null != follower)
                {
                    final long durable = follower.durableEndOffset;
                    text.append("logship_follower_lag_records{follower=\"").append(follower.nodeId).append("\"} ")
                        .append(durable < 0 ? -1 : log.logEndOffset() - durable).append('\n');
                }
            }
            MetricsEndpoint.gauge(text, "logship_pending_quorum_writes", "writes waiting for quorum", quorumWaits.size());
            MetricsEndpoint.gauge(text, "logship_pending_all_writes", "writes waiting for all nodes", allWaits.size());
        }
        MetricsEndpoint.gauge(text, "logship_client_sessions", "connected clients", sessions.size());
        MetricsEndpoint.counter(text, "logship_writes_without_session_total",
            "write requests dropped because the client never connected", writesWithoutSession);
        MetricsEndpoint.counter(text, "logship_elections_started_total", "candidacies this node started",
            electionsStarted);
        MetricsEndpoint.counter(text, "logship_fault_dropped_messages_total",
            "messages from peers dropped by the faults file (fault injection)", faultDroppedMessages);
        MetricsEndpoint.counter(text, "logship_follower_slow_fsyncs_total", "follower fsyncs over 100 ms",
            flusher.slowFsyncs());
        MetricsEndpoint.counter(text, "logship_leader_step_downs_total",
            "times this node stopped leading (lease lost, deposed, demoted, handed over)", leaderDepositions);
        MetricsEndpoint.counter(text, "logship_quarantined_records_total",
            "records cut from this node's log and kept in quarantine files", quarantinedRecords);
        MetricsEndpoint.counter(text, "logship_stale_epoch_refusals_total",
            "messages refused because they came from a lower epoch", staleEpochRefusals);
        MetricsEndpoint.counter(text, "logship_invalid_batches_from_leader_total",
            "batches from the leader refused (CRC, continuity)", invalidBatchesFromLeader);
        for (final MessageAdapter adapter : new MessageAdapter[] {clientAdapter, adminAdapter, replicationAdapter,
            feedbackAdapter, electionAdapter})
        {
            final String stream = adapter.stream().name().toLowerCase();
            text.append("logship_messages_received_total{stream=\"").append(stream).append("\"} ")
                .append(adapter.receivedCount()).append('\n')
                .append("logship_messages_rejected_total{stream=\"").append(stream).append("\"} ")
                .append(adapter.rejectedCount()).append('\n')
                .append("logship_messages_auth_failed_total{stream=\"").append(stream).append("\"} ")
                .append(adapter.authFailedCount()).append('\n')
                .append("logship_messages_malformed_total{stream=\"").append(stream).append("\"} ")
                .append(adapter.malformedCount()).append('\n');
        }
    }

    Role role()
    {
        return role;
    }

    /** From now on writes are answered UNAVAILABLE (retryable): a clean stop is under way. */
    void stopTakingWrites()
    {
        stopping = true;
    }

    /** Writes waiting for quorum or all, as of the last duty cycle (any thread). */
    int pendingWrites()
    {
        return stopping && role != Role.LEADER ? 0 : pendingWriteCount;
    }

    int epoch()
    {
        return epoch;
    }

    int leaderId()
    {
        return leaderId;
    }

    long commitOffset()
    {
        return commitOffset;
    }

    /** The epoch this node leads, or -1: read by the journal thread before every batch it appends. */
    int leadingEpoch()
    {
        return leadingEpoch;
    }

    // ---------------------------------------------------------------------------------------------
    // The election's view of this node

    /** The election state lives in {@code node-state}, written atomically (temp, fsync, rename, fsync dir). */
    private final class StateFilePersistence implements Persistence
    {
        @Override
        public State read()
        {
            final NodeStateFile.State state = nodeStateFile.read();
            return new State((int)state.epoch(), state.leaderId(), state.votedFor());
        }

        @Override
        public void write(final State state)
        {
            nodeStateFile.write(new NodeStateFile.State(state.epoch(), state.leaderId(), state.votedFor()));
        }
    }

    /** The up-to-date check compares (last epoch, log end) — the whole log, fsynced or not, as in Raft. */
    private final class LocalLogView implements LogView
    {
        @Override
        public int lastLogEpoch()
        {
            return log.epochHistory().latestEpoch();
        }

        @Override
        public long logEndOffset()
        {
            return log.logEndOffset();
        }
    }

    /** What the election asks of the node; runs on the conductor thread, inside an election call. */
    private final class ElectionOutbox implements Outbox
    {
        @Override
        public void sendRequestVote(final int to, final int voteEpoch, final int lastLogEpoch, final long logEndOffset,
            final int flags)
        {
            final BoundedPublisher publisher = to > 0 && to < electionToPeer.length ? electionToPeer[to] : null;
            if (null == publisher)
            {
                return;
            }
            requestVoteEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
                .epoch(voteEpoch).candidateId(nodeId).lastLogEpoch(lastLogEpoch).logEndOffset(logEndOffset);
            requestVoteEncoder.flags().clear()
                .forced((flags & ElectionState.FLAG_FORCED) != 0)
                .graceful((flags & ElectionState.FLAG_GRACEFUL) != 0);
            publisher.offer(requestVoteEncoder);
        }

        @Override
        public void sendVote(final int to, final int voteEpoch, final int candidateId, final int voterEpoch,
            final boolean granted)
        {
            final BoundedPublisher publisher = to > 0 && to < electionToPeer.length ? electionToPeer[to] : null;
            if (null == publisher)
            {
                return;
            }
            voteEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
                .epoch(voteEpoch).voterId(nodeId).candidateId(candidateId).voterEpoch(voterEpoch)
                .granted(granted ? BooleanType.TRUE : BooleanType.FALSE);
            publisher.offer(voteEncoder);
        }

        @Override
        public void sendHandover(final int to, final int handoverEpoch)
        {
            final BoundedPublisher publisher = to > 0 && to < electionToPeer.length ? electionToPeer[to] : null;
            if (null == publisher)
            {
                return;
            }
            handoverEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
                .epoch(handoverEpoch).leaderId(nodeId).targetId(to);
            publisher.offer(handoverEncoder);
            logger.log(INFO, "Node " + nodeId + " hands epoch " + handoverEpoch + " over to node " + to +
                ", which holds its whole log");
        }

        @Override
        public void becomeCandidate(final int newEpoch)
        {
            electionsStarted++;
            epoch = newEpoch;
            leaderId = -1;
            role = Role.CANDIDATE;
            logger.log(INFO, "Node " + nodeId + " stands for election in epoch " + newEpoch + " (log end " +
                log.logEndOffset() + ", last epoch " + log.epochHistory().latestEpoch() + ")");
        }

        @Override
        public void becomeLeader(final int newEpoch)
        {
            startLeading(newEpoch);
        }

        @Override
        public void becomeFollower(final int newEpoch, final int newLeaderId)
        {
            final boolean changed = newEpoch != epoch || newLeaderId != leaderId || role != Role.FOLLOWER;
            epoch = newEpoch;
            leaderId = newLeaderId;
            if (role != Role.FENCED)
            {
                role = Role.FOLLOWER;
            }
            assembler.reset();
            echoTimestampNs = -1;
            lastAckedDurable = -2; // ack at the next chance: the new leader knows nothing of this node yet
            if (followerState != FollowerState.INSTALLING && followerState != FollowerState.REWINDING)
            {
                cancelSnapshotReceive();
                followerState = newLeaderId > 0 ? FollowerState.NEED_EPOCH_END : FollowerState.AWAIT_LEADER;
                lastEpochEndRequestNs = 0;
            }
            if (changed)
            {
                logger.log(INFO, "Node " + nodeId + (newLeaderId > 0 ? " follows node " + newLeaderId : " waits for a leader") +
                    " in epoch " + newEpoch);
            }
        }

        @Override
        public void stepDown(final int oldEpoch, final String reason)
        {
            leaderDepositions++;
            leadingEpoch = -1; // the journal thread appends nothing more of this epoch
            journalDraining = true;
            writesStopped = false;
            role = Role.FOLLOWER;
            final PendingWrites.Completion notLeader = (c, client, offset, offsetEpoch, timedOut, count) ->
            {
                final ClientSessions.Session session = sessions.get(client, 0);
                if (null != session)
                {
                    sendWriteResponse(session, c, -1, Status.NOT_LEADER, null, "node " + nodeId + " stepped down " +
                        "from epoch " + oldEpoch + " (" + reason + ") before the write at offset " + offset +
                        " was acknowledged; retry: the retry is de-duplicated if the write survived", offsetEpoch, count);
                }
            };
            quorumWaits.drain(notLeader);
            allWaits.drain(notLeader);
            for (final FollowerProgress follower : followers)
            {
                if (null != follower)
                {
                    follower.reset();
                }
            }
            logger.log(WARNING, "Node " + nodeId + " steps down from epoch " + oldEpoch + ": " + reason);
        }

        @Override
        public void stopWrites(final int currentEpoch, final String reason)
        {
            writesStopped = true;
            writesStoppedAtNs = System.nanoTime();
            logger.log(INFO, "Node " + nodeId + " stops taking writes in epoch " + currentEpoch + ": " + reason);
        }

        @Override
        public void resumeWrites(final int currentEpoch)
        {
            writesStopped = false;
            logger.log(WARNING, "Node " + nodeId + " takes writes again in epoch " + currentEpoch + ": the switchover " +
                "target did not catch up within " + config.electionConfig().handoverTimeoutMs() + " ms");
        }
    }
}
