package io.logship.node.write;

import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.RingBuffer;
import io.logship.LogshipException;
import io.logship.node.ReplicatedLog;
import io.logship.node.Role;
import io.logship.node.dedup.DedupWindow;
import io.logship.node.egress.ResponsePublisher;
import io.logship.node.ingress.ClientSessions;
import io.logship.node.leader.CommitTracker;
import io.logship.node.pipeline.ConductorJournal;
import io.logship.node.pipeline.WriteEvent;
import io.logship.transport.codec.AckLevel;
import io.logship.transport.codec.Status;

import static java.lang.System.Logger.Level.INFO;

/**
 * Collects what the journal (its thread, or the stage this thread runs) did with each write (stored at an offset, or not) and answers it:
 * LEADER-level writes at once if this node already holds them by its fsync policy, everything else through
 * {@link AckWaits}. After a step-down the journal may
 * still hold writes of the old epoch; they fail (the epoch gate) or finish, and their results are answered
 * here while the node drains the ring: only once the ring is empty may this node append as a follower, as
 * two threads must never append to the log at once. Conductor thread only.
 */
public final class JournalResultPoller
{
    private final ReplicatedLog partition;
    private final RingBuffer<WriteEvent> ring;
    private final EventPoller<WriteEvent> poller;
    private final EventPoller.Handler<WriteEvent> journalResultHandler = this::onJournalResult;
    private final DedupWindow dedup;
    private final CommitTracker commits;
    private final AckWaits ackWaits;
    private final ClientSessions sessions;
    private final ResponsePublisher responses;
    private final System.Logger logger;
    private String batchFailure;
    /** Told what became of a configuration change (appended at an offset or failed); null until the node sets it. */
    private MembersResults membersResults;
    /** After stepping down: journal results still to collect before this node may append as a follower. */
    private boolean draining;
    /** With {@code logship.node.journal=conductor}: the journal stage this thread runs before collecting results. */
    private ConductorJournal conductorJournal;

    public JournalResultPoller(final ReplicatedLog partition, final RingBuffer<WriteEvent> ring,
        final EventPoller<WriteEvent> poller, final DedupWindow dedup, final CommitTracker commits,
        final AckWaits ackWaits, final ClientSessions sessions, final ResponsePublisher responses)
    {
        this.partition = partition;
        this.ring = ring;
        this.poller = poller;
        this.dedup = dedup;
        this.commits = commits;
        this.ackWaits = ackWaits;
        this.sessions = sessions;
        this.responses = responses;
        this.logger = partition.logger();
    }

    /**
     * This thread appends the leader's writes itself (docs/DESIGN.md#journal-on-conductor): each {@link #poll()} and
     * {@link #drain()} runs {@code stage} first, so what it appends is answered in the same call. Set before the
     * conductor starts; {@code poller} must then be gated on the stage's sequence.
     */
    public void runJournalStage(final ConductorJournal stage)
    {
        this.conductorJournal = stage;
    }

    public int poll()
    {
        final int appended = null == conductorJournal ? 0 : conductorJournal.poll();
        try
        {
            return appended + (poller.poll(journalResultHandler) == EventPoller.PollState.PROCESSING ? 1 : 0);
        }
        catch (final Exception ex)
        {
            throw new LogshipException("journal result handling failed: " + ex, LogshipException.Category.FATAL, ex);
        }
    }

    /** Writes in the ring the journal has not answered yet. */
    public int backlog()
    {
        return (int)(ring.getCursor() - poller.getSequence().get());
    }

    /** Stepped down: collect the old epoch's results before appending as a follower. */
    public void startDraining()
    {
        draining = true;
    }

    public boolean isDraining()
    {
        return draining;
    }

    /** One drain step; true once the ring is empty (the node may append as a follower). */
    public int drain()
    {
        int work = poll();
        if (poller.getSequence().get() >= ring.getCursor())
        {
            draining = false;
            work++;
        }
        return work;
    }

    /** What the leader does with the journal's result for a MEMBERS record ({@link WriteEvent#KIND_MEMBERS}). */
    public interface MembersResults
    {
        /** Appended at {@code offset} in {@code epoch}, or not stored ({@code offset} -1, {@code error} says why). */
        void onMembersResult(long offset, int epoch, String error);
    }

    public void membersResults(final MembersResults results)
    {
        this.membersResults = results;
    }

    /**
     * Publishes a configuration change: {@code length} bytes of {@code encoded} (MembershipCodec) become the value of
     * one MEMBERS record in a batch of its own. Returns false (nothing published) if the ring is full.
     */
    public boolean publishMembers(final org.agrona.DirectBuffer encoded, final int length)
    {
        final long sequence;
        try
        {
            sequence = ring.tryNext();
        }
        catch (final com.lmax.disruptor.InsufficientCapacityException ex)
        {
            return false;
        }
        final WriteEvent event = ring.get(sequence);
        event.kind = WriteEvent.KIND_MEMBERS;
        event.clientId = 0;
        event.idempotent = false;
        event.batchMember = false;
        event.batchCount = 0;
        event.keyLength = 0;
        event.valueLength = length;
        event.payloadFor(length).putBytes(0, encoded, 0, length);
        ring.publish(sequence);
        return true;
    }

