package io.logship.node.admin;

import io.logship.node.election.AdminOutcome;
import io.logship.node.election.ElectionRole;

import io.logship.node.ReplicatedLog;
import io.logship.node.egress.SendBuffer;
import io.logship.node.election.ElectionState;
import io.logship.node.follower.FollowerReplication;
import io.logship.node.ingress.ClientSessions;
import io.logship.node.write.WriteValidator;
import io.logship.transport.codec.AdminResponseEncoder;
import io.logship.transport.codec.DemoteRequestDecoder;
import io.logship.transport.codec.PromoteRequestDecoder;
import io.logship.transport.codec.Status;

import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

/**
 * {@code logship promote} and {@code logship demote}, and the handover a leader starts when it is stopped: handed to the election, answered with what it decided.
 * Conductor thread only.
 */
public final class AdminCommands
{
    private final ReplicatedLog partition;
    private final ClientSessions sessions;
    private final FollowerReplication follower;
    private final WriteValidator writes;
    private final SendBuffer sendBuffer;
    private final System.Logger logger;
    private final AdminResponseEncoder adminResponseEncoder = new AdminResponseEncoder();

    public AdminCommands(final ReplicatedLog partition, final ClientSessions sessions,
        final FollowerReplication follower, final WriteValidator writes, final SendBuffer sendBuffer)
    {
        this.partition = partition;
        this.sessions = sessions;
        this.follower = follower;
        this.writes = writes;
        this.sendBuffer = sendBuffer;
        this.logger = partition.logger();
    }

    /**
     * On the leader a graceful switchover to the target; on the target with {@code forced}, an unclean
     * promotion whose answer names what may be lost; on a follower with no live leader, a candidacy that
     * voters still refuse if this node lacks committed data.
     */
    public void onPromote(final PromoteRequestDecoder decoder, final long nowNs)
    {
        final ElectionState election = partition.election();
        final int nodeId = partition.nodeId();
        final int target = decoder.targetNodeId();
        final boolean forced = decoder.flags().forced();
        final long endBefore = partition.log().logEndOffset();
        final long knownCommit = Math.max(partition.commitOffset(), follower.leaderCommitOffset());
        final AdminOutcome outcome = election.promote(ReplicatedLog.nowMs(nowNs), target, forced);
        String message = outcome.message();
        if (forced && outcome.accepted())
        {
            message += " This node's log ends at offset " + endBefore + "; the highest commit offset it heard is " +
                knownCommit + (knownCommit > endBefore ? ": committed offsets [" + endBefore + ", " + knownCommit +
                ") are not on this node and are LOST." : ": every committed offset it knows of is here.") +
                " Offsets from " + endBefore + " up that other nodes hold are quarantined when they rejoin.";
        }
        else if (outcome.accepted() && target != nodeId)
        {
            writes.switchoverRequested(nowNs);
        }
        logger.log(outcome.accepted() ? WARNING : INFO, "promote node " + target + (forced ? " --force" : "") + ": " +
            message);
        final Status status = outcome.accepted() ? Status.OK :
            election.leaderId() > 0 && election.leaderId() != nodeId ? Status.NOT_LEADER : Status.UNAVAILABLE;
        answer(decoder.clientId(), decoder.correlationId(), nowNs, status, message);
    }

    /**
     * A clean stop of the leader (SIGTERM): the graceful switchover of {@link #onPromote}, started by the node itself
     * towards the most caught-up live follower, so the followers need not wait out the election timeout.
     *
     * @return accepted with the switchover started, or refused naming why none could be (for the stop's log line).
     */
    public AdminOutcome handOverForStop(final long nowNs)
    {
        final ElectionState election = partition.election();
        final long nowMs = ReplicatedLog.nowMs(nowNs);
        final int target = election.mostCaughtUpFollower(nowMs);
        if (target <= 0)
        {
            return new AdminOutcome(false, election.role() == ElectionRole.LEADER ?
                "no follower acknowledged within the lease" :
                "node " + partition.nodeId() + " does not lead; nothing to hand over");
        }
        final AdminOutcome outcome = election.promote(nowMs, target, false);
        if (outcome.accepted())
        {
            writes.switchoverRequested(nowNs);
        }
        logger.log(outcome.accepted() ? WARNING : INFO, "stopping: promote node " + target + ": " + outcome.message());
        return outcome;
    }

    public void onDemote(final DemoteRequestDecoder decoder, final long nowNs)
    {
        final int nodeId = partition.nodeId();
        if (decoder.nodeId() != nodeId)
        {
            answer(decoder.clientId(), decoder.correlationId(), nowNs, Status.INVALID, "this is node " +
                nodeId + ", not node " + decoder.nodeId() + ": send the demotion to the node itself");
        }
        else
        {
            final AdminOutcome outcome = partition.election().demote(ReplicatedLog.nowMs(nowNs));
            logger.log(outcome.accepted() ? WARNING : INFO, "demote: " + outcome.message());
            answer(decoder.clientId(), decoder.correlationId(), nowNs,
                outcome.accepted() ? Status.OK : Status.NOT_LEADER, outcome.message());
        }
    }

    private void answer(final long clientId, final long correlationId, final long nowNs, final Status status,
        final String message)
    {
        final ClientSessions.Session session = sessions.get(clientId, nowNs);
        if (null == session)
        {
            return;
        }
        final ElectionState election = partition.election();
        adminResponseEncoder.wrapAndApplyHeader(sendBuffer.buffer(), 0, sendBuffer.header())
            .correlationId(correlationId).nodeId(partition.nodeId()).epoch(election.epoch())
            .leaderId(election.leaderId()).status(status).message(message);
        session.publisher.offer(adminResponseEncoder);
    }
}
