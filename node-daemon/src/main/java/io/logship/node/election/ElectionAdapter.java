package io.logship.node.election;

import io.aeron.logbuffer.Header;
import io.logship.node.ReplicatedLog;
import io.logship.node.fault.FaultInjector;
import io.logship.node.follower.FollowerReplication;
import io.logship.node.leader.FeedbackAdapter;
import io.logship.transport.Decoders;
import io.logship.transport.MessageTypes;
import io.logship.transport.codec.BooleanType;
import io.logship.transport.codec.EpochEndRequestDecoder;
import io.logship.transport.codec.EpochEndResponseDecoder;
import io.logship.transport.codec.HandoverDecoder;
import io.logship.transport.codec.HeartbeatDecoder;
import io.logship.transport.codec.RefuseDecoder;
import io.logship.transport.codec.RequestVoteDecoder;
import io.logship.transport.codec.VoteDecoder;
import org.agrona.DirectBuffer;

import java.util.function.BooleanSupplier;

import static java.lang.System.Logger.Level.DEBUG;
import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

/**
 * Decodes the election stream: votes and handovers go to {@link ElectionState}; heartbeats (on this stream so
 * catch-up data never delays them) and epoch-end answers to the follower; epoch-end questions and refusals
 * to the leader side. Conductor thread only.
 */
public final class ElectionAdapter
{
    private final ReplicatedLog partition;
    private final FaultInjector faults;
    private final FeedbackAdapter leader;
    private final FollowerReplication follower;
    private final System.Logger logger;
    private final Decoders decoders = new Decoders();
    private BooleanSupplier stopRequested = () -> false;

    public ElectionAdapter(final ReplicatedLog partition, final FaultInjector faults, final FeedbackAdapter leader,
        final FollowerReplication follower)
    {
        this.partition = partition;
        this.faults = faults;
        this.leader = leader;
        this.follower = follower;
        this.logger = partition.logger();
    }

    /**
     * Set once by the node before the conductor runs: whether a clean stop has begun ({@link ElectionState#leave} is
     * applied at the start of each duty cycle, and a Handover polled later in the cycle the stop began in must not
     * make this node stand: ClusterStopSystemTest saw a node stand 1 ms after "stopping").
     */
    public void stopRequested(final BooleanSupplier stopRequested)
    {
        this.stopRequested = stopRequested;
    }

    /** The election stream's handler: {@code position} is the message's byte position in {@code buffer}. */
    public void onMessage(final int templateId, final DirectBuffer buffer, final int position, final int length,
        final Header header)
    {
        if (faults.dropped(templateId, buffer, position, length))
        {
            return;
        }
        final ElectionState election = partition.election();
        switch (templateId)
        {
            case EpochEndRequestDecoder.TEMPLATE_ID ->
                leader.onEpochEndRequest(decoders.epochEndRequest(buffer, position, length));
            case EpochEndResponseDecoder.TEMPLATE_ID ->
                follower.onEpochEndResponse(decoders.epochEndResponse(buffer, position, length));
            case RefuseDecoder.TEMPLATE_ID -> leader.onRefuse(decoders.refuse(buffer, position, length));
            case HeartbeatDecoder.TEMPLATE_ID -> follower.onHeartbeat(decoders.heartbeat(buffer, position, length));
            case RequestVoteDecoder.TEMPLATE_ID -> onRequestVote(decoders.requestVote(buffer, position, length));
            case VoteDecoder.TEMPLATE_ID ->
            {
                final VoteDecoder vote = decoders.vote(buffer, position, length);
                if (vote.flags().preVote())
                {
                    election.onPreVote(nowMs(), vote.voterId(), vote.epoch(), vote.granted() == BooleanType.TRUE,
                        vote.voterEpoch());
                }
                else
                {
                    election.onVote(nowMs(), vote.voterId(), vote.epoch(), vote.granted() == BooleanType.TRUE,
                        vote.voterEpoch());
                }
            }
            case HandoverDecoder.TEMPLATE_ID ->
            {
                final HandoverDecoder handover = decoders.handover(buffer, position, length);
                if (handover.targetId() == partition.nodeId())
                {
                    if (stopRequested.getAsBoolean())
                    {
                        election.leave(); // idempotent; a leaving node takes no handover
                    }
                    election.onHandover(nowMs(), handover.leaderId(), handover.epoch());
                }
            }
            default -> logger.log(WARNING, "unexpected " + MessageTypes.describe(templateId) + " on election");
        }
    }

    private long nowMs()
    {
        return ReplicatedLog.nowMs(partition.clock().nanoTime());
    }

    private void onRequestVote(final RequestVoteDecoder decoder)
    {
        final boolean preVote = decoder.flags().preVote();
        final int flags = (decoder.flags().forced() ? ElectionState.FLAG_FORCED : 0) |
            (decoder.flags().graceful() ? ElectionState.FLAG_GRACEFUL : 0) |
            (preVote ? ElectionState.FLAG_PRE_VOTE : 0);
        final Vote vote = partition.election().onRequestVote(nowMs(), decoder.candidateId(),
            decoder.epoch(), decoder.lastLogEpoch(), decoder.logEndOffset(), flags);
        final String verb = preVote ? (vote.granted() ? " would vote for" : " would not vote for") :
            (vote.granted() ? " votes for" : " does not vote for");
        // A candidate asks the silent again every heartbeat interval, and a voter is silent while its grant is
        // being written (docs/DESIGN.md#candidacy-in-parallel): a repeat granted as before is a debug line.
        final System.Logger.Level level = ElectionState.GRANTED_AGAIN.equals(vote.reason()) ? DEBUG : INFO;
        if (logger.isLoggable(level))
        {
            logger.log(level, "Node " + partition.nodeId() + verb + " node " + decoder.candidateId() + " in epoch " +
                decoder.epoch() + (preVote ? " (pre-vote)" : "") + (vote.granted() ? "" : ": " + vote.reason()));
        }
    }
}
