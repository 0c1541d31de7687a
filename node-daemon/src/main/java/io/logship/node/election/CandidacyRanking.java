package io.logship.node.election;

import java.util.HashMap;
import java.util.Map;

/**
 * The log positions peers reported in their vote requests, and from them this node's place in the queue of
 * candidates: a peer with a more up-to-date log, or an equal one and a higher priority, should stand first
 * (see {@link ElectionState}'s class javadoc). Ranking information only: it never decides a vote. Owned by
 * {@link ElectionState}, on the conductor thread.
 */
final class CandidacyRanking
{
    private final Map<Integer, long[]> peerPositions = new HashMap<>();
    /** The members and priorities of the last map ranked, as arrays: ranking runs on every leader contact. */
    private Map<Integer, Integer> rankedPriorities;
    private int[] memberIds;
    private int[] memberPriorities;

    /** A peer's last log epoch and log end, from a vote or pre-vote request. */
    void record(final int peer, final int lastLogEpoch, final long logEndOffset)
    {
        peerPositions.put(peer, new long[] {lastLogEpoch, logEndOffset});
    }

    /** A leader was heard: the positions seen during the election are stale. */
    void clear()
    {
        peerPositions.clear();
    }

    /** Peers other than {@code selfId} and the known leader that should stand before this node. */
    int rank(final Map<Integer, Integer> priorities, final int selfId, final int leaderId, final int ownLastEpoch,
        final long ownEnd)
    {
        if (priorities != rankedPriorities)
        {
            memberIds = priorities.keySet().stream().mapToInt(Integer::intValue).toArray();
            memberPriorities = priorities.values().stream().mapToInt(Integer::intValue).toArray();
            rankedPriorities = priorities;
        }
        int rank = 0;
        final int ownPriority = priorities.get(selfId);
        for (int i = 0; i < memberIds.length; i++)
        {
            final int peer = memberIds[i];
            if (peer == selfId || peer == leaderId)
            {
                continue;
            }
            final long[] position = peerPositions.isEmpty() ? null : peerPositions.get(peer);
            final int cmp = null == position ? 0 : compare((int)position[0], position[1], ownLastEpoch, ownEnd);
            final int priority = memberPriorities[i];
            if (cmp > 0 || (cmp == 0 && (priority > ownPriority || (priority == ownPriority && peer < selfId))))
            {
                rank++;
            }
        }
        return rank;
    }

    /** Compares two log positions: last epoch first, then log end offset. */
    static int compare(final int lastEpochA, final long endA, final int lastEpochB, final long endB)
    {
        return lastEpochA != lastEpochB ? Integer.compare(lastEpochA, lastEpochB) : Long.compare(endA, endB);
    }
}
