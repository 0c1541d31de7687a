package io.logship.node.leader;

import io.logship.kv.SnapshotReader;
import io.logship.transport.BoundedPublisher;

/**
 * The leader's view of one follower: how far its log is written and fsynced (from its acks in the current
 * epoch), what it has applied, where shipping continues, and a snapshot transfer in progress. Owned by the
 * leader's conductor thread.
 */
public final class FollowerProgress
{
    public final int nodeId;
    public final BoundedPublisher replication;
    public final BoundedPublisher election;

    /** Fsynced end offset the follower acknowledged in the current epoch; -1 until it does. */
    public long durableEndOffset = -1;
    /** Written (appended, maybe not fsynced) end offset the follower acknowledged in the current epoch; -1 until it does. */
    public long writtenEndOffset = -1;
    /** The follower runs {@code logship.log.fsync=interval}: it holds what it has written, not only what it fsynced. */
    public boolean holdsWritten;
    public long appliedOffset = -1;
    /** Next offset to ship; -1 until the follower says where it stands with FetchFrom. */
    public long nextSendOffset = -1;
    public long lastAckNs;
    public long lastHeartbeatNs;
    /**
     * A voter of the configuration in effect: counted by the commit rule and by ack level ALL. A learner is shipped
     * to and acks like a voter, but counts in no majority (docs/DESIGN.md#membership).
     */
    public boolean voter = true;
    /**
     * Offset of the record that removed this node, -1 while it is a member. The leader keeps shipping to it (so it
     * learns of its removal) until an election timeout after that record committed ({@link #removedAtNs}).
     */
    public long removedAtOffset = -1;
    public long removedAtNs;

    public SnapshotReader snapshot;
    public long snapshotOffset;
    public long snapshotPosition;

    public FollowerProgress(final int nodeId, final BoundedPublisher replication, final BoundedPublisher election)
    {
        this.nodeId = nodeId;
        this.replication = replication;
        this.election = election;
    }

    /** What this follower holds by its own fsync policy (docs/DESIGN.md#fsync-policy): what the commit counts. */
    public long heldEndOffset()
    {
        return holdsWritten ? Math.max(writtenEndOffset, durableEndOffset) : durableEndOffset;
    }

    public void reset()
    {
        durableEndOffset = -1;
        writtenEndOffset = -1;
        appliedOffset = -1;
        nextSendOffset = -1;
        closeSnapshot();
    }

    public void closeSnapshot()
    {
        if (null != snapshot)
        {
            snapshot.close();
            snapshot = null;
        }
    }
}
