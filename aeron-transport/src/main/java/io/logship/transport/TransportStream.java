package io.logship.transport;

import io.logship.transport.codec.*;

import java.util.StringJoiner;

/**
 * The stream layout: which Aeron stream id carries which messages, and in which direction. Every
 * node subscribes to each inbound stream on its one endpoint ({@code aeron:udp?endpoint=host:port});
 * peers and clients publish to that endpoint with the stream id of the traffic they send. A
 * {@link MessageAdapter} drops (and counts) a message whose type is not listed for its stream, so a
 * client cannot, say, inject an unauthenticated message type onto the replication stream.
 * See README.md, "Channels and streams".
 */
public enum TransportStream
{
    /** Leader to follower: log data and snapshot chunks (heartbeats go on the election stream). Subscribed by followers. */
    REPLICATION(TransportConfiguration.REPLICATION_STREAM_ID,
        AppendBatchDecoder.TEMPLATE_ID, HeartbeatDecoder.TEMPLATE_ID, RefuseDecoder.TEMPLATE_ID,
        SnapshotChunkDecoder.TEMPLATE_ID),

    /** Follower to leader: progress and fetch requests. Subscribed by the leader. */
    REPLICATION_FEEDBACK(TransportConfiguration.REPLICATION_FEEDBACK_STREAM_ID,
        AckDecoder.TEMPLATE_ID, FetchFromDecoder.TEMPLATE_ID, RefuseDecoder.TEMPLATE_ID),

    /**
     * Peer to peer, both ways: heartbeats, votes, handovers and the epoch-end queries of resync. Subscribed by
     * every node. Heartbeats travel here, not behind bulk appends on REPLICATION, so a back-pressured
     * replication stream can never starve the leader's lease (node-daemon/ELECTION.md, condition 1).
     */
    ELECTION(TransportConfiguration.ELECTION_STREAM_ID,
        HeartbeatDecoder.TEMPLATE_ID, RequestVoteDecoder.TEMPLATE_ID, VoteDecoder.TEMPLATE_ID, EpochEndRequestDecoder.TEMPLATE_ID,
        EpochEndResponseDecoder.TEMPLATE_ID, RefuseDecoder.TEMPLATE_ID, HandoverDecoder.TEMPLATE_ID),

    /** Client to node: requests. Subscribed by every node. Not authenticated. */
    CLIENT_INGRESS(TransportConfiguration.CLIENT_INGRESS_STREAM_ID,
        ConnectDecoder.TEMPLATE_ID, WriteRequestDecoder.TEMPLATE_ID, ReadRequestDecoder.TEMPLATE_ID,
        TailRequestDecoder.TEMPLATE_ID, WriteBatchRequestDecoder.TEMPLATE_ID, WriteLogBatchDecoder.TEMPLATE_ID),

    /** Node to client, on the client's own response channel and stream (from {@code Connect}). */
    CLIENT_EGRESS(TransportConfiguration.CLIENT_EGRESS_STREAM_ID,
        ConnectResponseDecoder.TEMPLATE_ID, WriteResponseDecoder.TEMPLATE_ID, ReadResponseDecoder.TEMPLATE_ID,
        TailResponseDecoder.TEMPLATE_ID, StatusResponseDecoder.TEMPLATE_ID, AdminResponseDecoder.TEMPLATE_ID,
        ChecksumResponseDecoder.TEMPLATE_ID, SnapshotSaveResponseDecoder.TEMPLATE_ID,
        MemberListResponseDecoder.TEMPLATE_ID, MemberChangeResponseDecoder.TEMPLATE_ID, NewLeaderDecoder.TEMPLATE_ID),

    /** Operator to node: authenticated admin requests. Subscribed by every node. */
    ADMIN(TransportConfiguration.ADMIN_STREAM_ID,
        StatusRequestDecoder.TEMPLATE_ID, PromoteRequestDecoder.TEMPLATE_ID, DemoteRequestDecoder.TEMPLATE_ID,
        ChecksumRequestDecoder.TEMPLATE_ID, SnapshotSaveRequestDecoder.TEMPLATE_ID,
        MemberListRequestDecoder.TEMPLATE_ID, MemberChangeRequestDecoder.TEMPLATE_ID);

    private final int streamId;
    private final boolean[] accepted = new boolean[MessageTypes.MAX_TEMPLATE_ID + 1];
    private final String acceptedNames;

    TransportStream(final int streamId, final int... templateIds)
    {
        this.streamId = streamId;
        final StringJoiner names = new StringJoiner(", ", "[", "]");
        for (final int templateId : templateIds)
        {
            accepted[templateId] = true;
            names.add(MessageTypes.describe(templateId));
        }
        this.acceptedNames = names.toString();
    }

    /** The default stream id of this stream (client egress may use another, named in Connect). */
    public int streamId()
    {
        return streamId;
    }

    public boolean accepts(final int templateId)
    {
        return templateId >= 0 && templateId < accepted.length && accepted[templateId];
    }

    /** The accepted message types, for error messages. */
    public String acceptedNames()
    {
        return acceptedNames;
    }
}
