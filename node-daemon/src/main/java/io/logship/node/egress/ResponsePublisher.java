package io.logship.node.egress;

import io.logship.node.ReplicatedLog;
import io.logship.node.Role;
import io.logship.node.ingress.ClientSessions;
import io.logship.node.leader.CommitTracker;
import io.logship.transport.codec.AckLevel;
import io.logship.transport.codec.ConnectResponseEncoder;
import io.logship.transport.codec.NewLeaderEncoder;
import io.logship.transport.codec.Status;
import io.logship.transport.codec.WriteResponseEncoder;

/**
 * Answers clients' connects and writes on their response channels. Every write acknowledgement passes
 * {@link #sendWriteResponse}, which holds the single lease check: a leader without its lease acknowledges
 * nothing, so a deposed leader that has not noticed yet can never confirm a write its successor lacks. It also
 * stamps every write answer with its durability receipt: how many nodes had written, and how many fsynced, the
 * answer's last record when it was sent (docs/DESIGN.md#fsync-policy). Conductor thread only.
 */
public final class ResponsePublisher
{
    private final SendBuffer sendBuffer;
    private final ReplicatedLog partition;
    private final CommitTracker commits;
    private final WriteResponseEncoder writeResponseEncoder = new WriteResponseEncoder();
    private final ConnectResponseEncoder connectResponseEncoder = new ConnectResponseEncoder();
    private final NewLeaderEncoder newLeaderEncoder = new NewLeaderEncoder();

    public ResponsePublisher(final SendBuffer sendBuffer, final ReplicatedLog partition, final CommitTracker commits)
    {
        this.sendBuffer = sendBuffer;
        this.partition = partition;
        this.commits = commits;
    }

    /** Sends the ConnectResponse once the client's response publication is connected; false until then. */
    public boolean trySendConnectReply(final ClientSessions.Session session)
    {
        if (!session.publisher.isConnected())
        {
            return false;
        }
        connectResponseEncoder.wrapAndApplyHeader(sendBuffer.buffer(), 0, sendBuffer.header())
            .clientId(session.clientId).nodeId(partition.nodeId()).leaderId(partition.leaderId())
            .epoch(partition.epoch()).status(Status.OK);
        if (session.publisher.offer(connectResponseEncoder).isSent())
        {
            session.connectReplyDeadlineNs = 0;
            return true;
        }
        return false;
    }

    /** Tells the client this node leads {@code epoch} and takes writes (docs/DESIGN.md#new-leader); true if sent. */
    public boolean trySendNewLeader(final ClientSessions.Session session, final int epoch)
    {
        newLeaderEncoder.wrapAndApplyHeader(sendBuffer.buffer(), 0, sendBuffer.header())
            .epoch(epoch).leaderId(partition.nodeId());
        return session.publisher.offer(newLeaderEncoder).isSent();
    }

    public void sendWriteResponse(final ClientSessions.Session session, final long correlationId, final long offset,
        final Status status, final AckLevel reached, final String message)
    {
        sendWriteResponse(session, correlationId, offset, status, reached, message, partition.epoch());
    }

    public void sendWriteResponse(final ClientSessions.Session session, final long correlationId, final long offset,
        final Status status, final AckLevel reached, final String message, final int offsetEpoch)
    {
        sendWriteResponse(session, correlationId, offset, status, reached, message, offsetEpoch, 1);
    }

    public void sendWriteResponse(final ClientSessions.Session session, final long correlationId, final long offset,
        final Status status, final AckLevel reached, final String message, final int offsetEpoch, final int recordCount)
    {
        final boolean mayAcknowledge = status != Status.OK ||
            partition.election().canAcknowledge(ReplicatedLog.nowMs(partition.clock().nanoTime()));
        // Only a leader's view of its followers is current; the receipt is of the last record the answer covers.
        final long lastOffset = mayAcknowledge && offset >= 0 && partition.role() == Role.LEADER ?
            offset + Math.max(1, recordCount) - 1 : -1;
        writeResponseEncoder.wrapAndApplyHeader(sendBuffer.buffer(), 0, sendBuffer.header())
            .correlationId(correlationId)
            .writeOffset(mayAcknowledge ? offset : -1)
            .epoch(offsetEpoch)
            .leaderId(partition.leaderId())
            .status(mayAcknowledge ? status : Status.UNAVAILABLE)
            .ackLevelReached(null == reached || !mayAcknowledge ? AckLevel.NULL_VAL : reached)
            .recordCount(recordCount)
            .nodesWritten(commits.nodesWritten(lastOffset))
            .nodesDurable(commits.nodesDurable(lastOffset))
            .message(mayAcknowledge ? null == message ? "" : message : "node " + partition.nodeId() +
                " lost its leader lease before acknowledging; retry (the retry is de-duplicated if the write survived)");
        session.publisher.offer(writeResponseEncoder);
    }
}
