package io.logship.node.egress;

import io.logship.node.NodeConfig;
import io.logship.transport.BoundedPublisher;
import io.logship.transport.PendingPublisher;
import io.logship.transport.PublishResult;
import io.logship.transport.TransportChannels;
import io.logship.transport.TransportNode;
import io.logship.transport.TransportStream;
import io.logship.transport.codec.MessageHeaderDecoder;
import io.logship.transport.codec.RefuseEncoder;
import io.logship.transport.codec.RefuseReason;

import org.agrona.DirectBuffer;
import org.agrona.ExpandableRingBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.IntArrayQueue;
import org.agrona.sbe.MessageEncoderFlyweight;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntPredicate;

/**
 * This node's publications to each peer, by node id: replication (leader to follower data), feedback
 * (follower to leader acks and fetches) and election (votes, heartbeats, epoch-end queries). The one peer
 * lookup: an id that is not a peer (this node, unknown, out of range) gives null. Conductor thread only.
 *
 * <p>Also the barrier that keeps the election state's persistence off the conductor: while a state this node
 * has requested is not durable ({@code durable} answers false), every peer message — vote, vote request,
 * heartbeat, append, ack, fetch, epoch-end answer, refusal — is copied to one hold buffer instead of sent, and
 * {@link #releaseHeld()} sends them in order once it is (docs/DESIGN.md#election-state-persistence). So no
 * peer ever learns of an epoch, vote or leadership that a crash could make this node forget.
 */
public final class PeerPublishers implements BoundedPublisher.OfferGate
{
    /** Held messages in bytes at most: past it a send answers back-pressure (as a full publication would). */
    static final int MAX_HELD_BYTES = 16 * 1024 * 1024;

    private BoundedPublisher[] replication;
    private BoundedPublisher[] feedback;
    private BoundedPublisher[] election;
    private final TransportNode transport;
    private final int selfId;
    /** Peers of a newer configuration whose publications the media driver is still setting up. */
    private final List<PendingPeer> pending = new ArrayList<>();
    private final SendBuffer sendBuffer;
    private final RefuseEncoder refuseEncoder = new RefuseEncoder();
    private final BooleanSupplier durable;
    private final IntPredicate candidacyOnly;
    private BoundedPublisher[] gated;
    private final ExpandableRingBuffer held = new ExpandableRingBuffer(64 * 1024, MAX_HELD_BYTES, true);
    private final IntArrayQueue heldTargets = new IntArrayQueue(64, -1);
    private final ExpandableRingBuffer.MessageConsumer releaser = this::release;
    private long heldCount;
    private long aheadOfBarrier;
    private int released;

    /** As below, with no vote request ever sent ahead of the barrier. */
    public PeerPublishers(final NodeConfig config, final TransportNode transport, final SendBuffer sendBuffer,
        final BooleanSupplier durable)
    {
        this(config, transport, sendBuffer, durable, epoch -> false);
    }

    /**
     * @param durable       whether every election state requested so far is durable (peer messages wait until then).
     * @param candidacyOnly whether all that is not durable is this node's candidacy in the given epoch (its vote for
     *                      itself), nothing else that must be durable first pending: {@link #offerVoteRequest}.
     */
    public PeerPublishers(final NodeConfig config, final TransportNode transport, final SendBuffer sendBuffer,
        final BooleanSupplier durable, final IntPredicate candidacyOnly)
    {
        this.sendBuffer = sendBuffer;
        this.durable = durable;
        this.candidacyOnly = candidacyOnly;
        this.transport = transport;
        this.selfId = config.nodeId();
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
        gated = new BoundedPublisher[3 * (maxId + 1)];
        for (int id = 0; id <= maxId; id++)
        {
            gate(id);
        }
    }

    private void gate(final int id)
    {
        gated[3 * id] = election[id];
        gated[3 * id + 1] = feedback[id];
        gated[3 * id + 2] = replication[id];
        for (int i = 3 * id; i < 3 * id + 3; i++)
        {
            if (null != gated[i])
            {
                gated[i].offerGate(this);
            }
        }
    }

    /**
     * A member of a newer configuration (docs/DESIGN.md#membership) needs publications: they are started without
     * waiting for the media driver (the duty thread must not block) and become usable in a later
     * {@link #pollAdded()}. Nothing happens for this node, a peer already known or one already being added.
     * A removed member's publications are kept: idle once nothing is shipped to it, and a later configuration
     * may add it back.
     */
    public void ensurePeer(final int id, final String host, final int port)
    {
        if (id == selfId || id <= 0 || isPeer(id))
        {
            return;
        }
        for (final PendingPeer peer : pending)
        {
            if (peer.id == id)
            {
                return;
            }
        }
        final PendingPeer peer = new PendingPeer(id);
        final String channel = TransportChannels.udpPublication(transport.context(), host, port);
        peer.pending[0] = transport.asyncAddPublisher(
            channel, TransportStream.ELECTION.streamId(), "election-to-" + id);
        peer.pending[1] = transport.asyncAddPublisher(
            channel, TransportStream.REPLICATION_FEEDBACK.streamId(), "feedback-to-" + id);
        peer.pending[2] = transport.asyncAddPublisher(
            channel, TransportStream.REPLICATION.streamId(), "replication-to-" + id);
        pending.add(peer);
    }

