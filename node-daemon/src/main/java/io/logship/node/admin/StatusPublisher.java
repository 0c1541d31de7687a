package io.logship.node.admin;

import io.logship.cluster.Member;
import io.logship.cluster.MembershipLog;
import io.logship.log.SegmentedLog;
import io.logship.node.ReplicatedLog;
import io.logship.node.Role;
import io.logship.node.egress.SendBuffer;
import io.logship.node.follower.FollowerReplication;
import io.logship.node.follower.FollowerState;
import io.logship.node.ingress.ClientSessions;
import io.logship.node.leader.CommitTracker;
import io.logship.node.leader.FollowerProgress;
import io.logship.node.write.WriteValidator;
import io.logship.transport.codec.BooleanType;
import io.logship.transport.codec.MemberListResponseEncoder;
import io.logship.transport.codec.StatusResponseEncoder;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Answers {@code logship status}: the node's role, epoch, leader and offsets, each follower's progress when it
 * leads, and a one-line note (why failover is off, a switchover, an election or a resync under way); and
 * {@code logship member list}: the configuration in effect (docs/DESIGN.md#membership), with each member's
 * progress when it leads. Conductor thread only.
 */
public final class StatusPublisher
{
    private final ReplicatedLog partition;
    private final SegmentedLog log;
    private final CommitTracker commits;
    private final FollowerReplication follower;
    private final WriteValidator writes;
    private final SendBuffer sendBuffer;
    private final MembershipLog membership;
    private final StatusResponseEncoder statusResponseEncoder = new StatusResponseEncoder();
    private final MemberListResponseEncoder memberListEncoder = new MemberListResponseEncoder();

    public StatusPublisher(final ReplicatedLog partition, final CommitTracker commits, final FollowerReplication follower,
        final WriteValidator writes, final SendBuffer sendBuffer, final MembershipLog membership)
    {
        this.membership = membership;
        this.partition = partition;
        this.log = partition.log();
        this.commits = commits;
        this.follower = follower;
        this.writes = writes;
        this.sendBuffer = sendBuffer;
    }

    public void sendStatus(final ClientSessions.Session session, final long correlationId, final long nowNs)
    {
        final Role role = partition.role();
        final int leaderId = partition.leaderId();
        statusResponseEncoder.wrapAndApplyHeader(sendBuffer.buffer(), 0, sendBuffer.header())
            .correlationId(correlationId)
            .nodeId(partition.nodeId())
            .epoch(partition.epoch())
            .leaderId(leaderId)
            .role(role.wire())
            .logStartOffset(log.logStartOffset())
            .logEndOffset(log.logEndOffset())
            .durableEndOffset(log.durableEndOffset())
            .commitOffset(partition.commitOffset())
            .appliedOffset(partition.store().appliedOffset())
            .autoFailover(partition.election().config().autoFailoverEnabled() ? BooleanType.TRUE : BooleanType.FALSE)
            .elections(partition.counters().electionsStarted())
            .leaderLogEndOffset(role == Role.LEADER ? log.logEndOffset() : leaderId > 0 ? follower.leaderLogEndOffset() : -1)
            .resyncRecordsPerSecond(role == Role.LEADER ? 0 : follower.resync().recordsPerSecond())
            .resyncBytesPerSecond(role == Role.LEADER ? 0 : follower.resync().bytesPerSecond())
            .quarantinedRecords(partition.counters().quarantinedRecords());
        int count = 0;
        if (role == Role.LEADER)
        {
            for (final FollowerProgress progress : commits.followers())
            {
                if (null != progress)
                {
                    count++;
                }
            }
        }
        final StatusResponseEncoder.FollowersEncoder group = statusResponseEncoder.followersCount(count);
        if (count > 0)
        {
            for (final FollowerProgress progress : commits.followers())
            {
                if (null != progress)
                {
                    group.next().nodeId(progress.nodeId).durableEndOffset(progress.durableEndOffset)
                        .appliedOffset(progress.appliedOffset)
                        .lastAckAgeMs(progress.lastAckNs == 0 ? -1 :
                            TimeUnit.NANOSECONDS.toMillis(nowNs - progress.lastAckNs));
                }
            }
        }
        statusResponseEncoder.note(statusNote(nowNs));
        session.publisher.offer(statusResponseEncoder);
    }

    /** Answers {@code member list}: every member of the configuration in effect, by id. */
    public void sendMemberList(final ClientSessions.Session session, final long correlationId, final long nowNs)
    {
        final boolean leading = partition.role() == Role.LEADER;
        memberListEncoder.wrapAndApplyHeader(sendBuffer.buffer(), 0, sendBuffer.header())
            .correlationId(correlationId)
            .nodeId(partition.nodeId())
            .epoch(partition.epoch())
            .leaderId(partition.leaderId())
            .configurationOffset(membership.currentOffset())
            .committed(membership.currentCommitted() ? BooleanType.TRUE : BooleanType.FALSE)
            .logEndOffset(log.logEndOffset());
        final MemberListResponseEncoder.MembersEncoder group =
            memberListEncoder.membersCount(membership.current().members().size());
        for (final Member member : membership.current().members())
        {
            long heldEnd = -1;
            long lastAckAgeMs = -1;
            if (leading && member.id() == partition.nodeId())
            {
                heldEnd = commits.leaderHeldEndOffset();
            }
            else if (leading && null != commits.follower(member.id()))
            {
                final FollowerProgress progress = commits.follower(member.id());
                heldEnd = progress.heldEndOffset();
                lastAckAgeMs = progress.lastAckNs == 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(nowNs - progress.lastAckNs);
            }
            group.next()
                .memberId(member.id())
                .role(member.voter() ? io.logship.transport.codec.MemberRole.VOTER :
                    io.logship.transport.codec.MemberRole.LEARNER)
                .heldEndOffset(heldEnd)
                .lastAckAgeMs(lastAckAgeMs)
                .address(member.address());
        }
        session.publisher.offer(memberListEncoder);
    }

    /** One line for {@code status}: failover off, a switchover, a leader without its lease, an election, a resync. */
    private String statusNote(final long nowNs)
    {
        final Role role = partition.role();
        final int epoch = partition.epoch();
        final int leaderId = partition.leaderId();
        final List<String> notes = new ArrayList<>();
        final String disabled = partition.election().config().autoFailoverDisabledReason();
        if (null != disabled)
        {
            notes.add(disabled);
        }
        if (writes.writesStopped())
        {
            notes.add("switchover under way for " + TimeUnit.NANOSECONDS.toMillis(nowNs - writes.writesStoppedAtNs()) +
                " ms: writes paused");
        }
        if (role == Role.LEADER && !partition.election().canAcknowledge(ReplicatedLog.nowMs(nowNs)))
        {
            notes.add("leads epoch " + epoch + " without its lease (no majority acked within " +
                partition.election().config().leaseTimeoutMs() + " ms): writes and leader reads get UNAVAILABLE");
        }
        if (role == Role.CANDIDATE)
        {
            notes.add("standing for election in epoch " + epoch);
        }
        if (role == Role.FOLLOWER && leaderId <= 0)
        {
            notes.add("no leader known in epoch " + epoch);
        }
        final long behind = follower.leaderLogEndOffset() - log.logEndOffset();
        final long recordsPerSecond = follower.resync().recordsPerSecond();
        if (role == Role.FOLLOWER && leaderId > 0 && behind > 0)
        {
            notes.add("resync: " + behind + " records behind node " + leaderId + " at " + recordsPerSecond +
                " records/s" + (recordsPerSecond > 0 ? ", ETA " + behind / recordsPerSecond + " s" : ""));
        }
        if (role == Role.FOLLOWER && (follower.state() == FollowerState.NEED_EPOCH_END ||
            follower.state() == FollowerState.QUARANTINING))
        {
            notes.add("reconciling its log with node " + leaderId + "'s epoch history");
        }
        return String.join("; ", notes);
    }
}
