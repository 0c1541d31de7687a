package io.logship.node.election;

import org.agrona.collections.Long2LongHashMap;

import java.util.Arrays;
import java.util.Map;

/**
 * The leader's view of each member, for its lease and for handover: when each follower's newest ack was
 * sent (the echoed heartbeat time, docs/DESIGN.md#leader-lease) and how far it holds the log by its own
 * fsync policy. Indexed like the sorted member ids, in arrays, so the ack path allocates nothing. Owned by
 * {@link ElectionState}, on the conductor thread.
 */
final class FollowerLeases
{
    private final int selfId;
    private final Map<Integer, Integer> priorities;
    private final int[] memberIds;
    private final long[] ackSentAtMs;
    private final long[] heldEnd;
    /**
     * When each non-voter's newest ack was sent, so a learner promoted to voter brings its recent acks into the lease
     * at once instead of counting as silent until its next ack (which cost a fresh leader its lease).
     */
    private final Long2LongHashMap nonVoterAckSentAtMs = new Long2LongHashMap(ElectionState.NEVER);

    FollowerLeases(final int selfId, final Map<Integer, Integer> priorities)
    {
        this.selfId = selfId;
        this.priorities = priorities;
        memberIds = priorities.keySet().stream().mapToInt(Integer::intValue).sorted().toArray();
        ackSentAtMs = new long[memberIds.length];
        heldEnd = new long[memberIds.length];
        reset();
    }

    /**
     * The same leases over the voters of a new configuration: what a voter that stays acked is kept, a new voter
     * starts from its acks as a non-voter ({@link ElectionState#NEVER} if none), a removed one is dropped.
     * Rare (a membership change), so it may allocate.
     */
    FollowerLeases reconfigured(final Map<Integer, Integer> newPriorities)
    {
        final FollowerLeases next = new FollowerLeases(selfId, newPriorities);
        nonVoterAckSentAtMs.longForEach(next.nonVoterAckSentAtMs::put); // kept across changes, until leadership ends
        for (int i = 0; i < next.memberIds.length; i++)
        {
            final int old = indexOf(next.memberIds[i]);
            if (old >= 0)
            {
                next.ackSentAtMs[i] = ackSentAtMs[old];
                next.heldEnd[i] = heldEnd[old];
            }
            else
            {
                next.ackSentAtMs[i] = nonVoterAckSentAtMs.get(next.memberIds[i]);
            }
        }
        return next;
    }

    /** Forgets every ack: a new leadership starts with no lease from anyone. */
    void reset()
    {
        Arrays.fill(ackSentAtMs, ElectionState.NEVER);
        Arrays.fill(heldEnd, -1);
        nonVoterAckSentAtMs.clear();
    }

    /** Position of {@code id} among the sorted member ids, or -1 for a non-member. */
    int indexOf(final int id)
    {
        for (int i = 0; i < memberIds.length; i++)
        {
            if (memberIds[i] == id)
            {
                return i;
            }
        }
        return -1;
    }

    /**
     * An ack of {@code followerId}; false for this node (nothing recorded) and for a non-voter (only its send time
     * recorded, for when it becomes a voter).
     */
    boolean onAck(final int followerId, final long nowMs, final long echoedSentAtMs, final long heldEndOffset)
    {
        final int index = indexOf(followerId);
        if (followerId == selfId)
        {
            return false;
        }
        if (index < 0)
        {
            final long sentAtMs = Math.min(echoedSentAtMs, nowMs);
            if (sentAtMs > nonVoterAckSentAtMs.get(followerId))
            {
                nonVoterAckSentAtMs.put(followerId, sentAtMs);
            }
            return false;
        }
        // An ack is never dated after its arrival, and a reordered older one never moves the lease back.
        ackSentAtMs[index] = Math.max(ackSentAtMs[index], Math.min(echoedSentAtMs, nowMs));
        heldEnd[index] = heldEndOffset; // the latest report: a reordered older one only lowers it
        return true;
    }

    /** Log end the member {@code id} last reported holding, -1 if none or if it is no voter. */
    long heldEnd(final int id)
    {
        final int index = indexOf(id);
        return index < 0 ? -1 : heldEnd[index];
    }

    /** Nodes within their lease, this one included. */
    int holders(final long nowMs, final long leaseTimeoutMs)
    {
        int holders = 1;
        for (int i = 0; i < memberIds.length; i++)
        {
            if (memberIds[i] != selfId && nowMs - ackSentAtMs[i] < leaseTimeoutMs)
            {
                holders++;
            }
        }
        return holders;
    }

    /** The live follower holding the most of the log, ties to the higher priority; NONE if no follower is live. */
    int mostCaughtUp(final long nowMs, final long leaseTimeoutMs)
    {
        int best = Persistence.NONE;
        long bestEnd = -1;
        for (int i = 0; i < memberIds.length; i++)
        {
            final int id = memberIds[i];
            if (id == selfId || nowMs - ackSentAtMs[i] >= leaseTimeoutMs)
            {
                continue;
            }
            if (heldEnd[i] > bestEnd ||
                (heldEnd[i] == bestEnd && Persistence.NONE != best && priorities.get(id) > priorities.get(best)))
            {
                best = id;
                bestEnd = heldEnd[i];
            }
        }
        return best;
    }
}
