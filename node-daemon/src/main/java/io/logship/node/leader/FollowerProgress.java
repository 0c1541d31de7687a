package io.logship.node.leader;

import io.logship.kv.SnapshotReader;
import io.logship.transport.BoundedPublisher;
import io.logship.transport.PublishResult;

import java.util.concurrent.TimeUnit;

/**
 * The leader's view of one follower: how far its log is written and fsynced (from its acks in the current
 * epoch), what it has applied, where shipping continues, and a snapshot transfer in progress. Owned by the
 * leader's conductor thread.
 */
public final class FollowerProgress
{
    /** {@link #deferredEpochEndQuestion} when no question waits (epochs are never negative). */
    public static final int NO_QUESTION = Integer.MIN_VALUE;

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
    /** The leader timestamp its newest ack echoed (the newest heartbeat it had read), -1 if none this epoch. */
    public long lastEchoedNs = -1;
    /** Heartbeats to it that its election publication refused in a row, and the last refusal: for a lost lease. */
    public int heartbeatsRefused;
    public PublishResult lastHeartbeatRefusal;
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

    /**
     * The epoch an EpochEndRequest of this follower asked about while this leader's epoch was not yet in its log
     * (its NOOP still on the journal thread); {@link #NO_QUESTION} if none. Answered once the NOOP is appended,
     * rather than dropped for the follower to ask again two heartbeat intervals later: that wait was 100 ms of half
     * the failovers measured (docs/DESIGN.md#rejoin).
     */
    public int deferredEpochEndQuestion = NO_QUESTION;

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

    /**
     * What the leader last heard from this follower, for the log line of a step-down: when its last ack arrived, how
     * old the heartbeat it echoed was (the lease counts the latter), and heartbeats its publication refused.
     */
    public String describeContact(final long nowNs)
    {
        return "node " + nodeId + ": " + (0 == lastAckNs ? "no ack" : "last ack " +
            TimeUnit.NANOSECONDS.toMillis(nowNs - lastAckNs) + " ms ago") + (lastEchoedNs < 0 ?
            ", echoing no heartbeat of this epoch" : ", echoing a heartbeat sent " +
            TimeUnit.NANOSECONDS.toMillis(nowNs - lastEchoedNs) + " ms ago") + (0 == heartbeatsRefused ? "" :
            ", its last " + heartbeatsRefused + " heartbeats refused (" + lastHeartbeatRefusal + ")");
    }

    public void reset()
    {
        lastEchoedNs = -1;
        heartbeatsRefused = 0;
        durableEndOffset = -1;
        writtenEndOffset = -1;
        appliedOffset = -1;
        nextSendOffset = -1;
        deferredEpochEndQuestion = NO_QUESTION;
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
