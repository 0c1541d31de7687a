package io.logship.node.leader;

import io.aeron.logbuffer.Header;
import io.logship.log.EpochHistory;
import io.logship.log.SegmentedLog;
import io.logship.node.ReplicatedLog;
import io.logship.node.Role;
import io.logship.node.egress.PeerPublishers;
import io.logship.node.egress.SendBuffer;
import io.logship.node.election.ElectionState;
import io.logship.node.election.Persistence;
import io.logship.node.fault.FaultInjector;
import io.logship.transport.BoundedPublisher;
import io.logship.transport.Decoders;
import io.logship.transport.MessageTypes;
import io.logship.transport.codec.AckDecoder;
import io.logship.transport.codec.EpochEndRequestDecoder;
import io.logship.transport.codec.EpochEndResponseEncoder;
import io.logship.transport.codec.FetchFromDecoder;
import io.logship.transport.codec.NodeFsync;
import io.logship.transport.codec.RefuseDecoder;
import io.logship.transport.codec.RefuseReason;
import org.agrona.DirectBuffer;

import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

/**
 * What followers tell the leader: acks (written and fsynced ends and the fsync policy that says which one the
 * follower holds, applied offset, the echoed heartbeat timestamp that
 * extends the lease), fetches (where to ship from), refusals (a higher epoch deposes this leader) and
 * epoch-end questions (a follower reconciling its log). Anything from a higher epoch goes to the election
 * first; anything from a lower epoch is refused with the current one. Conductor thread only.
 */
public final class FeedbackAdapter
{
    private final ReplicatedLog partition;
    private final SegmentedLog log;
    private final CommitTracker commits;
    private final ReplicationPublisher replication;
    private final PeerPublishers peers;
    private final FaultInjector faults;
    private final SendBuffer sendBuffer;
    private final System.Logger logger;
    private final Decoders decoders = new Decoders();
    private final EpochEndResponseEncoder epochEndResponseEncoder = new EpochEndResponseEncoder();
    /** Some follower's EpochEndRequest waits for this epoch's NOOP ({@link #answerDeferredEpochEndQuestions}). */
    private boolean deferredQuestions;

    public FeedbackAdapter(final ReplicatedLog partition, final CommitTracker commits,
        final ReplicationPublisher replication, final PeerPublishers peers, final FaultInjector faults,
        final SendBuffer sendBuffer)
    {
        this.partition = partition;
        this.log = partition.log();
        this.commits = commits;
        this.replication = replication;
        this.peers = peers;
        this.faults = faults;
        this.sendBuffer = sendBuffer;
        this.logger = partition.logger();
    }

    /** The feedback stream's handler: {@code position} is the message's byte position in {@code buffer}. */
    public void onMessage(final int templateId, final DirectBuffer buffer, final int position, final int length,
        final Header header)
    {
        if (faults.dropped(templateId, buffer, position, length))
        {
            return;
        }
        switch (templateId)
        {
            case AckDecoder.TEMPLATE_ID -> onAck(decoders.ack(buffer, position, length));
            case FetchFromDecoder.TEMPLATE_ID -> onFetchFrom(decoders.fetchFrom(buffer, position, length));
            case RefuseDecoder.TEMPLATE_ID -> onRefuse(decoders.refuse(buffer, position, length));
            default -> logger.log(WARNING, "unexpected " + MessageTypes.describe(templateId) + " on feedback");
        }
    }

    private long nowMs(final long nowNs)
    {
        return ReplicatedLog.nowMs(nowNs);
    }

    private void onAck(final AckDecoder decoder)
    {
        final FollowerProgress follower = commits.follower(decoder.nodeId());
        if (null == follower)
        {
            return;
        }
        final long nowNs = partition.clock().nanoTime();
        final ElectionState election = partition.election();
        final int epoch = partition.epoch();
        if (decoder.epoch() > epoch)
        {
            election.onHigherEpochSeen(nowMs(nowNs), decoder.epoch(), Persistence.NONE);
            return;
        }
        if (partition.role() != Role.LEADER)
        {
            return;
        }
        if (decoder.epoch() != epoch)
        {
            refuseStale(peers.feedback(follower.nodeId), AckDecoder.TEMPLATE_ID);
            return; // an ack from an older epoch says nothing about this epoch's log
        }
        final long durable = decoder.durableEndOffset();
        if (durable >= 0) // -1: the follower is still reconciling its log with this one
        {
            follower.durableEndOffset = durable;
            follower.writtenEndOffset = Math.max(durable, decoder.writtenEndOffset());
            follower.holdsWritten = decoder.fsyncPolicy() == NodeFsync.INTERVAL;
        }
        follower.appliedOffset = decoder.appliedOffset();
        follower.lastAckNs = nowNs;
        final long echoed = decoder.echoedTimestampNs();
        follower.lastEchoedNs = echoed;
        partition.counters().replicationRtt().onAck(follower.nodeId, echoed, nowNs);
        // The election picks and waits for a handover target by what it holds by its own fsync policy.
        election.onFollowerAck(nowMs(nowNs), follower.nodeId, decoder.epoch(),
            echoed < 0 ? Long.MIN_VALUE / 4 : nowMs(echoed), durable >= 0 ? follower.heldEndOffset() : durable);
    }

