package io.logship.node.election;

import java.util.random.RandomGenerator;

import static io.logship.node.election.CandidacyRanking.compare;
import static io.logship.node.election.Persistence.NONE;

/**
 * One node's role and epoch: the only part of logship that is agreed by the cluster. A pure,
 * deterministic state machine: no threads, no I/O except through {@link Persistence} and
 * {@link Outbox}, no clock (time is the {@code nowMs} argument, from one monotonic clock), randomness
 * only from the injected generator. Not thread-safe: owned by the node's conductor thread.
 *
 * <p>The rules it keeps are written once, in docs/DESIGN.md: epochs grow and are persisted before any peer learns
 * of them (a candidacy's own vote requests aside, {@code #candidacy-in-parallel}), stale messages are refused
 * ({@link #onLeaderContact} returns {@link LeaderContact#REFUSED}), a vote is granted only to an up-to-date
 * candidate while no live leader was heard, a candidacy is ranked and backs off ({@code docs/DESIGN.md#election});
 * an automatic candidacy first runs a pre-vote ({@code #pre-vote}); a leader acknowledges only while it holds its
 * lease, measured from the echoed send time of its followers' acks ({@code #leader-lease}), and without it steps
 * down only where another node may stand; two-node clusters never stand on their own; a restarted node starts as a
 * follower at its persisted epoch; a forced promotion leads in an epoch slot reserved for its member ({@link
 * EpochNumbers#forcedEpochAfter}). Proofs and the flaws the simulation found: node-daemon/ELECTION.md.
 * Majorities, the lease and candidacy count the voters of the configuration in this node's log
 * ({@link #reconfigure}, docs/DESIGN.md#membership): a learner never stands and its vote and acks count for
 * nothing, but any node answers a vote request.
 *
 * <p>Longer than the ~500 lines other classes keep to, on purpose: the vote, the lease and a handover depend on
 * each other's state, and the simulation checks them as one state machine. What stands alone is apart
 * ({@link EpochNumbers}, {@link FollowerLeases}, {@link CandidacyRanking}, {@link CandidacyTimer}, {@link VoteRound},
 * {@link Switchover}).
 */
public final class ElectionState
{
    /** {@code VoteFlags.forced}: operator's unclean promotion; skips the up-to-date and recency checks. */
    public static final int FLAG_FORCED = 1;
    /** {@code VoteFlags.graceful}: a switchover handed over by a live leader; skips the recency check. */
    public static final int FLAG_GRACEFUL = 2;
    /**
     * {@code VoteFlags.preVote}: "could I win {@code epoch}?" The voter answers as it would a real request but
     * persists nothing, so the question never raises an epoch ({@link #onRequestVote}).
     */
    public static final int FLAG_PRE_VOTE = 4;

    /** The most members a cluster may have: one reserved epoch slot each ({@link EpochNumbers}). */
    static final int MAX_MEMBERS = EpochNumbers.MAX_MEMBERS;
    static final long NEVER = Long.MIN_VALUE / 4;
    /** {@link Vote#reason()} of a repeated request granted as before (its vote already persisted). */
    public static final String GRANTED_AGAIN = "granted again";

    /** Replaced by {@link #reconfigure} when the configuration in the log changes (docs/DESIGN.md#membership). */
    private ElectionConfig config;
    private final Persistence persistence;
    private final LogView log;
    private final Outbox outbox;
    private final RandomGenerator random;
    private final int selfId;

    private int epoch;
    private int leaderId;
    private int votedFor;
    private ElectionRole role = ElectionRole.FOLLOWER;

    private long lastLeaderContactMs;
    private final CandidacyTimer candidacy;
    /** The node is stopping: it still votes, but neither stands nor takes a handover ({@link #leave}). */
    private boolean leaving;
    private int highestProposedEpoch;
    private final CandidacyRanking ranking = new CandidacyRanking();

    private final VoteRound round;
    /** A pre-vote round is running: still a follower, asking for the round's epoch with nothing persisted. */
    private boolean preVoting;
    private boolean manualCandidacy;

