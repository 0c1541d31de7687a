package io.logship.node.leader;

import io.logship.log.SegmentedLog;
import io.logship.node.CommitRule;
import io.logship.node.ReplicatedLog;

import java.util.ArrayList;
import java.util.List;

/**
 * The leader's view of how far each node holds the log durably, and the commit offset it derives with
 * {@link CommitRule}: nothing is committed before a majority holds this epoch's opening NOOP. Holds the
 * {@link FollowerProgress} of every follower (index = node id, null for this node and unused ids).
 * Conductor thread only.
 */
public final class CommitTracker
{
    private final ReplicatedLog partition;
    private final SegmentedLog log;
    private final FollowerProgress[] followers;
    private final long[] durableScratch;
    /** Offset of this epoch's opening NOOP, -1 until the journal has appended it. */
    private long epochStartOffset = -1;

    public CommitTracker(final ReplicatedLog partition, final FollowerProgress[] followers, final int clusterSize)
    {
        this.partition = partition;
        this.log = partition.log();
        this.followers = followers;
        this.durableScratch = new long[clusterSize];
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

    public void updateCommitOffset()
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
        partition.commitOffset(CommitRule.commitOffset(durableScratch, n, epochStartOffset, partition.commitOffset()));
    }

    /** Offsets below are durable on every node: what ack level ALL waits for. */
    public long lowestDurableOffset()
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

    /** The nodes known to hold {@code offset} durably, for a timeout's message. */
    public List<Integer> nodesHolding(final long offset)
    {
        final List<Integer> holders = new ArrayList<>();
        if (log.durableEndOffset() > offset)
        {
            holders.add(partition.nodeId());
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
}
