package io.logship.node.election;

import org.agrona.collections.Long2LongHashMap;

import java.util.Arrays;
import java.util.Map;

/**
 * The leader's lease (docs/DESIGN.md#leader-lease) and its view of each member for handover: when each follower's
 * newest ack was sent (the echoed heartbeat time) and how far it holds the log by its own fsync policy, whether a
 * forced promotion waived the lease, and whether an expired lease is being waited out. Indexed like the sorted member
 * ids, in arrays, so the ack path allocates nothing. Owned by {@link ElectionState}, on the conductor thread; apart
 * from it so the election's state machine stays readable, while {@link ElectionState} decides what a change means
 * (step down, or wait).
 */
final class FollowerLeases
{
    private final ElectionConfig config;
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
    private long electedAtMs;
    /** A forced promotion leads with no majority reachable: it acknowledges until a majority acks again. */
    private boolean waived;
    /** Leader without automatic failover: its lease expired, it keeps the role and waits for a majority. */
    private boolean waiting;

    FollowerLeases(final ElectionConfig config)
    {
        this.config = config;
        this.selfId = config.selfId();
        this.priorities = config.priorities();
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
    FollowerLeases reconfigured(final ElectionConfig newConfig)
    {
        final FollowerLeases next = new FollowerLeases(newConfig);
        next.electedAtMs = electedAtMs;
        next.waived = waived;
        next.waiting = waiting;
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

    /** Forgets every ack, the waiver and the wait: a new leadership starts with no lease from anyone. */
    void reset()
    {
        Arrays.fill(ackSentAtMs, ElectionState.NEVER);
        Arrays.fill(heldEnd, -1);
        nonVoterAckSentAtMs.clear();
        waived = false;
        waiting = false;
    }

    /** This node won at {@code nowMs}: its first lease runs from then, before any follower acked it. */
    void start(final long nowMs)
    {
        electedAtMs = nowMs;
    }

    /** A forced promotion: acknowledge without a majority until one acks again. */
    void waive()
    {
        waived = true;
    }

    /** Whether the lease is held: waived, or acks sent within the lease timeout from a majority, this node included. */
    boolean holds(final long nowMs)
    {
        return waived || holders(nowMs) >= config.majority();
    }

    /** Whether {@code nowMs} is within the lease timeout of winning, when no follower can have acked yet. */
    boolean inFirstLease(final long nowMs)
    {
        return nowMs - electedAtMs < config.leaseTimeoutMs();
    }

    /**
     * Called on every leader tick: why the lease just expired (and, with automatic failover, on every tick while it
     * stays so) or came back, or null if nothing changed.
     */
    String expiryChange(final long nowMs)
    {
        final boolean expired = !waived && !inFirstLease(nowMs) && holders(nowMs) < config.majority();
        if (expired == waiting && !(expired && config.autoFailoverEnabled()))
        {
            return null;
        }
        waiting = expired;
        return expired ? "lease expired: acks from " + holders(nowMs) + " of " + config.memberCount() +
            " nodes (itself included) within " + config.leaseTimeoutMs() + " ms" : "a majority acknowledges again";
    }

    /** Whether the lease expired and this leader, without automatic failover, waits for a majority. */
    boolean waiting()
    {
        return waiting;
    }

    /** Holders, majority, voters and waiver, for the simulation's summary. */
    String describe(final long nowMs)
    {
        return "lease holders " + holders(nowMs) + " of majority " + config.majority() + " of voters " +
            priorities.keySet() + (waived ? " (waived)" : "");
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
        if (waived && holders(nowMs) >= config.majority())
        {
            waived = false; // a majority is back: the ordinary lease applies again
        }
        return true;
    }

    /** When the newest ack of voter {@code id} was sent; {@link ElectionState#NEVER} if none, or if it is no voter. */
    long lastAckSentAtMs(final int id)
    {
        final int index = indexOf(id);
        return index < 0 || id == selfId ? ElectionState.NEVER : ackSentAtMs[index];
    }

    /** Log end the member {@code id} last reported holding, -1 if none or if it is no voter. */
    long heldEnd(final int id)
    {
        final int index = indexOf(id);
        return index < 0 ? -1 : heldEnd[index];
    }

    /** Nodes within their lease, this one included. */
    int holders(final long nowMs)
    {
        final long leaseTimeoutMs = config.leaseTimeoutMs();
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
    int mostCaughtUp(final long nowMs)
    {
        final long leaseTimeoutMs = config.leaseTimeoutMs();
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