    /** Leader side: the lease, and each follower's held log end. */
    private FollowerLeases leases;
    /** Leader side: a graceful switchover to another node, if one runs. */
    private final Switchover switchover;

    private long elections;

    /**
     * Loads the persisted state and starts as a follower at that epoch (a node never resumes
     * leadership after a restart). Sends nothing; the node reads {@link #role()}, {@link #epoch()} and
     * {@link #leaderId()}.
     */
    public ElectionState(final ElectionConfig config, final Persistence persistence, final LogView log,
        final Outbox outbox, final RandomGenerator random, final long nowMs)
    {
        this.config = config;
        this.persistence = persistence;
        this.log = log;
        this.outbox = outbox;
        this.random = random;
        this.selfId = config.selfId();
        leases = new FollowerLeases(config);
        switchover = new Switchover(outbox);
        round = new VoteRound(config);
        candidacy = new CandidacyTimer(random);
        resetLeaderState();
        final Persistence.State state = persistence.read();
        epoch = state.epoch();
        leaderId = state.leaderId() == selfId ? NONE : state.leaderId();
        votedFor = state.votedFor();
        // It may have acked a leader just before it stopped, so it counts its start as contact — except
        // at epoch 0, where it has never followed anyone.
        lastLeaderContactMs = epoch == 0 ? NEVER : nowMs;
        candidacy.schedule(nowMs, config.electionTimeoutMs(), candidacyRank(), config);
    }

    // ---------------------------------------------------------------------------------------------
    // Inputs

    /** Timers: candidacy, vote round, lease, handover. Call at least every few milliseconds. */
    public void onTick(final long nowMs)
    {
        switch (role)
        {
            case FOLLOWER ->
            {
                if (preVoting)
                {
                    roundTick(nowMs);
                }
                else if (!persistence.isDurable())
                {
                    candidacy.holdWhileNotDurable(nowMs);
                }
                else if (candidacy.due(nowMs, config, leaving))
                {
                    startPreVote(nowMs);
                }
            }
            case CANDIDATE -> roundTick(nowMs);
            case LEADER -> leaderTick(nowMs);
        }
    }

    /** A running vote round: fails at its deadline, else asks the silent peers again (requests or replies may be lost). */
    private void roundTick(final long nowMs)
    {
        round.firstTick(nowMs);
        if (!persistence.isDurable())
        {
            round.extendWhileUnsent(nowMs);
        }
        else if (role == ElectionRole.CANDIDATE && round.won())
        {
            becomeLeader(nowMs); // the majority came back before this node's own vote for itself was durable
            return;
        }
        if (round.expired(nowMs))
        {
            failRound(nowMs);
        }
        else
        {
            round.askSilentAgain(nowMs, outbox, log);
        }
    }

    /**
     * A heartbeat or append from {@code fromLeaderId} in {@code messageEpoch}. Adopts (and persists) a
     * higher epoch or a newly known leader before returning {@link LeaderContact#ACCEPTED}.
     */
    public LeaderContact onLeaderContact(final long nowMs, final int messageEpoch, final int fromLeaderId)
    {
        if (messageEpoch < epoch)
        {
            return LeaderContact.REFUSED;
        }
        if (messageEpoch == epoch && role == ElectionRole.LEADER)
        {
            if (fromLeaderId == selfId)
            {
                return LeaderContact.ACCEPTED;
            }
            // Two leaders in one epoch: only possible after a forced promotion raced an election.
            stepDownInternal(nowMs, "node " + fromLeaderId + " also leads epoch " + epoch);
        }
        if (messageEpoch > epoch || fromLeaderId != leaderId || role != ElectionRole.FOLLOWER)
        {
            follow(messageEpoch, fromLeaderId, messageEpoch == epoch ? votedFor : NONE,
                "node " + fromLeaderId + " leads epoch " + messageEpoch);
        }
        lastLeaderContactMs = nowMs;
        preVoting = false; // the leader is alive after all
        round.clearFailures();
        ranking.clear();
        candidacy.schedule(nowMs, config.electionTimeoutMs(), candidacyRank(), config);
        return LeaderContact.ACCEPTED;
    }

