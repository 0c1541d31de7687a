package io.logship.node.leader;

import io.logship.log.FsyncPolicy;
import io.logship.log.SegmentedLog;
import io.logship.node.CommitRule;
import io.logship.node.ReplicatedLog;

import java.util.ArrayList;
import java.util.List;

/**
 * The leader's view of how far each node holds the log, and the commit offset it derives with {@link CommitRule}:
 * nothing is committed before a majority holds this epoch's opening NOOP. A node *holds* a record by its own
 * {@code logship.log.fsync} policy (docs/DESIGN.md#fsync-policy): with {@code always} once it fsynced it, with
 * {@code interval} once it wrote it (as Kafka's {@code acks=all}). Also counts the durability receipt of a write
 * reply: how many nodes have written it and how many fsynced it. Holds the {@link FollowerProgress} of every
 * follower (index = node id, null for this node and unused ids). Only voters count (docs/DESIGN.md#membership): the
 * array and the voter flags are replaced when the configuration changes ({@link #reconfigure}), never per message.
 * Conductor thread only; {@link #followers()} is also read by the metrics thread (a volatile array reference).
 */
public final class CommitTracker
{
    private final ReplicatedLog partition;
    private final SegmentedLog log;
    private final boolean leaderHoldsWritten;
    private volatile FollowerProgress[] followers;
    private long[] heldScratch;
    /** Whether this node is a voter of the configuration in effect; a leader always is (it cannot remove itself). */
    private boolean selfVoter = true;
    /** Offset of this epoch's opening NOOP, -1 until the journal has appended it. */
    private long epochStartOffset = -1;

    /** @param fsyncPolicy this node's own {@code logship.log.fsync}: which of its ends it holds. */
    public CommitTracker(final ReplicatedLog partition, final FollowerProgress[] followers, final int clusterSize,
        final FsyncPolicy fsyncPolicy)
    {
        this.partition = partition;
        this.log = partition.log();
        this.leaderHoldsWritten = fsyncPolicy == FsyncPolicy.INTERVAL;
        this.followers = followers;
        this.heldScratch = new long[Math.max(clusterSize, followers.length + 1)];
    }

    /**
     * A new configuration took effect: {@code newFollowers} (index = node id) replaces the array, each entry's
     * {@link FollowerProgress#voter} flag already set. Rare: allocates.
     */
    public void reconfigure(final FollowerProgress[] newFollowers, final boolean selfIsVoter)
    {
        heldScratch = new long[newFollowers.length + 1];
        selfVoter = selfIsVoter;
        followers = newFollowers;
    }

    public FollowerProgress[] followers()
    {
        return followers;
    }

    /** The follower with node id {@code id}, or null if it is not one. */
    public FollowerProgress follower(final int id)
    {
        return id > 0 && id < followers.length ? followers[id] : null;
    }

    public void epochStartOffset(final long offset)
    {
        epochStartOffset = offset;
    }

    /** Offset of this epoch's opening NOOP, -1 until appended. */
    public long epochStartOffset()
    {
        return epochStartOffset;
    }

    /** Offsets below are held by this node by its own policy: what ack level LEADER waits for. */
    public long leaderHeldEndOffset()
    {
        return leaderHoldsWritten ? log.logEndOffset() : log.durableEndOffset();
    }

    public void updateCommitOffset()
    {
        if (epochStartOffset < 0)
        {
            return;
        }
        int n = 0;
        if (selfVoter)
        {
            heldScratch[n++] = leaderHeldEndOffset();
        }
        for (final FollowerProgress follower : followers)
        {
            if (null != follower && follower.voter)
            {
                heldScratch[n++] = follower.heldEndOffset();
            }
        }
        partition.commitOffset(CommitRule.commitOffset(heldScratch, n, epochStartOffset, partition.commitOffset()));
    }

    /** Offsets below are held on every voter, each by its own policy: what ack level ALL waits for. */
    public long lowestHeldOffset()
    {
        long lowest = leaderHeldEndOffset();
        for (final FollowerProgress follower : followers)
        {
            if (null != follower && follower.voter)
            {
                lowest = Math.min(lowest, follower.heldEndOffset());
            }
        }
        return lowest;
    }

    /** The nodes known to hold {@code offset} by their own policy, for a timeout's message. */
    public List<Integer> nodesHolding(final long offset)
    {
        final List<Integer> holders = new ArrayList<>();
        if (leaderHeldEndOffset() > offset)
        {
            holders.add(partition.nodeId());
        }
        for (final FollowerProgress follower : followers)
        {
            if (null != follower && follower.heldEndOffset() > offset)
            {
                holders.add(follower.nodeId);
            }
        }
        return holders;
    }

    /** Durability receipt: nodes (this one included) known to have written {@code offset}; 0 for a negative offset. */
    public int nodesWritten(final long offset)
    {
        if (offset < 0)
        {
            return 0;
        }
        int count = log.logEndOffset() > offset ? 1 : 0;
        for (final FollowerProgress follower : followers)
        {
            if (null != follower && Math.max(follower.writtenEndOffset, follower.durableEndOffset) > offset)
            {
                count++;
            }
        }
        return count;
    }

    /** Durability receipt: nodes (this one included) known to have fsynced {@code offset}; 0 for a negative offset. */
    public int nodesDurable(final long offset)
    {
        if (offset < 0)
        {
            return 0;
        }
        int count = log.durableEndOffset() > offset ? 1 : 0;
        for (final FollowerProgress follower : followers)
        {
            if (null != follower && follower.durableEndOffset > offset)
            {
                count++;
            }
        }
        return count;
    }
}
