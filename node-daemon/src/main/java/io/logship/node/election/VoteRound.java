package io.logship.node.election;

import java.util.HashSet;
import java.util.Set;

/**
 * The answers to one round of vote requests, a pre-vote's or a real candidacy's: who granted, who refused, and
 * whether the grants (the candidate's own included) make a majority of the voters or the refusals make one
 * impossible. Split out of {@link ElectionState}, which runs one round at a time; conductor thread only.
 */
final class VoteRound
{
    /** Where a round stands after an answer. */
    enum Outcome
    {
        OPEN, WON, LOST
    }

    private ElectionConfig config;
    private final Set<Integer> grants = new HashSet<>();
    private final Set<Integer> denials = new HashSet<>();

    VoteRound(final ElectionConfig config)
    {
        this.config = config;
    }

    /** The configuration changed during the round: from now on only its voters' answers count. */
    void config(final ElectionConfig next)
    {
        config = next;
    }

    /** A new round: only the candidate's own vote so far. */
    void start(final int selfId)
    {
        grants.clear();
        denials.clear();
        grants.add(selfId);
    }

    /** Whether the grants so far make a majority (at once in a one-node cluster). */
    boolean won()
    {
        return votersIn(grants) >= config.majority();
    }

    private int votersIn(final Set<Integer> ids)
    {
        int count = 0;
        for (final int id : ids)
        {
            if (config.priorities().containsKey(id))
            {
                count++;
            }
        }
        return count;
    }

    /** Whether {@code voterId} has answered this round, either way. */
    boolean answered(final int voterId)
    {
        return grants.contains(voterId) || denials.contains(voterId);
    }

    /** Counts one answer; a grant replaces an earlier refusal, a refusal never replaces a grant. */
    Outcome count(final int voterId, final boolean granted)
    {
        if (granted)
        {
            denials.remove(voterId);
            grants.add(voterId);
            return won() ? Outcome.WON : Outcome.OPEN;
        }
        if (!grants.contains(voterId))
        {
            denials.add(voterId);
            if (votersIn(denials) > config.memberCount() - config.majority())
            {
                return Outcome.LOST;
            }
        }
        return Outcome.OPEN;
    }
}
