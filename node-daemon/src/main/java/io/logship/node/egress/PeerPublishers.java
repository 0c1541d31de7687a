package io.logship.node.egress;

import io.logship.node.NodeConfig;
import io.logship.transport.BoundedPublisher;
import io.logship.transport.TransportNode;
import io.logship.transport.TransportStream;
import io.logship.transport.codec.RefuseEncoder;
import io.logship.transport.codec.RefuseReason;

import java.util.Map;

/**
 * This node's publications to each peer, by node id: replication (leader to follower data), feedback
 * (follower to leader acks and fetches) and election (votes, heartbeats, epoch-end queries). The one peer
 * lookup: an id that is not a peer (this node, unknown, out of range) gives null. Conductor thread only.
 */
public final class PeerPublishers
{
    private final BoundedPublisher[] replication;
    private final BoundedPublisher[] feedback;
    private final BoundedPublisher[] election;
    private final SendBuffer sendBuffer;
    private final RefuseEncoder refuseEncoder = new RefuseEncoder();

    public PeerPublishers(final NodeConfig config, final TransportNode transport, final SendBuffer sendBuffer)
    {
        this.sendBuffer = sendBuffer;
        final int maxId = config.members().keySet().stream().mapToInt(Integer::intValue).max().orElse(0);
        replication = new BoundedPublisher[maxId + 1];
        feedback = new BoundedPublisher[maxId + 1];
        election = new BoundedPublisher[maxId + 1];
        for (final Map.Entry<Integer, NodeConfig.Member> entry : config.members().entrySet())
        {
            final int id = entry.getKey();
            if (id == config.nodeId())
            {
                continue;
            }
            final NodeConfig.Member member = entry.getValue();
            // Created in this order (election, feedback, replication) as before the split: stream ids and
            // session registration order are unchanged.
            election[id] = transport.addPublisher(member.host(), member.port(), TransportStream.ELECTION,
                "election-to-" + id);
            feedback[id] = transport.addPublisher(member.host(), member.port(), TransportStream.REPLICATION_FEEDBACK,
                "feedback-to-" + id);
            replication[id] = transport.addPublisher(member.host(), member.port(), TransportStream.REPLICATION,
                "replication-to-" + id);
        }
    }

    /** One past the highest node id of the cluster: ids index the arrays. */
    public int idLimit()
    {
        return election.length;
    }

    /** Whether {@code id} is another member of the cluster. */
    public boolean isPeer(final int id)
    {
        return null != election(id);
    }

    public BoundedPublisher replication(final int id)
    {
        return id > 0 && id < replication.length ? replication[id] : null;
    }

    public BoundedPublisher feedback(final int id)
    {
        return id > 0 && id < feedback.length ? feedback[id] : null;
    }

    public BoundedPublisher election(final int id)
    {
        return id > 0 && id < election.length ? election[id] : null;
    }

    /** Fault injection: drops (or stops dropping) everything this node sends to {@code id}. */
    public void dropAll(final int id, final boolean drop)
    {
        if (isPeer(id))
        {
            replication[id].dropAll(drop);
            feedback[id].dropAll(drop);
            election[id].dropAll(drop);
        }
    }

    /** Refuses a message: the refusal carries this node's epoch and leader, so a stale sender learns both. */
    public void refuse(final BoundedPublisher publisher, final int templateId, final RefuseReason reason,
        final int currentEpoch, final int leaderId, final int nodeId)
    {
        if (null == publisher)
        {
            return;
        }
        refuseEncoder.wrapAndApplyHeader(sendBuffer.buffer(), 0, sendBuffer.header())
            .currentEpoch(currentEpoch).leaderId(leaderId).nodeId(nodeId).refusedTemplateId(templateId).reason(reason);
        publisher.offer(refuseEncoder);
    }
}
