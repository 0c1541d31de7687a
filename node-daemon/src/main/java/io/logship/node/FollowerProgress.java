package io.logship.node;

import io.logship.kv.SnapshotReader;
import io.logship.transport.BoundedPublisher;

/**
 * The leader's view of one follower: how far its log is durable (from its acks in the current epoch),
 * what it has applied, where shipping continues, and a snapshot transfer in progress. Owned by the
 * leader's conductor thread.
 */
final class FollowerProgress
{
    final int nodeId;
    final BoundedPublisher replication;
    final BoundedPublisher election;

    /** Durable end offset the follower acknowledged in the current epoch; -1 until it does. */
    long durableEndOffset = -1;
    long appliedOffset = -1;
    /** Next offset to ship; -1 until the follower says where it stands with FetchFrom. */
    long nextSendOffset = -1;
    long lastAckNs;
    long lastHeartbeatNs;

    SnapshotReader snapshot;
    long snapshotOffset;
    long snapshotPosition;

    FollowerProgress(final int nodeId, final BoundedPublisher replication, final BoundedPublisher election)
    {
        this.nodeId = nodeId;
        this.replication = replication;
        this.election = election;
    }

    void reset()
    {
        durableEndOffset = -1;
        appliedOffset = -1;
        nextSendOffset = -1;
        closeSnapshot();
    }

    void closeSnapshot()
    {
        if (null != snapshot)
        {
            snapshot.close();
            snapshot = null;
        }
    }
}