    /**
     * A {@code RequestVote}. Decides, persists a grant, sends the {@code Vote} through the outbox and
     * returns it. A pre-vote ({@link #FLAG_PRE_VOTE}) is decided by the same rules but changes nothing here:
     * no epoch, no vote, no timer (see {@link #onPreVoteRequest}).
     */
    public Vote onRequestVote(final long nowMs, final int candidateId, final int proposedEpoch,
        final int candidateLastLogEpoch, final long candidateLogEndOffset, final int flags)
    {
        // Neither the candidate nor this node need be a voter of this node's configuration (Raft thesis §4.1): the
        // candidate counts only the grants of its own configuration's voters, and a node whose log lags behind a
        // change must still be able to elect the candidate that holds it (found by the simulation: a stale voter
        // ignoring the new voter, and a demoted one refusing, left no majority for anyone).
        if (candidateId <= 0 || candidateId == selfId)
        {
            return new Vote(proposedEpoch, selfId, candidateId, epoch, false, "not a peer");
        }
        if ((flags & FLAG_PRE_VOTE) != 0)
        {
            return onPreVoteRequest(nowMs, candidateId, proposedEpoch, candidateLastLogEpoch, candidateLogEndOffset);
        }
        final boolean forced = (flags & FLAG_FORCED) != 0;
        final boolean graceful = (flags & FLAG_GRACEFUL) != 0;
        ranking.record(candidateId, candidateLastLogEpoch, candidateLogEndOffset);
        highestProposedEpoch = Math.max(highestProposedEpoch, proposedEpoch);
        final boolean upToDate = forced ||
            compare(candidateLastLogEpoch, candidateLogEndOffset, log.lastLogEpoch(), log.logEndOffset()) >= 0;

        // The same request again is granted as before: the vote is already persisted.
        final boolean again = proposedEpoch == epoch && votedFor == candidateId && role != ElectionRole.LEADER;
        final String denial = again ? null : denial(nowMs, proposedEpoch, candidateLastLogEpoch,
            candidateLogEndOffset, upToDate, forced || graceful, false);
        if (!again && null == denial)
        {
            if (proposedEpoch > epoch)
            {
                follow(proposedEpoch, NONE, candidateId, "voted for node " + candidateId + " in epoch " + proposedEpoch);
            }
            // Give the candidate a full round before standing ourselves.
            preVoting = false;
            candidacy.schedule(nowMs, config.electionTimeoutMs(), candidacyRank(), config);
        }
        final boolean granted = null == denial;
        outbox.sendVote(candidateId, proposedEpoch, candidateId, epoch, granted, false);
        return new Vote(proposedEpoch, selfId, candidateId, epoch, granted, again ? GRANTED_AGAIN :
            granted ? "granted" : denial);
    }

    /**
     * A pre-vote: would this node grant {@code proposedEpoch} to the candidate now? Yes iff the epoch is above
     * its own, the candidate's log is at least as up to date, and no live leader was heard within the election
     * timeout (nor does it hold a lease itself). Nothing is persisted and its own candidacy timer is left alone,
     * so a node that asks over and over (cut off, or just resumed from a pause) changes nobody's state; only
     * the real request that follows a majority of pre-vote grants does.
     */
    private Vote onPreVoteRequest(final long nowMs, final int candidateId, final int proposedEpoch,
        final int candidateLastLogEpoch, final long candidateLogEndOffset)
    {
        // Ranking information only; highestProposedEpoch stays: the asker has not voted for itself.
        ranking.record(candidateId, candidateLastLogEpoch, candidateLogEndOffset);
        final String denial = denial(nowMs, proposedEpoch, candidateLastLogEpoch, candidateLogEndOffset,
            compare(candidateLastLogEpoch, candidateLogEndOffset, log.lastLogEpoch(), log.logEndOffset()) >= 0, false,
            true);
        final boolean granted = null == denial;
        outbox.sendVote(candidateId, proposedEpoch, candidateId, epoch, granted, true);
        return new Vote(proposedEpoch, selfId, candidateId, epoch, granted, granted ? "pre-vote granted" : denial);
    }

