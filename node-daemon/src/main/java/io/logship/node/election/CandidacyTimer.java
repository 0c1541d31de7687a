package io.logship.node.election;

import java.util.random.RandomGenerator;

/**
 * When a follower stands for election on its own: once the silence it waits out has passed (the election timeout from
 * the last leader contact or vote granted, plus its rank's steps and a jitter), or a back-off after a failed round.
 * The silence counts from when this node's own election state is durable, not before: until then nothing it said has
 * left, a grant among it (docs/DESIGN.md#candidacy-in-parallel). Split out of {@link ElectionState}, which decides
 * when each applies; conductor thread only.
 */
final class CandidacyTimer
{
    static final long NOT_SCHEDULED = Long.MAX_VALUE;

    private final RandomGenerator random;
    private long atMs;
    private long delayMs;
    /** Whether the node stands on its own at all: off once an operator's one-off promotion failed. */
    private boolean automatic;

    /** @param random the state machine's generator: draws stay in the order the simulation's seeds replay. */
    CandidacyTimer(final RandomGenerator random)
    {
        this.random = random;
    }

    /**
     * Stand after {@code silenceMs}, {@code rank} candidacy steps and a jitter from {@code nowMs}; never if this node
     * is no voter of {@code config} (docs/DESIGN.md#membership), though it stays automatic for when it becomes one.
     */
    void schedule(final long nowMs, final long silenceMs, final int rank, final ElectionConfig config)
    {
        standIn(nowMs, silenceMs + rank * config.candidacyStepMs() + jitter(config));
        if (!config.selfVoter())
        {
            atMs = NOT_SCHEDULED;
        }
    }

    /** Stand {@code delayMs} from {@code nowMs} (a back-off), on its own. */
    void standIn(final long nowMs, final long delayMs)
    {
        automatic = true;
        this.delayMs = delayMs;
        atMs = nowMs + delayMs;
    }

    /** A candidate's log is behind this node's: stand within a jitter, if not sooner already. */
    void standSoon(final long nowMs, final ElectionConfig config)
    {
        atMs = Math.min(atMs, nowMs + jitter(config));
    }

    /** This node's election state is not durable yet: the whole delay runs again from when it is. */
    void holdWhileNotDurable(final long nowMs)
    {
        if (NOT_SCHEDULED != atMs)
        {
            atMs = Math.max(atMs, nowMs + delayMs);
        }
    }

    /** Not until scheduled again (no voter any more). */
    void unschedule()
    {
        atMs = NOT_SCHEDULED;
    }

    /** Never on its own again: an operator's promotion in a two-node cluster is tried once. */
    void stop()
    {
        automatic = false;
        atMs = NOT_SCHEDULED;
    }

    /** Whether it is unscheduled but would stand on its own (a node that became a voter again). */
    boolean idle()
    {
        return automatic && NOT_SCHEDULED == atMs;
    }

    /** When it stands, or {@link #NOT_SCHEDULED} if it does not on its own under {@code config}. */
    long atMs(final ElectionConfig config, final boolean leaving)
    {
        return automatic && !leaving && config.autoFailoverEnabled() && config.selfVoter() ? atMs : NOT_SCHEDULED;
    }

    /** Whether it stands now. */
    boolean due(final long nowMs, final ElectionConfig config, final boolean leaving)
    {
        return nowMs >= atMs(config, leaving);
    }

    private long jitter(final ElectionConfig config)
    {
        return config.electionJitterMs() == 0 ? 0 : random.nextLong(config.electionJitterMs() + 1);
    }
}
