package io.logship.node.election;

import java.util.HashSet;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * One round of vote requests, a pre-vote's or a real candidacy's: the requests sent (and sent again to the silent
 * every heartbeat interval until the round's deadline), who granted, who refused, and whether the grants (the
 * candidate's own included) make a majority of the voters or the refusals make one impossible. Split out of
 * {@link ElectionState}, which runs one round at a time and decides what a won, lost or expired round means;
 * conductor thread only.
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
    /** The epoch asked for and the VoteFlags of the running round. */
    private int askedEpoch;
    private int flags;
    private long openedAtMs;
    private long deadlineMs;
    /** Whether the round had a tick since it opened ({@link #firstTick}). */
    private boolean ticked;
    private long lastRequestSentMs;
    /** Rounds failed in a row: the back-off doubles with each. */
    private int failedInARow;

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

    /**
     * A new round for {@code askedEpoch} with {@code flags}, ending at {@code nowMs} + the vote round timeout: asks
     * every other voter, telling it this node's log position from {@code log}.
     */
    void open(final long nowMs, final int askedEpoch, final int flags, final Outbox outbox, final LogView log)
    {
        start(config.selfId());
        this.askedEpoch = askedEpoch;
        this.flags = flags;
        openedAtMs = nowMs;
        deadlineMs = nowMs + config.voteRoundTimeoutMs();
        ticked = false;
        sendRequests(nowMs, false, outbox, log);
    }

    /**
     * The round's first timer tick: it runs the vote round timeout from here at least. A round is opened with the time
     * its trigger was read (a handover, a timer), and the requests leave at the end of that duty cycle, or at the next
     * one's release of held peer messages; a cycle that stalls in between (a freshly restarted node running the
     * election code for the first time on a busy host: 142 ms, seen in CI) used up the round before any vote could be
     * back, so a handover's target failed its first round and won only the next epoch. Called before any expiry check.
     */
    void firstTick(final long nowMs)
    {
        if (!ticked)
        {
            ticked = true;
            deadlineMs = Math.max(deadlineMs, nowMs + config.voteRoundTimeoutMs());
        }
    }

    /**
     * This node's own election state is not on disk yet, so it cannot lead yet and its requests may not have left
     * (held behind an older state's messages; docs/DESIGN.md#vote-round and #candidacy-in-parallel): the round lasts
     * the vote round timeout from when the write ends, plus as long again as it has taken so far, for a voter's write
     * of its grant on a disk as slow. With a fixed deadline from the decision, a node-state write slower than the
     * timeout failed every round (its grants came back after it), and the cluster elected no leader while the disk
     * was slow.
     */
    void extendWhileUnsent(final long nowMs)
    {
        deadlineMs = Math.max(deadlineMs, nowMs + config.voteRoundTimeoutMs() + (nowMs - openedAtMs));
    }

    /** The epoch the running round asks for. */
    int askedEpoch()
    {
        return askedEpoch;
    }

    /** The round failed (lost or expired). */
    void fail()
    {
        failedInARow++;
    }

    /** A leader was elected or heard: the next failure backs off from the start again. */
    void clearFailures()
    {
        failedInARow = 0;
    }

    /** Random wait after a failed round, in {@code [backoffMin, min(backoffMax, backoffMin × 2^failedInARow)]}. */
    long backoffDelayMs(final RandomGenerator random)
    {
        final long min = config.backoffMinMs();
        final long upper = Math.min(config.backoffMaxMs(), min << Math.min(failedInARow, 20));
        return min + random.nextLong(upper - min + 1);
    }

    /** Whether the round's deadline passed without an outcome. */
    boolean expired(final long nowMs)
    {
        return nowMs >= deadlineMs;
    }

    /** Asks the voters that have not answered again, once a heartbeat interval passed (requests or replies may be lost). */
    void askSilentAgain(final long nowMs, final Outbox outbox, final LogView log)
    {
        if (nowMs - lastRequestSentMs >= config.heartbeatIntervalMs())
        {
            sendRequests(nowMs, true, outbox, log);
        }
    }

    private void sendRequests(final long nowMs, final boolean onlyUnanswered, final Outbox outbox, final LogView log)
    {
        lastRequestSentMs = nowMs;
        final int lastEpoch = log.lastLogEpoch();
        final long end = log.logEndOffset();
        for (final int peer : config.priorities().keySet())
        {
            if (peer != config.selfId() && (!onlyUnanswered || !answered(peer)))
            {
                outbox.sendRequestVote(peer, askedEpoch, lastEpoch, end, flags);
            }
        }
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
