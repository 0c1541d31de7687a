package io.logship.node.election;

import io.logship.node.egress.PeerPublishers;
import io.logship.node.egress.SendBuffer;
import io.logship.transport.BoundedPublisher;
import io.logship.transport.codec.BooleanType;
import io.logship.transport.codec.HandoverEncoder;
import io.logship.transport.codec.RequestVoteEncoder;
import io.logship.transport.codec.VoteEncoder;

/**
 * Encodes what {@link ElectionState} sends to peers on the election stream: vote requests, votes and
 * handovers. Conductor thread only (inside an election call).
 */
public final class ElectionPublisher
{
    private final int nodeId;
    private final PeerPublishers peers;
    private final SendBuffer sendBuffer;
    private final RequestVoteEncoder requestVoteEncoder = new RequestVoteEncoder();
    private final VoteEncoder voteEncoder = new VoteEncoder();
    private final HandoverEncoder handoverEncoder = new HandoverEncoder();

    public ElectionPublisher(final int nodeId, final PeerPublishers peers, final SendBuffer sendBuffer)
    {
        this.nodeId = nodeId;
        this.peers = peers;
        this.sendBuffer = sendBuffer;
    }

    public void sendRequestVote(final int to, final int voteEpoch, final int lastLogEpoch, final long logEndOffset,
        final int flags)
    {
        final BoundedPublisher publisher = peers.election(to);
        if (null == publisher)
        {
            return;
        }
        requestVoteEncoder.wrapAndApplyHeader(sendBuffer.buffer(), 0, sendBuffer.header())
            .epoch(voteEpoch).candidateId(nodeId).lastLogEpoch(lastLogEpoch).logEndOffset(logEndOffset);
        requestVoteEncoder.flags().clear()
            .forced((flags & ElectionState.FLAG_FORCED) != 0)
            .graceful((flags & ElectionState.FLAG_GRACEFUL) != 0)
            .preVote((flags & ElectionState.FLAG_PRE_VOTE) != 0);
        if ((flags & ElectionState.FLAG_PRE_VOTE) != 0)
        {
            publisher.offer(requestVoteEncoder);
        }
        else
        {
            peers.offerVoteRequest(publisher, voteEpoch, requestVoteEncoder);
        }
    }

    public void sendVote(final int to, final int voteEpoch, final int candidateId, final int voterEpoch,
        final boolean granted, final boolean preVote)
    {
        final BoundedPublisher publisher = peers.election(to);
        if (null == publisher)
        {
            return;
        }
        voteEncoder.wrapAndApplyHeader(sendBuffer.buffer(), 0, sendBuffer.header())
            .epoch(voteEpoch).voterId(nodeId).candidateId(candidateId).voterEpoch(voterEpoch)
            .granted(granted ? BooleanType.TRUE : BooleanType.FALSE);
        voteEncoder.flags().clear().preVote(preVote);
        publisher.offer(voteEncoder);
    }

    /** @return whether {@code to} is a peer (the handover was offered). */
    public boolean sendHandover(final int to, final int handoverEpoch)
    {
        final BoundedPublisher publisher = peers.election(to);
        if (null == publisher)
        {
            return false;
        }
        handoverEncoder.wrapAndApplyHeader(sendBuffer.buffer(), 0, sendBuffer.header())
            .epoch(handoverEpoch).leaderId(nodeId).targetId(to);
        publisher.offer(handoverEncoder);
        return true;
    }
}
