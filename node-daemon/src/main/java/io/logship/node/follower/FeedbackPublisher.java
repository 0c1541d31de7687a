package io.logship.node.follower;

import io.logship.log.FsyncPolicy;
import io.logship.log.SegmentedLog;
import io.logship.node.ReplicatedLog;
import io.logship.node.egress.PeerPublishers;
import io.logship.node.egress.SendBuffer;
import io.logship.transport.BoundedPublisher;
import io.logship.transport.codec.AckEncoder;
import io.logship.transport.codec.EpochEndRequestEncoder;
import io.logship.transport.codec.FetchFromEncoder;
import io.logship.transport.codec.NodeFsync;

/**
 * What a follower tells its leader: FetchFrom (where its log ends), Ack (written and fsynced ends, its fsync
 * policy, applied offset and the newest heartbeat timestamp echoed for the leader's lease) and EpochEndRequest
 * (reconciliation). Sent to the leader this node currently knows; nothing when none is. Conductor thread only.
 */
public final class FeedbackPublisher
{
    private final ReplicatedLog partition;
    private final SegmentedLog log;
    private final PeerPublishers peers;
    private final SendBuffer sendBuffer;
    private final NodeFsync fsyncPolicy;
    private final FetchFromEncoder fetchFromEncoder = new FetchFromEncoder();
    private final AckEncoder ackEncoder = new AckEncoder();
    private final EpochEndRequestEncoder epochEndRequestEncoder = new EpochEndRequestEncoder();

    /** @param fsyncPolicy this node's {@code logship.log.fsync}, so the leader knows which end it holds. */
    public FeedbackPublisher(final ReplicatedLog partition, final PeerPublishers peers, final SendBuffer sendBuffer,
        final FsyncPolicy fsyncPolicy)
    {
        this.fsyncPolicy = fsyncPolicy == FsyncPolicy.INTERVAL ? NodeFsync.INTERVAL : NodeFsync.ALWAYS;
        this.partition = partition;
        this.log = partition.log();
        this.peers = peers;
        this.sendBuffer = sendBuffer;
    }

    public void sendFetch()
    {
        final BoundedPublisher toLeader = peers.feedback(partition.leaderId());
        if (null == toLeader)
        {
            return;
        }
        fetchFromEncoder.wrapAndApplyHeader(sendBuffer.buffer(), 0, sendBuffer.header())
            .epoch(partition.epoch()).nodeId(partition.nodeId()).fetchOffset(log.logEndOffset())
            .lastEpoch(log.epochHistory().latestEpoch());
        toLeader.offer(fetchFromEncoder);
    }

    /**
     * @param durable the fsynced end, {@code written} the appended end (both -1 while reconciling).
     * @return whether the ack was sent.
     */
    public boolean sendAck(final long durable, final long written, final long applied, final long echoTimestampNs)
    {
        final BoundedPublisher toLeader = peers.feedback(partition.leaderId());
        if (null == toLeader)
        {
            return false;
        }
        ackEncoder.wrapAndApplyHeader(sendBuffer.buffer(), 0, sendBuffer.header())
            .epoch(partition.epoch()).nodeId(partition.nodeId()).durableEndOffset(durable).appliedOffset(applied)
            .echoedTimestampNs(echoTimestampNs).writtenEndOffset(written).fsyncPolicy(fsyncPolicy);
        return toLeader.offer(ackEncoder).isSent();
    }

    /** Asks the leader where {@code requestedEpoch} ended on its log (on the election stream); false if no leader. */
    public boolean sendEpochEndRequest(final int requestedEpoch)
    {
        final BoundedPublisher toLeader = peers.election(partition.leaderId());
        if (null == toLeader)
        {
            return false;
        }
        epochEndRequestEncoder.wrapAndApplyHeader(sendBuffer.buffer(), 0, sendBuffer.header())
            .epoch(partition.epoch()).nodeId(partition.nodeId()).requestedEpoch(requestedEpoch);
        toLeader.offer(epochEndRequestEncoder);
        return true;
    }
}
