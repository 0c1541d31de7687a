package io.logship.node.leader;

import io.logship.format.BatchDescriptor;
import io.logship.kv.KeyValueStore;
import io.logship.kv.SnapshotInfo;
import io.logship.log.EpochHistory;
import io.logship.log.OffsetOutOfRangeException;
import io.logship.log.SegmentedLog;
import io.logship.node.NodeConfig;
import io.logship.node.ReplicatedLog;
import io.logship.node.egress.SendBuffer;
import io.logship.node.pipeline.RecentBatches;
import io.logship.node.read.BatchIterator;
import io.logship.node.read.LogReadBuffer;
import io.logship.transport.AppendBatchAssembler;
import io.logship.transport.PublishResult;
import io.logship.transport.codec.AppendBatchEncoder;
import io.logship.transport.codec.HeartbeatEncoder;
import io.logship.transport.codec.SnapshotChunkEncoder;

import org.agrona.DirectBuffer;

import java.util.concurrent.TimeUnit;

import static java.lang.System.Logger.Level.ERROR;
import static java.lang.System.Logger.Level.INFO;

/**
 * The leader's sending to followers: the log from where each follower asked (live and catch-up are one
 * path, at most {@code logship.node.replication.bytes.per.cycle} per follower per duty cycle), a snapshot
 * instead when the follower needs offsets below the log start, and heartbeats on the election stream.
 * Conductor thread only.
 */
public final class ReplicationPublisher
{
    private static final int SNAPSHOT_CHUNK_BYTES = 256 * 1024;

    private final ReplicatedLog partition;
    private final SegmentedLog log;
    private final KeyValueStore store;
    private final NodeConfig config;
    private final CommitTracker commits;
    private final SendBuffer sendBuffer;
    private final LogReadBuffer staging;
    private final RecentBatches recent;
    private final System.Logger logger;
    private final long heartbeatIntervalNs;
    /** Told the offset of every snapshot sent: the configuration record below it never reaches that follower. */
    private java.util.function.LongConsumer snapshotSent = (offset) -> { };
    private final AppendBatchEncoder appendBatchEncoder = new AppendBatchEncoder();
    private final HeartbeatEncoder heartbeatEncoder = new HeartbeatEncoder();
    private final SnapshotChunkEncoder snapshotChunkEncoder = new SnapshotChunkEncoder();

    public ReplicationPublisher(final ReplicatedLog partition, final NodeConfig config, final CommitTracker commits,
        final SendBuffer sendBuffer, final LogReadBuffer staging, final RecentBatches recent)
    {
        this.recent = recent;
        this.partition = partition;
        this.log = partition.log();
        this.store = partition.store();
        this.config = config;
        this.commits = commits;
        this.sendBuffer = sendBuffer;
        this.staging = staging;
        this.logger = partition.logger();
        this.heartbeatIntervalNs = TimeUnit.MILLISECONDS.toNanos(config.heartbeatIntervalMs());
    }

    /** Ships to every follower and heartbeats those due. */
    public int sendToFollowers(final long nowNs)
    {
        int work = 0;
        for (final FollowerProgress follower : commits.followers())
        {
            if (null != follower)
            {
                work += shipTo(follower);
                if (nowNs - follower.lastHeartbeatNs >= heartbeatIntervalNs)
                {
                    follower.lastHeartbeatNs = nowNs;
                    sendHeartbeat(follower, nowNs);
                }
            }
        }
        return work;
    }