    private void onFetchFrom(final FetchFromDecoder decoder)
    {
        final FollowerProgress follower = commits.follower(decoder.nodeId());
        if (null == follower)
        {
            return;
        }
        final int epoch = partition.epoch();
        if (decoder.epoch() > epoch)
        {
            partition.election().onHigherEpochSeen(nowMs(partition.clock().nanoTime()), decoder.epoch(),
                Persistence.NONE);
            return;
        }
        if (partition.role() != Role.LEADER)
        {
            return;
        }
        if (decoder.epoch() < epoch)
        {
            refuseStale(follower.replication, FetchFromDecoder.TEMPLATE_ID);
            return;
        }
        final long fetchOffset = decoder.fetchOffset();
        if (fetchOffset > log.logEndOffset())
        {
            refuse(follower.replication, FetchFromDecoder.TEMPLATE_ID, RefuseReason.LOG_MISMATCH);
            return;
        }
        follower.closeSnapshot();
        if (fetchOffset < log.logStartOffset())
        {
            replication.startSnapshot(follower, fetchOffset);
            return;
        }
        if (follower.nextSendOffset != fetchOffset)
        {
            logger.log(INFO, "Follower " + follower.nodeId + " fetches from offset " + fetchOffset + " (log end " +
                log.logEndOffset() + ")");
        }
        follower.nextSendOffset = fetchOffset;
    }

    /** A refusal from a peer (on feedback or election): a higher epoch means this node is out of date. */
    public void onRefuse(final RefuseDecoder decoder)
    {
        final int epoch = partition.epoch();
        if (decoder.currentEpoch() > epoch)
        {
            logger.log(WARNING, "node " + decoder.nodeId() + " refused " +
                MessageTypes.describe(decoder.refusedTemplateId()) + ": it is at epoch " +
                decoder.currentEpoch() + " above this node's " + epoch + (decoder.leaderId() > 0 ? " (node " +
                decoder.leaderId() + " leads)" : "") + (partition.role() == Role.LEADER ? "; this node no longer leads" : ""));
            partition.election().onHigherEpochSeen(nowMs(partition.clock().nanoTime()), decoder.currentEpoch(),
                decoder.leaderId());
        }
    }

    /** A follower reconciling its log asks where an epoch ended on this leader's log. */
    public void onEpochEndRequest(final EpochEndRequestDecoder decoder)
    {
        final BoundedPublisher toRequester = peers.election(decoder.nodeId());
        if (null == toRequester)
        {
            return;
        }
        if (partition.role() != Role.LEADER)
        {
            return;
        }
        final int epoch = partition.epoch();
        if (decoder.epoch() > epoch)
        {
            partition.election().onHigherEpochSeen(nowMs(partition.clock().nanoTime()), decoder.epoch(),
                Persistence.NONE);
            return;
        }
        if (log.epochHistory().latestEpoch() != epoch)
        {
            // The journal has not appended this epoch's opening NOOP yet (it runs on another thread). Until it has,
            // the history lacks the current epoch, and a follower whose last epoch is newer than this log's latest
            // would get UNDEFINED and cut back to its applied offset, committed entries included. No answer now:
            // the question waits for the NOOP (answerDeferredEpochEndQuestions); a follower this leader does not
            // track asks again every two heartbeat intervals (docs/DESIGN.md#rejoin).
            final FollowerProgress follower = commits.follower(decoder.nodeId());
            if (null != follower)
            {
                follower.deferredEpochEndQuestion = decoder.requestedEpoch();
                deferredQuestions = true;
            }
            return;
        }
        final FollowerProgress follower = commits.follower(decoder.nodeId());
        if (null != follower)
        {
            follower.deferredEpochEndQuestion = FollowerProgress.NO_QUESTION; // answered now: not again at the NOOP
        }
        answerEpochEnd(toRequester, decoder.requestedEpoch());
    }

    /**
     * Answers the EpochEndRequests that came before this epoch's NOOP was in the log, once it is: leader duty cycle.
     * Followers learn of a new epoch from its first heartbeat, sent as it is won, and often ask before the journal
     * thread has appended the NOOP.
     *
     * @return the number of questions answered.
     */
    public int answerDeferredEpochEndQuestions()
    {
        if (!deferredQuestions || partition.role() != Role.LEADER ||
            log.epochHistory().latestEpoch() != partition.epoch())
        {
            return 0;
        }
        deferredQuestions = false;
        int answered = 0;
        for (final FollowerProgress follower : commits.followers())
        {
            if (null != follower && FollowerProgress.NO_QUESTION != follower.deferredEpochEndQuestion)
            {
                final BoundedPublisher toRequester = peers.election(follower.nodeId);
                if (null != toRequester)
                {
                    answerEpochEnd(toRequester, follower.deferredEpochEndQuestion);
                    answered++;
                }
                follower.deferredEpochEndQuestion = FollowerProgress.NO_QUESTION;
            }
        }
        return answered;
    }

    private void answerEpochEnd(final BoundedPublisher toRequester, final int requestedEpoch)
    {
        final EpochHistory.EpochEnd end = log.epochHistory().endOffsetFor(requestedEpoch, log.logEndOffset());
        epochEndResponseEncoder.wrapAndApplyHeader(sendBuffer.buffer(), 0, sendBuffer.header())
            .epoch(partition.epoch()).nodeId(partition.nodeId()).epochFound(end.epoch()).endOffset(end.endOffset())
            .requestedEpoch(requestedEpoch);
        toRequester.offer(epochEndResponseEncoder);
    }

    /** Refuses a message from a lower epoch (counted): the refusal carries the current epoch. */
    public void refuseStale(final BoundedPublisher publisher, final int templateId)
    {
        partition.counters().onStaleEpochRefusal();
        refuse(publisher, templateId, RefuseReason.STALE_EPOCH);
    }

    private void refuse(final BoundedPublisher publisher, final int templateId, final RefuseReason reason)
    {
        peers.refuse(publisher, templateId, reason, partition.epoch(), partition.leaderId(), partition.nodeId());
    }
}