    /**
     * A {@code Vote} answering this node's pre-vote request ({@code VoteFlags.preVote} set). A majority of grants,
     * itself counted, starts the real candidacy for the epoch asked about; too many refusals end the round
     * with the epoch unchanged.
     */
    public void onPreVote(final long nowMs, final int voterId, final int voteEpoch, final boolean granted,
        final int voterEpoch)
    {
        if (voterEpoch > epoch)
        {
            onHigherEpochSeen(nowMs, voterEpoch, NONE);
            return;
        }
        if (!preVoting || role != ElectionRole.FOLLOWER || voteEpoch != round.askedEpoch() ||
            !config.priorities().containsKey(voterId) || voterId == selfId)
        {
            return;
        }
        if (countAnswer(nowMs, voterId, granted))
        {
            startCandidacy(nowMs, 0, false);
        }
    }

    /** A {@code Vote} reply to this node's (real) request. */
    public void onVote(final long nowMs, final int voterId, final int voteEpoch, final boolean granted,
        final int voterEpoch)
    {
        if (voterEpoch > epoch)
        {
            onHigherEpochSeen(nowMs, voterEpoch, NONE);
            return;
        }
        if (role != ElectionRole.CANDIDATE || voteEpoch != epoch || !config.priorities().containsKey(voterId) ||
            voterId == selfId)
        {
            return;
        }
        // Grants may come back before the vote for itself is durable (its requests need not wait for it,
        // docs/DESIGN.md#candidacy-in-parallel): it counts from then, and roundTick makes the leader.
        if (countAnswer(nowMs, voterId, granted) && persistence.isDurable())
        {
            becomeLeader(nowMs);
        }
    }

    /** Counts one answer of the running round; true once a majority granted, fails the round once it cannot. */
    private boolean countAnswer(final long nowMs, final int voterId, final boolean granted)
    {
        final VoteRound.Outcome outcome = round.count(voterId, granted);
        if (outcome == VoteRound.Outcome.LOST)
        {
            failRound(nowMs);
        }
        return outcome == VoteRound.Outcome.WON;
    }

    /**
     * Leader side: a follower acknowledged (Ack) a message this leader sent at {@code echoedSentAtMs}
     * (the heartbeat/append timestamp echoed back, on this node's clock) and holds the log durably up
     * to {@code durableEndOffset}. Acks from another epoch are ignored.
     */
    public void onFollowerAck(final long nowMs, final int followerId, final int ackEpoch, final long echoedSentAtMs,
        final long durableEndOffset)
    {
        if (ackEpoch > epoch)
        {
            onHigherEpochSeen(nowMs, ackEpoch, NONE);
            return;
        }
        // Not counted: another epoch, this node, or a non-voter (whose acks the leases keep for when it becomes one).
        if (role == ElectionRole.LEADER && ackEpoch == epoch &&
            leases.onAck(followerId, nowMs, echoedSentAtMs, durableEndOffset))
        {
            progressHandover(nowMs);
        }
    }

    /**
     * A peer refused a message with {@code Refuse{currentEpoch, leaderId}} (or any message showed a
     * higher epoch): adopt it, and if this node led, step down.
     */
    public void onHigherEpochSeen(final long nowMs, final int seenEpoch, final int seenLeaderId)
    {
        if (seenEpoch <= epoch)
        {
            return;
        }
        follow(seenEpoch, seenLeaderId == selfId ? NONE : seenLeaderId, NONE, "deposed: epoch " + seenEpoch + " seen");
        preVoting = false;
        candidacy.schedule(nowMs, config.electionTimeoutMs(), candidacyRank(), config);
    }

    /**
     * This node is stopping (SIGTERM): from now on it neither stands on its own nor takes a handover, as a broker in
     * Kafka's controlled shutdown is no leader candidate. Won, the epoch would end with the process a moment later and
     * the others would wait out the election timeout; its leader, which hands over on its own stop, would pick a node
     * that never stands. It still votes, so the nodes staying can elect one of themselves.
     */
    public void leave()
    {
        leaving = true;
    }

