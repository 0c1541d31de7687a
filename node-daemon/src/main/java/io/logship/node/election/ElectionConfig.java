package io.logship.node.election;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Settings of one node's {@link ElectionState}: who the members are, their candidacy priorities, and
 * the timeouts. Immutable; validated on construction (a bad value names the field, the value and what
 * is accepted).
 *
 * <h2>Default timeouts and why</h2>
 * Target: SIGKILL of the leader → first acknowledged write on the new leader within 1 s.
 * <ul>
 *   <li>{@code heartbeatIntervalMs = 50}: the leader sends a heartbeat to every follower at least this
 *       often, whether or not it is also sending appends.</li>
 *   <li>{@code leaseTimeoutMs = 300}: six heartbeats. A leader whose latest acks from a majority
 *       (itself included) answer messages it sent more than 300 ms ago stops taking writes. Five
 *       heartbeats or acks in a row can be lost or late before a healthy leader steps down.</li>
 *   <li>{@code electionTimeoutMs = 400}: a follower that has heard nothing from its leader for 400 ms
 *       may vote for, or become, a candidate. It must exceed the lease timeout (see
 *       {@link ElectionState} for the proof that no new leader exists while an old lease holds); the
 *       100 ms gap absorbs clock-rate differences and scheduling delays.</li>
 *   <li>{@code candidacyStepMs = 100} and {@code electionJitterMs = 50}: the most up-to-date,
 *       highest-priority follower stands first, at 400–450 ms; the next one waits another 100 ms, more
 *       than the jitter plus a vote round trip, so it normally sees the first one win and never
 *       stands.</li>
 *   <li>{@code backoffMinMs = 50}, {@code backoffMaxMs = 400}: a failed round waits a random delay,
 *       doubling its upper bound per failed round up to the maximum.</li>
 * </ul>
 * Budget for the target: 400 (timeout) + ≤ 50 (jitter) + one vote round trip + the NOOP's fsync and
 * replication ≈ 0.5 s, leaving about half a second for clients to find the new leader.
 *
 * <p><b>No spurious failover under load</b> requires: heartbeats are sent on a timer, never queued
 * behind bulk appends or catch-up (a back-pressured replication publication must not delay them);
 * followers count any message from the leader (append or heartbeat) as contact, handled on receipt,
 * not after an fsync; followers ack a heartbeat at once (echoing its timestamp), independent of fsync;
 * and no thread on the path pauses for 300 ms (GC, a blocking fsync on the duty-cycle thread). If the
 * leader does pause longer than the lease, it steps down — safe, but an election follows.
 *
 * @param selfId              this node's id; it need not be a voter (a learner, or a node joining with
 *                            {@code logship.cluster.join=true}): a node that is no voter never stands.
 * @param priorities          every voter of the configuration in effect (docs/DESIGN.md#membership) → its
 *                            candidacy priority; higher stands first. Iteration order is irrelevant. Learners
 *                            are not listed: their votes and acks count for nothing.
 * @param heartbeatIntervalMs how often the leader sends heartbeats (the node does the sending).
 * @param leaseTimeoutMs      leader lease; {@code < electionTimeoutMs}.
 * @param electionTimeoutMs   follower silence before it may stand or grant an automatic vote.
 * @param electionJitterMs    random extra wait, uniform in [0, jitter], added to each candidacy timer.
 * @param candidacyStepMs     extra wait per peer that should stand before this node.
 * @param backoffMinMs        lower bound of the wait after a failed round.
 * @param backoffMaxMs        upper bound of the wait after failed rounds.
 * @param voteRoundTimeoutMs  how long a candidate waits for votes before the round counts as failed.
 * @param handoverTimeoutMs   how long a graceful switchover may take before it is abandoned.
 * @param autoFailoverWanted  whether the operator wants automatic failover; it is only enabled with
 *                            three or more members.
 */
public record ElectionConfig(
    int selfId,
    Map<Integer, Integer> priorities,
    long heartbeatIntervalMs,
    long leaseTimeoutMs,
    long electionTimeoutMs,
    long electionJitterMs,
    long candidacyStepMs,
    long backoffMinMs,
    long backoffMaxMs,
    long voteRoundTimeoutMs,
    long handoverTimeoutMs,
    boolean autoFailoverWanted)
{
    public static final long HEARTBEAT_INTERVAL_MS_DEFAULT = 50;
    public static final long LEASE_TIMEOUT_MS_DEFAULT = 300;
    public static final long ELECTION_TIMEOUT_MS_DEFAULT = 400;
    public static final long ELECTION_JITTER_MS_DEFAULT = 50;
    public static final long CANDIDACY_STEP_MS_DEFAULT = 100;
    public static final long BACKOFF_MIN_MS_DEFAULT = 50;
    public static final long BACKOFF_MAX_MS_DEFAULT = 400;
    public static final long VOTE_ROUND_TIMEOUT_MS_DEFAULT = 200;
    public static final long HANDOVER_TIMEOUT_MS_DEFAULT = 2_000;

    public ElectionConfig
    {
        priorities = Collections.unmodifiableMap(new LinkedHashMap<>(priorities));
        if (selfId <= 0)
        {
            throw bad("selfId", selfId, "a node id ≥ 1");
        }
        if (priorities.isEmpty())
        {
            throw bad("priorities", 0, "at least one voter");
        }
        if (priorities.size() > ElectionState.MAX_MEMBERS)
        {
            throw bad("priorities", priorities.size(), "at most " + ElectionState.MAX_MEMBERS + " members");
        }
        for (final int id : priorities.keySet())
        {
            if (id <= 0)
            {
                throw bad("priorities", id, "member ids ≥ 1");
            }
        }
        positive("heartbeatIntervalMs", heartbeatIntervalMs);
        positive("electionTimeoutMs", electionTimeoutMs);
        positive("voteRoundTimeoutMs", voteRoundTimeoutMs);
        positive("handoverTimeoutMs", handoverTimeoutMs);
        positive("backoffMinMs", backoffMinMs);
        if (leaseTimeoutMs < 2 * heartbeatIntervalMs)
        {
            throw bad("leaseTimeoutMs", leaseTimeoutMs, "at least two heartbeat intervals (" +
                2 * heartbeatIntervalMs + "), or every late heartbeat costs the leader its lease");
        }
        if (leaseTimeoutMs >= electionTimeoutMs)
        {
            throw bad("leaseTimeoutMs", leaseTimeoutMs, "below electionTimeoutMs (" + electionTimeoutMs +
                "), or a deposed leader could still hold its lease when a new one is elected");
        }
        if (electionJitterMs < 0 || candidacyStepMs < 0)
        {
            throw bad("electionJitterMs/candidacyStepMs", Math.min(electionJitterMs, candidacyStepMs), "≥ 0");
        }
        if (backoffMaxMs < backoffMinMs)
        {
            throw bad("backoffMaxMs", backoffMaxMs, "≥ backoffMinMs (" + backoffMinMs + ")");
        }
    }

    /** The defaults above, every member at priority 0 (so ties go to the lower id), automatic failover wanted. */
    public static ElectionConfig defaults(final int selfId, final Iterable<Integer> memberIds)
    {
        final Map<Integer, Integer> priorities = new LinkedHashMap<>();
        for (final int id : memberIds)
        {
            priorities.put(id, 0);
        }
        return new ElectionConfig(selfId, priorities, HEARTBEAT_INTERVAL_MS_DEFAULT, LEASE_TIMEOUT_MS_DEFAULT,
            ELECTION_TIMEOUT_MS_DEFAULT, ELECTION_JITTER_MS_DEFAULT, CANDIDACY_STEP_MS_DEFAULT, BACKOFF_MIN_MS_DEFAULT,
            BACKOFF_MAX_MS_DEFAULT, VOTE_ROUND_TIMEOUT_MS_DEFAULT, HANDOVER_TIMEOUT_MS_DEFAULT, true);
    }

    public ElectionConfig withPriorities(final Map<Integer, Integer> newPriorities)
    {
        return new ElectionConfig(selfId, newPriorities, heartbeatIntervalMs, leaseTimeoutMs, electionTimeoutMs,
            electionJitterMs, candidacyStepMs, backoffMinMs, backoffMaxMs, voteRoundTimeoutMs, handoverTimeoutMs,
            autoFailoverWanted);
    }

    public ElectionConfig withAutoFailoverWanted(final boolean wanted)
    {
        return new ElectionConfig(selfId, priorities, heartbeatIntervalMs, leaseTimeoutMs, electionTimeoutMs,
            electionJitterMs, candidacyStepMs, backoffMinMs, backoffMaxMs, voteRoundTimeoutMs, handoverTimeoutMs,
            wanted);
    }

    public int memberCount()
    {
        return priorities.size();
    }

    /** Whether this node is a voter of the configuration: only a voter stands for election or grants votes. */
    public boolean selfVoter()
    {
        return priorities.containsKey(selfId);
    }

    /** Grants (the candidate's own included) that make a majority of the configured members. */
    public int majority()
    {
        return priorities.size() / 2 + 1;
    }

    /** Automatic failover runs only if wanted and there is a majority without the leader (≥ 3 members). */
    public boolean autoFailoverEnabled()
    {
        return autoFailoverWanted && priorities.size() >= 3;
    }

    /** Why automatic failover is off, for {@code status}; {@code null} when it is on. */
    public String autoFailoverDisabledReason()
    {
        if (!autoFailoverWanted)
        {
            return "automatic failover disabled by configuration";
        }
        if (priorities.size() < 3)
        {
            return "a " + priorities.size() + "-node cluster has no majority without its leader: promote with " +
                "'logship promote NODE' (add --force if the leader is gone)";
        }
        return null;
    }

    private static void positive(final String field, final long value)
    {
        if (value <= 0)
        {
            throw bad(field, value, "> 0");
        }
    }

    private static IllegalArgumentException bad(final String field, final long value, final String expected)
    {
        return new IllegalArgumentException("election config " + field + "=" + value + " is invalid: expected " +
            expected);
    }
}