    private int shipTo(final FollowerProgress follower)
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
            final int length;
            try
            {
                length = read(from, Math.min(maxChunk, budget));
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
            final BatchIterator batches = staging.batches(length);
            batches.next();
            final long baseOffset = batches.baseOffset();
            appendBatchEncoder.wrapAndApplyHeader(sendBuffer.buffer(), 0, sendBuffer.header())
                .epoch(partition.epoch())
                .leaderId(partition.nodeId())
                .baseOffset(baseOffset)
                .prevBatchEpoch(log.epochHistory().epochForOffset(baseOffset - 1))
                .commitOffset(partition.commitOffset())
                .totalLength(length)
                .chunkPosition(0)
                .putBatches(staging.buffer(), 0, length);
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

    /**
     * Whole batches from {@code from} into the staging buffer: from the journal's window of recent batches when it
     * still holds them and they are the log's (docs/DESIGN.md#replication-window), else from the log.
     */
    private int read(final long from, final int maxBytes)
    {
        final int length = recent.read(from, log.logEndOffset(), maxBytes, staging.buffer());
        if (length > 0 && isTheLogs(length))
        {
            return length;
        }
        return staging.read(log, from, maxBytes);
    }

    private boolean isTheLogs(final int length)
    {
        return isTheLogs(log.epochHistory(), staging.batches(length), staging.buffer());
    }

    /**
     * Whether batches copied from the replication window are the log's. The window holds one term of this node's
     * leadership: its batches are the log's exactly when the log's epoch history gives the first and the last of
     * them their own epoch (epochs in a log never decrease, and one epoch's batches were written by one leader, this
     * node). A window left from an earlier term, whose offsets another leader has since rewritten, fails it.
     */
    static boolean isTheLogs(final EpochHistory history, final BatchIterator batches, final DirectBuffer buffer)
    {
        long firstBase = -1;
        int firstEpoch = -1;
        long lastBase = -1;
        int lastEpoch = -1;
        while (batches.next())
        {
            lastBase = batches.baseOffset();
            lastEpoch = BatchDescriptor.epoch(buffer, batches.position());
            if (firstBase < 0)
            {
                firstBase = lastBase;
                firstEpoch = lastEpoch;
            }
        }
        return firstBase >= 0 && history.epochForOffset(firstBase) == firstEpoch &&
            history.epochForOffset(lastBase) == lastEpoch;
    }

    private long lastNextOffset(final int length)
    {
        long next = -1;
        final BatchIterator batches = staging.batches(length);
        while (batches.next())
        {
            next = batches.nextOffset();
        }
        return next;
    }

    /** Set once by the node: told the offset of each snapshot sent to a follower (docs/DESIGN.md#membership). */
    public void onSnapshotSent(final java.util.function.LongConsumer listener)
    {
        snapshotSent = listener;
    }

    /** The follower needs {@code wantedOffset}, below the log start: it gets the newest snapshot instead. */
    public void startSnapshot(final FollowerProgress follower, final long wantedOffset)
    {
        // Never verify here: that reads the whole file on the duty thread. The apply thread verifies at start and
        // records every snapshot it writes or receives.
        final SnapshotInfo info = store.snapshots().newestVerifiedSnapshot().orElse(null);
        if (null == info || info.appliedOffset() < log.logStartOffset())
        {
            logger.log(ERROR, "follower " + follower.nodeId + " needs offset " + wantedOffset + " below the log start " +
                log.logStartOffset() + " and there is no verified snapshot covering it" +
                (null == info ? " (yet: the apply thread verifies the newest one when the node starts)" : ""));
            follower.nextSendOffset = -1;
            return;
        }
        follower.snapshot = store.snapshots().openReader(info.file());
        follower.snapshotOffset = info.appliedOffset();
        snapshotSent.accept(info.appliedOffset());
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
            staging.byteBuffer().clear().limit(SNAPSHOT_CHUNK_BYTES);
            final int length = follower.snapshot.read(follower.snapshotPosition, staging.byteBuffer());
            snapshotChunkEncoder.wrapAndApplyHeader(sendBuffer.buffer(), 0, sendBuffer.header())
                .epoch(partition.epoch())
                .leaderId(partition.nodeId())
                .snapshotOffset(follower.snapshotOffset)
                .totalLength(size)
                .chunkPosition(follower.snapshotPosition)
                .putData(staging.buffer(), 0, length);
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

    public void sendHeartbeat(final FollowerProgress follower, final long nowNs)
    {
        heartbeatEncoder.wrapAndApplyHeader(sendBuffer.buffer(), 0, sendBuffer.header())
            .epoch(partition.epoch()).leaderId(partition.nodeId()).commitOffset(partition.commitOffset())
            .logEndOffset(log.logEndOffset()).leaderTimestampNs(nowNs);
        // On the election stream: a replication publication full of catch-up data must not delay the heartbeat
        // that keeps this leader's lease (ELECTION.md, "No spurious failover").
        final PublishResult result = follower.election.offer(heartbeatEncoder);
        if (PublishResult.SENT == result)
        {
            follower.heartbeatsRefused = 0;
        }
        else
        {
            follower.heartbeatsRefused++;
            follower.lastHeartbeatRefusal = result;
        }
    }
}