    /**
     * Graceful switchover, receiving side: the current leader says this node holds everything and should
     * stand. Honoured only from the leader of this node's current epoch, and not while this node is stopping.
     */
    public void onHandover(final long nowMs, final int fromLeaderId, final int handoverEpoch)
    {
        if (role == ElectionRole.FOLLOWER && handoverEpoch == epoch && fromLeaderId == leaderId && leaderId != NONE &&
            config.selfVoter() && !leaving)
        {
            startCandidacy(nowMs, FLAG_GRACEFUL, true);
        }
    }

    /**
     * {@code logship promote TARGET [--force]} received by this node.
     * <ul>
     *   <li>On the leader, another target, not forced: graceful switchover — stop writes, wait until the
     *       target's durable end reaches this log's end, send it the handover, give up the lease.</li>
     *   <li>On the target, forced: lead epoch + 1 at once, without a majority (unclean: acknowledged
     *       writes this node lacks are lost; the outcome says so).</li>
     *   <li>On the target, not forced, no live leader heard: stand now; voters still refuse it if it
     *       lacks committed data.</li>
     *   <li>Otherwise refused, naming the leader the request should go to.</li>
     * </ul>
     */
    public AdminOutcome promote(final long nowMs, final int targetId, final boolean forced)
    {
        if (!config.priorities().containsKey(targetId))
        {
            return new AdminOutcome(false, "node " + targetId + " is not a voter " + config.priorities().keySet() +
                ": only a voter can lead ('logship member promote " + targetId + "' makes a caught-up learner one)");
        }
        if (targetId == selfId)
        {
            if (role == ElectionRole.LEADER)
            {
                return new AdminOutcome(!switchover.writesStopped(), switchover.writesStopped() ?
                    "node " + selfId + " is handing over epoch " + epoch : "node " + selfId + " already leads epoch " + epoch);
            }
            if (forced)
            {
                final long end = log.logEndOffset();
                startCandidacy(nowMs, FLAG_FORCED, true);
                return new AdminOutcome(true, "FORCED: node " + selfId + " leads epoch " + epoch + " without a " +
                    "majority, from log end offset " + end + " (last epoch " + log.lastLogEpoch() + "). Records " +
                    "other nodes hold beyond it, acknowledged or not, will be cut when they rejoin.");
            }
            if (leaderHeardRecently(nowMs))
            {
                final boolean standing = role == ElectionRole.CANDIDATE; // a handover's target, or won already
                return new AdminOutcome(standing, standing ? "node " + selfId + " stands for epoch " + epoch +
                    (round.won() ? ", won it, and leads once its vote for itself is on disk" : " already") :
                    "node " + leaderId + " leads epoch " + epoch + " and is alive: " +
                    "send the promotion to it for a graceful switchover");
            }
            startCandidacy(nowMs, 0, true);
            return new AdminOutcome(true, "node " + selfId + " stands for epoch " + epoch);
        }
        if (role != ElectionRole.LEADER || forced)
        {
            return new AdminOutcome(false, forced ? "a forced promotion must be sent to node " + targetId :
                "node " + selfId + " does not lead; send the promotion to " +
                (leaderId == NONE ? "the leader" : "node " + leaderId));
        }
        if (switchover.writesStopped())
        {
            return new AdminOutcome(false, "a switchover to node " + switchover.target() + " is already running");
        }
        switchover.start(nowMs, epoch, targetId, config, leases);
        progressHandover(nowMs);
        return new AdminOutcome(true, "switchover of epoch " + epoch + " to node " + targetId + " started");
    }

    /**
     * The follower a leader that is stopping hands its epoch to (as Kafka's controlled shutdown moves leadership
     * first): among the followers that acknowledged within the lease, the one with the highest durable end, ties
     * to the higher priority; {@link Persistence#NONE} when this node does not lead or no follower is live. Leader side only.
     */
    public int mostCaughtUpFollower(final long nowMs)
    {
        return role != ElectionRole.LEADER ? NONE : leases.mostCaughtUp(nowMs);
    }

