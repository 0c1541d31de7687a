package io.logship.node.admin;

import io.logship.LogshipException;
import io.logship.cluster.Member;
import io.logship.cluster.MemberList;
import io.logship.cluster.Membership;
import io.logship.cluster.MembershipCodec;
import io.logship.cluster.MembershipLog;
import io.logship.node.ClusterMembership;
import io.logship.node.ReplicatedLog;
import io.logship.node.Role;
import io.logship.node.egress.SendBuffer;
import io.logship.node.election.ElectionState;
import io.logship.node.ingress.ClientSessions;
import io.logship.node.leader.CommitTracker;
import io.logship.node.leader.FollowerProgress;
import io.logship.node.write.JournalResultPoller;
import io.logship.transport.codec.MemberChange;
import io.logship.transport.codec.MemberChangeRequestDecoder;
import io.logship.transport.codec.MemberChangeResponseEncoder;
import io.logship.transport.codec.Status;
import org.agrona.ExpandableArrayBuffer;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

/**
 * {@code logship member add|promote|remove} on the leader (docs/DESIGN.md#membership, the rules): checks the change
 * against the configuration in effect (one change in flight and this epoch's NOOP committed: rule 4; a majority
 * that stays reachable, never the leader itself: rule 5; a learner promoted only once caught up: rule 6), appends
 * one MEMBERS record through the journal, and answers OK with the record's offset once it is committed, TIMEOUT
 * after {@code logship.node.request.timeout.ms}. Refusals are INVALID with the rule and what to do; nothing is
 * appended then. One change at a time, so one pending answer. Conductor thread only.
 */
public final class MemberChanges implements JournalResultPoller.MembersResults
{
    /** Rule 6's bound: a learner this far behind the leader's log end, at most, may be promoted. */
    public static final long CATCH_UP_RECORDS = 1_000;

    private final ReplicatedLog partition;
    private final ClientSessions sessions;
    private final CommitTracker commits;
    private final JournalResultPoller journal;
    private final ClusterMembership membership;
    private final SendBuffer sendBuffer;
    private final long requestTimeoutNs;
    private final long reachableWithinNs;
    private final System.Logger logger;
    private final MemberChangeResponseEncoder encoder = new MemberChangeResponseEncoder();
    private final ExpandableArrayBuffer encoded = new ExpandableArrayBuffer(256);

    /** The configuration of the MEMBERS record in the ring: applied when the journal says where it went. */
    private Membership inRing;
    // The change in flight on this leader: requested, then appended at pendingOffset, answered on commit.
    private Membership pending;
    private String pendingDescription;
    private long pendingClientId;
    private long pendingCorrelationId;
    private long pendingDeadlineNs;
    private long pendingOffset = -1;
    private boolean pendingAnswered = true;
    /** A follower installs a snapshot above the current configuration's record: state the configuration again. */
    private boolean restateWanted;

    public MemberChanges(final ReplicatedLog partition, final ClientSessions sessions, final CommitTracker commits,
        final JournalResultPoller journal, final ClusterMembership membership, final SendBuffer sendBuffer,
        final long requestTimeoutMs, final long reachableWithinMs)
    {
        this.partition = partition;
        this.sessions = sessions;
        this.commits = commits;
        this.journal = journal;
        this.membership = membership;
        this.sendBuffer = sendBuffer;
        this.requestTimeoutNs = TimeUnit.MILLISECONDS.toNanos(requestTimeoutMs);
        this.reachableWithinNs = TimeUnit.MILLISECONDS.toNanos(reachableWithinMs);
        this.logger = partition.logger();
    }