    /** Publishes the NOOP that opens {@code epoch}: nothing commits in the epoch until a majority holds it. */
    public void publishEpochStart()
    {
        final long sequence = ring.next();
        final WriteEvent event = ring.get(sequence);
        event.kind = WriteEvent.KIND_EPOCH_START;
        event.clientId = 0;
        event.idempotent = false;
        ring.publish(sequence);
    }

    private boolean onJournalResult(final WriteEvent event, final long sequence, final boolean endOfBatch)
    {
        final Role role = partition.role();
        final int epoch = partition.epoch();
        final int nodeId = partition.nodeId();
        if (event.kind == WriteEvent.KIND_EPOCH_START)
        {
            if (role != Role.LEADER || event.result == WriteEvent.RESULT_APPENDED && event.epoch != partition.leadingEpoch())
            {
                return true; // the epoch it opened is over already
            }
            if (event.result == WriteEvent.RESULT_APPENDED)
            {
                commits.epochStartOffset(event.offset);
                logger.log(INFO, "Epoch " + epoch + " opened with a NOOP at offset " + event.offset);
            }
            else
            {
                partition.fence("Node " + nodeId + " could not open epoch " + epoch + ": " + event.error +
                    "; it is FENCED, steps down and takes no writes");
            }
            return true;
        }
        if (event.kind == WriteEvent.KIND_MEMBERS)
        {
            // In the log whatever this node's role now (effective on append, even after a step-down).
            if (null != membersResults)
            {
                membersResults.onMembersResult(event.result == WriteEvent.RESULT_APPENDED ? event.offset : -1,
                    event.epoch, event.error);
            }
            return true;
        }
        final long clientId = event.clientId;
        final int count;
        if (event.isClientBatch())
        {
            count = event.batchCount;
            onBatchDedupResults(event, count);
        }
        else
        {
            if (event.idempotent)
            {
                dedup.onResult(clientId, event.sequence, event.result == WriteEvent.RESULT_APPENDED ? event.offset : -1);
            }
            if (event.batchMember)
            {
                // An earlier record of a batch: the batch's last record answers for all of them, and fails them
                // all if any was not stored (slots of one batch are consecutive, so nothing interleaves).
                if (event.result != WriteEvent.RESULT_APPENDED && null == batchFailure)
                {
                    batchFailure = event.error;
                }
                return true;
            }
            count = Math.max(1, event.batchCount);
        }
        final String memberFailure = batchFailure;
        batchFailure = null;
        final ClientSessions.Session session = sessions.get(clientId, 0);
        if (role != Role.LEADER || event.result == WriteEvent.RESULT_APPENDED && event.epoch != partition.leadingEpoch())
        {
            // Stepped down while the write was in the ring: stored or not, it is the next leader's to answer.
            if (null != session)
            {
                responses.sendWriteResponse(session, event.correlationId, -1, Status.NOT_LEADER, null, "node " + nodeId +
                    " stopped leading epoch " + event.epoch + " before the write was acknowledged; retry (the " +
                    "retry is de-duplicated if the write survived)", epoch, count);
            }
            return true;
        }
        if (event.result != WriteEvent.RESULT_APPENDED || null != memberFailure)
        {
            if (null != memberFailure)
            {
                event.error = "a record of this batch was not stored (" + memberFailure + "); records that were " +
                    "are de-duplicated when the batch is retried";
            }
            if (null != session)
            {
                responses.sendWriteResponse(session, event.correlationId, -1,
                    partition.log().isFailed() ? Status.FENCED : Status.ERROR, null, "write not stored: " + event.error,
                    epoch, count);
            }
            return true;
        }
        final AckLevel ackLevel = AckLevel.get((short)event.ackLevel);
        if (ackLevel != AckLevel.QUORUM && ackLevel != AckLevel.ALL && event.offset < ackWaits.reachedBelow(AckLevel.LEADER))
        {
            if (null != session)
            {
                responses.sendWriteResponse(session, event.correlationId, event.offset - count + 1, Status.OK,
                    AckLevel.LEADER, null, event.epoch, count);
            }
            return true;
        }
        // The journal appends without forcing: under fsync=always even LEADER waits for this node's fsync.
        ackWaits.add(ackLevel == AckLevel.QUORUM || ackLevel == AckLevel.ALL ? ackLevel : AckLevel.LEADER,
            event.correlationId, clientId, event.offset, event.epoch, event.deadlineNs, count);
        return true;
    }

    /** A client batch in one slot was stored whole, consecutively up to its offset, or not at all. */
    private void onBatchDedupResults(final WriteEvent event, final int count)
    {
        final boolean appended = event.result == WriteEvent.RESULT_APPENDED;
        final long firstOffset = event.offset - count + 1;
        dedup.onResult(event.clientId, event.sequence, count, appended ? firstOffset : -1);
    }
}