    /** {@code logship demote}: the leader steps down and lets another node win the next election first. */
    public AdminOutcome demote(final long nowMs)
    {
        if (role != ElectionRole.LEADER)
        {
            return new AdminOutcome(false, "node " + selfId + " does not lead");
        }
        stepDownInternal(nowMs, "demoted by the operator");
        candidacy.schedule(nowMs, 2 * config.electionTimeoutMs() + config.candidacyStepMs() * config.memberCount(),
            candidacyRank(), config);
        return new AdminOutcome(true, "node " + selfId + " stepped down from epoch " + epoch +
            (config.autoFailoverEnabled() ? "" : "; " + config.autoFailoverDisabledReason()));
    }

    /**
     * The configuration in this node's log changed (docs/DESIGN.md#membership, rule 2: effective on append): from now
     * on majorities, the lease and votes count the voters of {@code next}. Acks already received from voters that
     * stay are kept, so a leader does not lose its lease to a change. A node that is no voter any more stops any
     * round it runs and never stands.
     *
     * @throws IllegalArgumentException if {@code next} is for another node.
     */
    public void reconfigure(final long nowMs, final ElectionConfig next)
    {
        if (next.selfId() != selfId)
        {
            throw new IllegalArgumentException("configuration for node " + next.selfId() + " given to node " + selfId);
        }
        config = next;
        leases = leases.reconfigured(next);
        round.config(next);
        if (role == ElectionRole.LEADER)
        {
            switchover.onVotersChanged(epoch, next.priorities());
        }
        if (!next.selfVoter())
        {
            preVoting = false;
            if (role == ElectionRole.CANDIDATE)
            {
                role = ElectionRole.FOLLOWER;
                outbox.becomeFollower(epoch, NONE);
            }
            candidacy.unschedule();
        }
        else if (role == ElectionRole.FOLLOWER && candidacy.idle())
        {
            candidacy.schedule(nowMs, config.electionTimeoutMs(), candidacyRank(), config);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Queries

    public int epoch()
    {
        return epoch;
    }

    /** Leader of the current epoch, {@link Persistence#NONE} if unknown. */
    public int leaderId()
    {
        return role == ElectionRole.LEADER ? selfId : leaderId;
    }

    public int votedFor()
    {
        return votedFor;
    }

    public ElectionRole role()
    {
        return role;
    }

    public int selfId()
    {
        return selfId;
    }

    public ElectionConfig config()
    {
        return config;
    }

    /** Candidacies started, for the elections counter. */
    public long elections()
    {
        return elections;
    }

    /**
     * Whether this node may answer a write or a linearizable read now: it leads, holds its lease (or
     * leads by forced promotion with no majority reachable yet) and has not handed over.
     */
    public boolean canAcknowledge(final long nowMs)
    {
        return role == ElectionRole.LEADER && !switchover.leaseRelinquished() && leases.holds(nowMs);
    }

    /** Whether this leader runs a graceful switchover (its writes are stopped for it). */
    public boolean switchoverRunning()
    {
        return role == ElectionRole.LEADER && switchover.writesStopped();
    }

    /** Whether new writes may be taken: leading, holding the lease, no switchover running. */
    public boolean acceptsWrites(final long nowMs)
    {
        return canAcknowledge(nowMs) && !switchover.writesStopped();
    }

    /** Follower: when it will stand if nothing is heard ({@code Long.MAX_VALUE} if never), for status/tests. */
    public long candidacyAtMs()
    {
        return role == ElectionRole.FOLLOWER ? candidacy.atMs(config, leaving) : CandidacyTimer.NOT_SCHEDULED;
    }

    /** Peers that should stand before this one (see the class javadoc). */
    public int candidacyRank()
    {
        return config.selfVoter() ?
            ranking.rank(config.priorities(), selfId, leaderId, log.lastLogEpoch(), log.logEndOffset()) : 0;
    }

    /** The leader's lease as the simulation's summary prints it: holders, majority, voters, handover. */
    String describeLease(final long nowMs)
    {
        return leases.describe(nowMs) + (switchover.leaseRelinquished() ?
            " (relinquished to " + switchover.target() + ")" : "") + (switchover.writesStopped() ? " (writes stopped)" : "");
    }

    @Override
    public String toString()
    {
        return "node " + selfId + " " + role + " epoch " + epoch + " leader " + leaderId() + " votedFor " + votedFor;
    }

    // ---------------------------------------------------------------------------------------------
    // Internals

    /**
     * Asks the peers whether this node could win the epoch it would propose, before proposing it: an automatic
     * candidacy only (an operator's promotion and a handover stand at once, as etcd's leader transfer skips
     * its pre-vote). Persists nothing; the node stays a follower and any leader contact ends the round.
     */
    private void startPreVote(final long nowMs)
    {
        preVoting = true;
        manualCandidacy = false;
        round.open(nowMs, EpochNumbers.electionEpochAfter(Math.max(epoch, highestProposedEpoch)), FLAG_PRE_VOTE, outbox,
            log);
        if (round.won())
        {
            startCandidacy(nowMs, 0, false); // a one-node cluster
        }
    }

    private void startCandidacy(final long nowMs, final int flags, final boolean manual)
    {
        preVoting = false;
        final boolean forced = (flags & FLAG_FORCED) != 0;
        // Above every epoch a candidate has proposed to us: a peer standing in epoch E has voted for itself
        // in E and can only grant above it (otherwise two candidates that deny each other's log or
        // epoch can collide round after round — found by the simulation).
        final int base = Math.max(epoch, highestProposedEpoch);
        persist(forced ? EpochNumbers.forcedEpochAfter(base, leases.indexOf(selfId)) :
            EpochNumbers.electionEpochAfter(base), NONE, selfId);
        role = ElectionRole.CANDIDATE;
        resetLeaderState();
        elections++;
        manualCandidacy = manual;
        outbox.becomeCandidate(epoch);
        round.open(nowMs, epoch, flags, outbox, log);
        if ((flags & FLAG_FORCED) != 0)
        {
            becomeLeader(nowMs);
            leases.waive();
        }
        else if (round.won())
        {
            becomeLeader(nowMs); // a one-node cluster, durable or not: as before, its NOOP waits for the write
        }
    }

    private void failRound(final long nowMs)
    {
        round.fail();
        if (preVoting)
        {
            // Nothing was persisted and the role never changed: just ask again after the back-off.
            preVoting = false;
            candidacy.standIn(nowMs, round.backoffDelayMs(random));
            return;
        }
        role = ElectionRole.FOLLOWER;
        outbox.becomeFollower(epoch, NONE);
        if (manualCandidacy && !config.autoFailoverEnabled())
        {
            candidacy.stop(); // an operator's promotion in a two-node cluster is tried once
            return;
        }
        candidacy.standIn(nowMs, round.backoffDelayMs(random));
    }

    private void becomeLeader(final long nowMs)
    {
        // No node-state write: epoch and self-vote are on disk since the candidacy, and one more fsync before the first
        // heartbeat outlasted the lease on a busy disk (docs/DESIGN.md#election-state-persistence).
        leaderId = selfId;
        role = ElectionRole.LEADER;
        resetLeaderState();
        leases.start(nowMs);
        round.clearFailures();
        outbox.becomeLeader(epoch);
    }

    private void leaderTick(final long nowMs)
    {
        progressHandover(nowMs);
        if (role != ElectionRole.LEADER)
        {
            return;
        }
        if (switchover.leaseRelinquished())
        {
            final String abandoned = switchover.tick(nowMs, epoch, config, leases);
            if (null != abandoned)
            {
                stepDownInternal(nowMs, abandoned);
            }
            return;
        }
        final String why = leases.expiryChange(nowMs);
        if (null != why)
        {
            if (leases.waiting() && config.autoFailoverEnabled())
            {
                stepDownInternal(nowMs, why);
                return;
            }
            // Nobody else stands on its own here: stepping down would leave the cluster leaderless until an operator
            // promotes a node, so it keeps the role and acknowledges nothing (docs/DESIGN.md#leader-lease).
            outbox.waitForLease(epoch, leases.waiting(), why);
        }
    }

    private void progressHandover(final long nowMs)
    {
        if (role == ElectionRole.LEADER)
        {
            switchover.progress(nowMs, epoch, leases, log.logEndOffset(), config.handoverTimeoutMs());
        }
    }

    private void stepDownInternal(final long nowMs, final String reason)
    {
        outbox.stepDown(epoch, reason);
        role = ElectionRole.FOLLOWER;
        leaderId = NONE;
        resetLeaderState();
        // Its own lease is gone, so it may vote at once; it stands after the usual silence.
        lastLeaderContactMs = NEVER;
        candidacy.schedule(nowMs, config.electionTimeoutMs(), candidacyRank(), config);
        outbox.becomeFollower(epoch, NONE);
    }

    /** Follows {@code newEpoch}, persisted first if it or the vote is new; a leader steps down first, saying why. */
    private void follow(final int newEpoch, final int newLeaderId, final int newVotedFor, final String stepDownReason)
    {
        if (role == ElectionRole.LEADER)
        {
            outbox.stepDown(epoch, stepDownReason);
        }
        if (newEpoch != epoch || newVotedFor != votedFor)
        {
            persist(newEpoch, newLeaderId, newVotedFor);
        }
        else
        {
            leaderId = newLeaderId; // soft state, learnt again from a heartbeat: its write held acks past the lease
        }
        role = ElectionRole.FOLLOWER;
        resetLeaderState();
        outbox.becomeFollower(epoch, leaderId);
    }

    private void resetLeaderState()
    {
        leases.reset();
        switchover.reset();
    }

    private boolean leaderHeardRecently(final long nowMs)
    {
        // A candidate that won leads once its vote for itself is durable: as live as a leader in its first lease.
        return role == ElectionRole.LEADER ? canAcknowledge(nowMs) || leases.inFirstLease(nowMs) :
            role == ElectionRole.CANDIDATE && round.won() || nowMs - lastLeaderContactMs < config.electionTimeoutMs();
    }

    private void persist(final int newEpoch, final int newLeaderId, final int newVotedFor)
    {
        if (newEpoch < epoch)
        {
            throw new IllegalStateException("epoch would go back from " + epoch + " to " + newEpoch);
        }
        persistence.write(new Persistence.State(newEpoch, newLeaderId, newVotedFor));
        epoch = newEpoch;
        leaderId = newLeaderId;
        votedFor = newVotedFor;
    }

    /**
     * The rules a vote and a pre-vote share, in order: an epoch above this node's, a log at least as up to date
     * ({@code upToDate}), and no live leader heard unless {@code leaderWaived} (a forced or graceful candidacy). A
     * node more up to date than the candidate, with no leader alive, stands soon (not while its own pre-vote runs,
     * for a pre-vote request). Returns why the vote is refused, or null.
     */
    private String denial(final long nowMs, final int proposedEpoch, final int candidateLastLogEpoch,
        final long candidateLogEndOffset, final boolean upToDate, final boolean leaderWaived, final boolean preVote)
    {
        if (proposedEpoch <= epoch)
        {
            return "epoch " + proposedEpoch + " is not above " + epoch;
        }
        if (!upToDate)
        {
            if (role == ElectionRole.FOLLOWER && !(preVote && preVoting) && !leaderHeardRecently(nowMs))
            {
                candidacy.standSoon(nowMs, config);
            }
            return "candidate log (" + candidateLastLogEpoch + ", " + candidateLogEndOffset + ") is behind" +
                ownPosition();
        }
        return !leaderWaived && leaderHeardRecently(nowMs) ? liveLeaderDenial(nowMs) : null;
    }

    private String ownPosition()
    {
        return " (" + log.lastLogEpoch() + ", " + log.logEndOffset() + ")";
    }

    private String liveLeaderDenial(final long nowMs)
    {
        return role == ElectionRole.LEADER ? "this node leads epoch " + epoch + " and holds its lease" :
            role == ElectionRole.CANDIDATE ? "this node won epoch " + epoch + ", to lead once its vote is on disk" :
            "leader " + leaderId + " was heard " + (nowMs - lastLeaderContactMs) + " ms ago";
    }
}