    /** A {@code MemberChangeRequest} on the admin stream. */
    public void onRequest(final MemberChangeRequestDecoder decoder, final long nowNs)
    {
        final long clientId = decoder.clientId();
        final long correlationId = decoder.correlationId();
        final MemberChange change = decoder.change();
        final int memberId = decoder.memberId();
        final io.logship.transport.codec.MemberRole role = decoder.role();
        final String address = decoder.address();
        final ElectionState election = partition.election();
        if (partition.role() != Role.LEADER)
        {
            answer(clientId, correlationId, nowNs, Status.NOT_LEADER, -1, "node " + partition.nodeId() +
                " does not lead" + (election.leaderId() > 0 ? "; node " + election.leaderId() + " does" : "") +
                ": membership changes go to the leader");
            return;
        }
        if (!election.canAcknowledge(ReplicatedLog.nowMs(nowNs)))
        {
            answer(clientId, correlationId, nowNs, Status.UNAVAILABLE, -1, "node " + partition.nodeId() +
                " leads epoch " + partition.epoch() + " but does not hold its lease (no majority acked within the " +
                "lease timeout); retry in a moment");
            return;
        }
        final String description = describe(change, memberId, role, address);
        if (null != pending || null != inRing)
        {
            answer(clientId, correlationId, nowNs, Status.INVALID, -1, "cannot " + description + ": the change '" +
                pendingDescription + "' is still in flight (one change at a time); retry when it is committed");
            return;
        }
        final MembershipLog history = membership.history();
        final String notNow = history.refuseChange(commits.epochStartOffset());
        if (null != notNow)
        {
            answer(clientId, correlationId, nowNs, Status.INVALID, -1, "cannot " + description + ": " + notNow);
            return;
        }
        final Membership next;
        try
        {
            next = next(history.current(), change, memberId, role, address, nowNs);
        }
        catch (final LogshipException ex)
        {
            logger.log(INFO, "member change refused: " + ex.getMessage());
            answer(clientId, correlationId, nowNs, Status.INVALID, -1, ex.getMessage());
            return;
        }
        final int length = MembershipCodec.encode(next, encoded, 0);
        if (!journal.publishMembers(encoded, length))
        {
            answer(clientId, correlationId, nowNs, Status.UNAVAILABLE, -1, "cannot " + description + " now: the " +
                "write ring is full; retry in a moment");
            return;
        }
        inRing = next;
        pending = next;
        pendingDescription = description;
        pendingClientId = clientId;
        pendingCorrelationId = correlationId;
        pendingDeadlineNs = nowNs + requestTimeoutNs;
        pendingOffset = -1;
        pendingAnswered = false;
        logger.log(WARNING, "Node " + partition.nodeId() + " appends a membership change (" + description + "): " +
            history.current() + " -> " + next);
    }

    private Membership next(final Membership current, final MemberChange change, final int memberId,
        final io.logship.transport.codec.MemberRole role, final String address, final long nowNs)
    {
        final int leaderId = partition.nodeId();
        switch (change)
        {
            case ADD ->
            {
                final List<MemberList.Entry> parsed = MemberList.parse(memberId + "@" + address, "member address", true);
                final MemberList.Entry entry = parsed.get(0);
                final Membership added = current.withLearner(memberId, entry.host(), entry.port());
                if (role == io.logship.transport.codec.MemberRole.VOTER)
                {
                    throw new LogshipException("cannot add node " + memberId + " as a voter directly: a new node " +
                        "holds none of the log yet. Add it as a learner ('logship member add " + memberId + "@" +
                        address + " --learner'), wait until it has caught up, then 'logship member promote " +
                        memberId + "'", LogshipException.Category.ERROR);
                }
                return added;
            }
            case PROMOTE ->
            {
                final FollowerProgress progress = commits.follower(memberId);
                final long held = null == progress ? -1 : Math.max(progress.heldEndOffset(), progress.writtenEndOffset);
                return current.promoted(memberId, held, partition.log().logEndOffset(), CATCH_UP_RECORDS,
                    reachableVoters(current, nowNs));
            }
            case REMOVE ->
            {
                return current.without(memberId, leaderId, reachableVoters(current, nowNs));
            }
            default -> throw new LogshipException("unknown membership change " + change + ": expected ADD, PROMOTE " +
                "or REMOVE", LogshipException.Category.ERROR);
        }
    }

    /** Voters this leader heard from recently ({@code reachableWithinMs}), itself included (rule 5). */
    private Set<Integer> reachableVoters(final Membership current, final long nowNs)
    {
        final Set<Integer> reachable = new HashSet<>();
        reachable.add(partition.nodeId());
        for (final Member voter : current.voters())
        {
            final FollowerProgress progress = commits.follower(voter.id());
            if (null != progress && progress.lastAckNs != 0 && nowNs - progress.lastAckNs < reachableWithinNs)
            {
                reachable.add(voter.id());
            }
        }
        return reachable;
    }

    /** The journal's result for the MEMBERS record: in effect from now if appended (rule 2). */
    @Override
    public void onMembersResult(final long offset, final int epoch, final String error)
    {
        final Membership appended = inRing;
        inRing = null;
        if (offset < 0)
        {
            final long nowNs = partition.clock().nanoTime();
            if (null != pending && !pendingAnswered)
            {
                answer(pendingClientId, pendingCorrelationId, nowNs, partition.role() == Role.LEADER ? Status.ERROR :
                    Status.NOT_LEADER, -1, "the change '" + pendingDescription + "' was not stored: " + error);
            }
            clear();
            return;
        }
        if (null == appended)
        {
            return;
        }
        membership.onAppended(offset, appended); // whatever this node's role now: the log holds it
        if (null != pending)
        {
            pendingOffset = offset;
        }
    }