    /** Whether publications started by {@link #ensurePeer} are still being set up. */
    public boolean hasPending()
    {
        return !pending.isEmpty();
    }

    /** Installs the peers whose publications are ready; returns how many were installed (then peers changed). */
    public int pollAdded()
    {
        int installed = 0;
        for (int i = pending.size() - 1; i >= 0; i--)
        {
            final PendingPeer peer = pending.get(i);
            for (int j = 0; j < 3; j++)
            {
                if (null == peer.publishers[j])
                {
                    peer.publishers[j] = transport.addedPublisher(peer.pending[j]);
                }
            }
            if (null != peer.publishers[0] && null != peer.publishers[1] && null != peer.publishers[2])
            {
                install(peer);
                pending.remove(i);
                installed++;
            }
        }
        return installed;
    }

    private void install(final PendingPeer peer)
    {
        final int id = peer.id;
        if (id >= election.length)
        {
            replication = Arrays.copyOf(replication, id + 1);
            feedback = Arrays.copyOf(feedback, id + 1);
            election = Arrays.copyOf(election, id + 1);
            gated = Arrays.copyOf(gated, 3 * (id + 1));
        }
        election[id] = peer.publishers[0];
        feedback[id] = peer.publishers[1];
        replication[id] = peer.publishers[2];
        gate(id);
    }

    /** A peer being added: its election, feedback and replication publishers being set up. */
    private static final class PendingPeer
    {
        final int id;
        final PendingPublisher[] pending = new PendingPublisher[3];
        final BoundedPublisher[] publishers = new BoundedPublisher[3];

        PendingPeer(final int id)
        {
            this.id = id;
        }
    }

    @Override
    public PublishResult hold(final BoundedPublisher publisher, final DirectBuffer buffer, final int offset,
        final int length)
    {
        if (!isHolding())
        {
            return null;
        }
        if (!held.append(buffer, offset, length))
        {
            return PublishResult.BACK_PRESSURED;
        }
        heldTargets.offerInt(indexOf(publisher));
        heldCount++;
        return PublishResult.SENT;
    }

    /** Whether peer messages wait now: a state is not durable yet, or older held messages are not sent yet. */
    @Override
    public boolean isHolding()
    {
        return !held.isEmpty() || !durable.getAsBoolean();
    }

    /**
     * A real candidacy's {@code RequestVote} for {@code epoch} on a peer's election {@code publisher}: sent at once
     * if the only state not yet durable is that candidacy and nothing is held (so it overtakes no message), else
     * through the barrier as any other. It reveals only that this node stands in {@code epoch}, which a crash may
     * make it forget at no cost: its vote for itself counts only once durable
     * ({@link io.logship.node.election.ElectionState#onVote}), so the candidate's fsync and a voter's run at once
     * instead of one after the other (docs/DESIGN.md#candidacy-in-parallel). A pre-vote request goes through the
     * barrier.
     */
    public PublishResult offerVoteRequest(final BoundedPublisher publisher, final int epoch,
        final MessageEncoderFlyweight encoder)
    {
        if (held.isEmpty() && candidacyOnly.test(epoch))
        {
            final int headerLength = MessageHeaderDecoder.ENCODED_LENGTH;
            aheadOfBarrier++;
            return publisher.offerPastGate(encoder.buffer(), encoder.offset() - headerLength,
                headerLength + encoder.encodedLength());
        }
        return publisher.offer(encoder);
    }

    /** Vote requests sent ahead of the barrier so far (tests, metrics). */
    public long aheadOfBarrierCount()
    {
        return aheadOfBarrier;
    }

    /** Sends, in order, what was held while the election state was not durable, once it is; returns how many. */
    public int releaseHeld()
    {
        if (held.isEmpty() || !durable.getAsBoolean())
        {
            return 0;
        }
        released = 0;
        held.consume(releaser, Integer.MAX_VALUE); // returns bytes, not messages
        return released;
    }

    /** Peer messages held so far (metrics, tests). */
    public long heldCount()
    {
        return heldCount;
    }

    private boolean release(final MutableDirectBuffer buffer, final int offset, final int length, final int headOffset)
    {
        // A message lost here counts like one the publication refused: every peer protocol already copes with that.
        gated[heldTargets.pollInt()].offerPastGate(buffer, offset, length);
        released++;
        return true;
    }

    private int indexOf(final BoundedPublisher publisher)
    {
        for (int i = 0; i < gated.length; i++)
        {
            if (gated[i] == publisher)
            {
                return i;
            }
        }
        throw new IllegalStateException("publisher " + publisher + " is not a peer publication of this node");
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