    /**
     * A snapshot at {@code snapshotOffset} is on its way to a follower. A snapshot does not carry the configuration, so
     * if the record of the configuration in effect lies below it, that follower would never see it (a joining node
     * would never learn that it was added): the leader appends the same configuration again, as soon as rule 4 lets
     * it, and the follower fetches it after the snapshot.
     */
    public void onSnapshotSent(final long snapshotOffset)
    {
        final long recordOffset = membership.history().currentOffset();
        if (recordOffset != MembershipLog.SEED_OFFSET && recordOffset < snapshotOffset)
        {
            restateWanted = true;
        }
    }

    private int restateIfWanted()
    {
        if (!restateWanted || null != pending || null != inRing || partition.role() != Role.LEADER ||
            null != membership.history().refuseChange(commits.epochStartOffset()))
        {
            return 0;
        }
        final Membership current = membership.current();
        final int length = MembershipCodec.encode(current, encoded, 0);
        if (!journal.publishMembers(encoded, length))
        {
            return 0;
        }
        restateWanted = false;
        inRing = current;
        logger.log(INFO, "Node " + partition.nodeId() + " states the configuration " + current + " again: a follower " +
            "installs a snapshot above its record at offset " + membership.history().currentOffset());
        return 1;
    }

    /** Answers the change in flight once committed, or TIMEOUT; a step-down answers NOT_LEADER. Each duty cycle. */
    public int onDutyCycle(final long nowNs)
    {
        if (null == pending)
        {
            return restateWanted ? restateIfWanted() : 0;
        }
        if (pendingOffset >= 0 && partition.commitOffset() > pendingOffset)
        {
            if (!pendingAnswered)
            {
                logger.log(WARNING, "Node " + partition.nodeId() + " committed the membership change (" +
                    pendingDescription + ") at offset " + pendingOffset + ": " + membership.current());
                answer(pendingClientId, pendingCorrelationId, nowNs, Status.OK, pendingOffset, "committed at offset " +
                    pendingOffset + ": members now " + membership.current());
            }
            clear();
            return 1;
        }
        if (!pendingAnswered && nowNs - pendingDeadlineNs > 0)
        {
            pendingAnswered = true;
            answer(pendingClientId, pendingCorrelationId, nowNs, Status.TIMEOUT, -1, "the change '" +
                pendingDescription + "' was not committed within " + TimeUnit.NANOSECONDS.toMillis(requestTimeoutNs) +
                " ms" + (pendingOffset >= 0 ? " (its record is at offset " + pendingOffset + ")" : "") +
                "; it may still commit: 'logship member list' shows the members in effect");
            return 1;
        }
        return 0;
    }

    /**
     * The leader stepped down: the change may still commit under the next leader, which now decides. Answered
     * TIMEOUT, not NOT_LEADER: a client must not resend the change blindly to the new leader (it may be in effect).
     */
    public void onStepDown(final long nowNs)
    {
        if (null != pending && !pendingAnswered)
        {
            answer(pendingClientId, pendingCorrelationId, nowNs, Status.TIMEOUT, -1, "node " + partition.nodeId() +
                " stepped down before the change '" + pendingDescription + "' was committed; it may still commit: " +
                "'logship member list' shows the members in effect");
        }
        // A record still in the ring keeps inRing: if the journal appended it, it is in the log and takes effect.
        clear();
    }

    /** Whether a change is in flight (tests, status). */
    public boolean inFlight()
    {
        return null != pending;
    }

    private void clear()
    {
        pending = null;
        pendingDescription = null;
        pendingOffset = -1;
        pendingAnswered = true;
    }

    private static String describe(final MemberChange change, final int memberId,
        final io.logship.transport.codec.MemberRole role, final String address)
    {
        return switch (change)
        {
            case ADD -> "add node " + memberId + "@" + address + " as a " +
                (role == io.logship.transport.codec.MemberRole.VOTER ? "voter" : "learner");
            case PROMOTE -> "promote node " + memberId;
            case REMOVE -> "remove node " + memberId;
            default -> "change " + change + " of node " + memberId;
        };
    }

    private void answer(final long clientId, final long correlationId, final long nowNs, final Status status,
        final long configurationOffset, final String message)
    {
        final ClientSessions.Session session = sessions.get(clientId, nowNs);
        if (null == session)
        {
            return;
        }
        final ElectionState election = partition.election();
        encoder.wrapAndApplyHeader(sendBuffer.buffer(), 0, sendBuffer.header())
            .correlationId(correlationId).nodeId(partition.nodeId()).epoch(election.epoch())
            .leaderId(election.leaderId()).status(status).configurationOffset(configurationOffset).message(message);
        session.publisher.offer(encoder);
    }
}
