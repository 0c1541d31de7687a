package io.logship.node.write;

import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import io.logship.format.BatchDescriptor;
import io.logship.format.RecordCursor;
import io.logship.format.RecordDescriptor;
import io.logship.node.NodeConfig;
import io.logship.node.ReplicatedLog;
import io.logship.node.dedup.DedupWindow;
import io.logship.node.dedup.DuplicateCheck;
import io.logship.node.egress.ResponsePublisher;
import io.logship.node.ingress.ClientSessions;
import io.logship.node.ingress.RequestTimeouts;
import io.logship.node.pipeline.WriteEvent;
import io.logship.transport.codec.AckLevel;
import io.logship.transport.codec.MessageHeaderDecoder;
import io.logship.transport.codec.RecordType;
import io.logship.transport.codec.Status;
import io.logship.transport.codec.WriteBatchRequestDecoder;
import io.logship.transport.codec.WriteLogBatchDecoder;
import io.logship.transport.codec.WriteRequestDecoder;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The leader's intake of client writes: checks them ({@link WriteValidator}), answers retries of writes it
 * already has with their original offsets ({@link DuplicateCheck}), and claims ring slots for the journal
 * thread. A retried write is recognised by (client id, sequence). Conductor thread only.
 */
public final class WriteIntake
{
    private final ReplicatedLog partition;
    private final NodeConfig config;
    private final WriteValidator validator;
    private final RingBuffer<WriteEvent> ring;
    private final DedupWindow dedup;
    private final DuplicateCheck duplicates;
    private final AckWaits ackWaits;
    private final ClientSessions sessions;
    private final ResponsePublisher responses;
    private final RequestTimeouts timeouts;
    private final ExpandableArrayBuffer scratch = new ExpandableArrayBuffer(RecordDescriptor.MAX_KEY_LENGTH);
    private final UnsafeBuffer batchView = new UnsafeBuffer(0, 0);
    private final UnsafeBuffer keyView = new UnsafeBuffer(0, 0);
    private final UnsafeBuffer valueView = new UnsafeBuffer(0, 0);
    private final RecordCursor cursor = new RecordCursor();

    public WriteIntake(final ReplicatedLog partition, final NodeConfig config, final WriteValidator validator,
        final RingBuffer<WriteEvent> ring, final DedupWindow dedup, final DuplicateCheck duplicates,
        final AckWaits ackWaits, final ClientSessions sessions, final ResponsePublisher responses,
        final RequestTimeouts timeouts)
    {
        this.partition = partition;
        this.config = config;
        this.validator = validator;
        this.ring = ring;
        this.dedup = dedup;
        this.duplicates = duplicates;
        this.ackWaits = ackWaits;
        this.sessions = sessions;
        this.responses = responses;
        this.timeouts = timeouts;
    }

    public void onWriteRequest(final WriteRequestDecoder decoder, final long nowNs)
    {
        final long correlationId = decoder.correlationId();
        final long clientId = decoder.clientId();
        final long sequence = decoder.sequence();
        final ClientSessions.Session session = session(clientId, nowNs);
        if (null == session)
        {
            return;
        }
        final WriteValidator.Refusal refusal = validator.notTaking(nowNs);
        if (null != refusal)
        {
            responses.sendWriteResponse(session, correlationId, -1, refusal.status(), null, refusal.message());
            return;
        }
        final AckLevel ackLevel = ackLevel(decoder.ackLevel());
        final RecordType type = decoder.recordType();
        final long timeoutNs = timeouts.timeoutNs(decoder.timeoutMs());
        final int keyLength = decoder.keyLength();
        final String keyProblem = validator.keyProblem(type, keyLength);
        if (null != keyProblem)
        {
            responses.sendWriteResponse(session, correlationId, -1, Status.INVALID, null, keyProblem);
            return;
        }
        decoder.getKey(scratch, 0, keyLength);
        final int valueLength = decoder.valueLength();
        final String valueProblem = validator.valueProblem(keyLength, valueLength);
        if (null != valueProblem)
        {
            responses.sendWriteResponse(session, correlationId, -1, Status.INVALID, null, valueProblem);
            return;
        }

        if (sequence > 0)
        {
            final long original = duplicates.check(clientId, sequence);
            if (original >= 0)
            {
                answerDuplicate(session, correlationId, clientId, original, 1, ackLevel, nowNs + timeoutNs);
                return;
            }
            if (original != DuplicateCheck.NEW)
            {
                sendDuplicateRefusal(session, correlationId, original, "sequence " + sequence + " of client " +
                    clientId + " is", 1);
                return;
            }
        }

        if (ackWaits.isFull())
        {
            responses.sendWriteResponse(session, correlationId, -1, Status.BUSY, null, "node " + partition.nodeId() +
                " has " + config.pendingMax() + " writes waiting for acknowledgement; retry later");
            return;
        }
        final long slot;
        try
        {
            slot = ring.tryNext();
        }
        catch (final InsufficientCapacityException ex)
        {
            responses.sendWriteResponse(session, correlationId, -1, Status.BUSY, null, "write ring of node " +
                partition.nodeId() + " is full; retry later");
            return;
        }
        final WriteEvent event = ring.get(slot);
        event.kind = WriteEvent.KIND_WRITE;
        event.correlationId = correlationId;
        event.clientId = clientId;
        event.idempotent = sequence > 0;
        event.sequence = sequence;
        event.batchCount = 0;
        event.batchMember = false;
        event.ackLevel = (byte)ackLevel.value();
        event.recordType = WriteEvent.logRecordType(type).code();
        event.deadlineNs = nowNs + timeoutNs;
        event.keyLength = keyLength;
        event.valueLength = valueLength;
        final ExpandableArrayBuffer payload = event.payloadFor(keyLength + valueLength);
        payload.putBytes(0, scratch, 0, keyLength);
        payload.checkLimit(keyLength + valueLength);
        decoder.getValue(payload, keyLength, valueLength);
        ring.publish(slot);
        if (sequence > 0)
        {
            dedup.onPublished(clientId, sequence);
        }
    }

    /**
     * Client-side batching: {@code count} records with sequences {@code firstSequence ..}, given consecutive
     * offsets by the journal and answered once, when the last reaches the ack level, with the first offset and
     * the count. A batch that fits one log batch takes one ring slot holding the request as it came
     * ({@link WriteEvent#KIND_WRITE_BATCH}): the journal reads its records from there, so they are copied once
     * here, not once per record. A larger one takes a slot per record, consecutive, the last answering. A
     * retried batch is recognised by its last sequence and answered with its original offsets.
     */
    public void onWriteBatchRequest(final WriteBatchRequestDecoder decoder, final long nowNs)
    {
        final long correlationId = decoder.correlationId();
        final long clientId = decoder.clientId();
        final long firstSequence = decoder.firstSequence();
        final ClientSessions.Session session = session(clientId, nowNs);
        if (null == session)
        {
            return;
        }
        final int epoch = partition.epoch();
        final AckLevel ackLevel = ackLevel(decoder.ackLevel());
        final long timeoutNs = timeouts.timeoutNs(decoder.timeoutMs());
        final int limit = decoder.limit();
        final WriteBatchRequestDecoder.RecordsDecoder records = decoder.records();
        final int count = records.count();
        if (refusedBatch(session, correlationId, nowNs, epoch, count) ||
            invalidBatch(session, correlationId, validator.batchProblem(records, firstSequence), epoch, count))
        {
            return;
        }
        // The validator read every record through: the decoder's limit is the message's end.
        final int messageEnd = decoder.limit();
        final long recordsLength = validator.batchRecordsLength();
        final boolean oneSlot = BatchDescriptor.HEADER_LENGTH + recordsLength <= config.batchMaxBytes();
        final long deadlineNs = nowNs + timeoutNs;
        final long hi = claimSlots(session, correlationId, clientId, firstSequence, count, oneSlot ? 1 : count,
            ackLevel, deadlineNs);
        if (hi < 0)
        {
            return;
        }
        final long lo;
        if (oneSlot)
        {
            lo = hi;
            fillBatchSlot(ring.get(hi), decoder, messageEnd, count, (int)recordsLength, ackLevel, deadlineNs);
        }
        else
        {
            lo = hi - count + 1;
            decoder.limit(limit);
            fillRecordSlots(lo, decoder, count, ackLevel, deadlineNs);
        }
        publish(lo, hi, clientId, firstSequence, count);
    }

    /**
     * A client's batch in the log's own format ({@code WriteLogBatch}, docs/DESIGN.md#client-batches): checked
     * record by record and by its CRC32C, then its records go to the journal as they came, in one copy, and
     * the journal adds them to a log batch with one more; the leader stamps base offset, epoch and timestamp.
     * Answered once, as a WriteBatchRequest is, and retried the same way. A batch larger than this node's
     * {@code logship.node.batch.max.bytes} takes a slot per record, as a WriteBatchRequest does.
     */
    public void onWriteLogBatch(final WriteLogBatchDecoder decoder, final long nowNs)
    {
        final long correlationId = decoder.correlationId();
        final long clientId = decoder.clientId();
        final long firstSequence = decoder.firstSequence();
        final ClientSessions.Session session = session(clientId, nowNs);
        if (null == session)
        {
            return;
        }
        final int epoch = partition.epoch();
        final AckLevel ackLevel = ackLevel(decoder.ackLevel());
        final long timeoutNs = timeouts.timeoutNs(decoder.timeoutMs());
        decoder.wrapBatch(batchView);
        final int length = batchView.capacity();
        final int count = length >= BatchDescriptor.HEADER_LENGTH ? BatchDescriptor.recordCount(batchView, 0) : 0;
        if (refusedBatch(session, correlationId, nowNs, epoch, count) ||
            invalidBatch(session, correlationId, validator.logBatchProblem(batchView, length, clientId, firstSequence),
                epoch, count))
        {
            return;
        }
        final int recordsLength = length - BatchDescriptor.HEADER_LENGTH;
        final boolean oneSlot = length <= config.batchMaxBytes();
        final long deadlineNs = nowNs + timeoutNs;
        final long hi = claimSlots(session, correlationId, clientId, firstSequence, count, oneSlot ? 1 : count,
            ackLevel, deadlineNs);
        if (hi < 0)
        {
            return;
        }
        final long lo;
        if (oneSlot)
        {
            lo = hi;
            final WriteEvent event = ring.get(hi);
            event.kind = WriteEvent.KIND_LOG_BATCH;
            event.correlationId = correlationId;
            event.clientId = clientId;
            event.idempotent = true;
            event.sequence = firstSequence;
            event.ackLevel = (byte)ackLevel.value();
            event.deadlineNs = deadlineNs;
            event.batchCount = count;
            event.batchMember = false;
            event.batchRecordsLength = recordsLength;
            event.keyLength = 0;
            event.valueLength = recordsLength;
            event.payloadFor(recordsLength).putBytes(0, batchView, BatchDescriptor.HEADER_LENGTH, recordsLength);
        }
        else
        {
            lo = hi - count + 1;
            cursor.wrap(batchView, 0);
            for (int i = 0; i < count; i++)
            {
                cursor.next();
                fillRecordSlot(ring.get(lo + i), correlationId, clientId, firstSequence + i, ackLevel,
                    cursor.type().code(), deadlineNs, i, count, batchView, cursor.keyOffset(), cursor.keyLength(),
                    batchView, cursor.valueOffset(), cursor.valueLength());
            }
        }
        publish(lo, hi, clientId, firstSequence, count);
    }

    /** The client's session, or null after counting a write without one (the client reconnects when it times out). */
    private ClientSessions.Session session(final long clientId, final long nowNs)
    {
        final ClientSessions.Session session = sessions.get(clientId, nowNs);
        if (null == session)
        {
            partition.counters().onWriteWithoutSession();
        }
        return session;
    }

    /** Answers a batch of {@code count} records this node takes no writes for now; true if it did. */
    private boolean refusedBatch(final ClientSessions.Session session, final long correlationId, final long nowNs,
        final int epoch, final int count)
    {
        final WriteValidator.Refusal refusal = validator.notTaking(nowNs);
        if (null == refusal)
        {
            return false;
        }
        responses.sendWriteResponse(session, correlationId, -1, refusal.status(), null, refusal.message(), epoch, count);
        return true;
    }

    /** Answers INVALID with {@code problem}, the validator's finding on a batch, unless it is null; true if it did. */
    private boolean invalidBatch(final ClientSessions.Session session, final long correlationId, final String problem,
        final int epoch, final int count)
    {
        if (null == problem)
        {
            return false;
        }
        responses.sendWriteResponse(session, correlationId, -1, Status.INVALID, null, problem, epoch, count);
        return true;
    }

    /**
     * The steps a client batch of either kind shares after its own checks: a retry answered as its original,
     * a full wait list or ring answered BUSY. Returns the highest of {@code slots} claimed ring slots, or -1 once
     * the request has been answered.
     */
    private long claimSlots(final ClientSessions.Session session, final long correlationId, final long clientId,
        final long firstSequence, final int count, final int slots, final AckLevel ackLevel, final long deadlineNs)
    {
        final int epoch = partition.epoch();
        final long original = duplicates.checkBatch(clientId, firstSequence, count);
        if (original >= 0)
        {
            answerDuplicate(session, correlationId, clientId, original, count, ackLevel, deadlineNs);
            return -1;
        }
        if (original != DuplicateCheck.NEW)
        {
            sendDuplicateRefusal(session, correlationId, original, "sequences " + firstSequence + ".." +
                (firstSequence + count - 1) + " of client " + clientId + " are", count);
            return -1;
        }
        if (ackWaits.isFull())
        {
            responses.sendWriteResponse(session, correlationId, -1, Status.BUSY, null, "node " + partition.nodeId() +
                " has " + config.pendingMax() + " writes waiting for acknowledgement; retry later", epoch, count);
            return -1;
        }
        try
        {
            return ring.tryNext(slots);
        }
        catch (final InsufficientCapacityException ex)
        {
            responses.sendWriteResponse(session, correlationId, -1, Status.BUSY, null, "write ring of node " +
                partition.nodeId() + " cannot take " + count + " records now; retry later", epoch, count);
            return -1;
        }
    }

    private void publish(final long lo, final long hi, final long clientId, final long firstSequence, final int count)
    {
        ring.publish(lo, hi);
        dedup.onPublished(clientId, firstSequence, count);
    }

    /** The whole request, from its message header to {@code messageEnd}, in one copy: the journal re-wraps it. */
    private static void fillBatchSlot(final WriteEvent event, final WriteBatchRequestDecoder decoder,
        final int messageEnd, final int count, final int recordsLength, final AckLevel ackLevel, final long deadlineNs)
    {
        final int messageStart = decoder.offset() - MessageHeaderDecoder.ENCODED_LENGTH;
        event.kind = WriteEvent.KIND_WRITE_BATCH;
        event.correlationId = decoder.correlationId();
        event.clientId = decoder.clientId();
        event.idempotent = true;
        event.sequence = decoder.firstSequence();
        event.ackLevel = (byte)ackLevel.value();
        event.deadlineNs = deadlineNs;
        event.batchCount = count;
        event.batchMember = false;
        event.batchRecordsLength = recordsLength;
        event.keyLength = 0;
        final int length = messageEnd - messageStart;
        event.valueLength = length;
        event.payloadFor(length).putBytes(0, decoder.buffer(), messageStart, length);
    }

    /** One slot per record from {@code lo}, the decoder's limit at the records group: only the last answers. */
    private void fillRecordSlots(final long lo, final WriteBatchRequestDecoder decoder, final int count,
        final AckLevel ackLevel, final long deadlineNs)
    {
        final WriteBatchRequestDecoder.RecordsDecoder records = decoder.records();
        final long correlationId = decoder.correlationId();
        final long clientId = decoder.clientId();
        final long firstSequence = decoder.firstSequence();
        for (int i = 0; i < count; i++)
        {
            records.next();
            records.wrapKey(keyView);
            records.wrapValue(valueView);
            fillRecordSlot(ring.get(lo + i), correlationId, clientId, firstSequence + i, ackLevel,
                WriteEvent.logRecordType(records.recordType()).code(), deadlineNs, i, count, keyView, 0,
                keyView.capacity(), valueView, 0, valueView.capacity());
        }
    }

    /** Record {@code index} of a batch of {@code count} in a slot of its own: only the last answers. */
    private static void fillRecordSlot(final WriteEvent event, final long correlationId, final long clientId,
        final long sequence, final AckLevel ackLevel, final byte recordType, final long deadlineNs, final int index,
        final int count, final DirectBuffer key, final int keyOffset, final int keyLength, final DirectBuffer value,
        final int valueOffset, final int valueLength)
    {
        event.kind = WriteEvent.KIND_WRITE;
        event.correlationId = correlationId;
        event.clientId = clientId;
        event.idempotent = true;
        event.sequence = sequence;
        event.ackLevel = (byte)ackLevel.value();
        event.recordType = recordType;
        event.deadlineNs = deadlineNs;
        event.batchCount = index == count - 1 ? count : 0;
        event.batchMember = index != count - 1;
        final ExpandableArrayBuffer payload = event.payloadFor(keyLength + valueLength);
        payload.checkLimit(keyLength + valueLength);
        payload.putBytes(0, key, keyOffset, keyLength);
        payload.putBytes(keyLength, value, valueOffset, valueLength);
        event.keyLength = keyLength;
        event.valueLength = valueLength;
    }

    /** A retry of {@code count} records stored already, the last at {@code lastOffset}: answered as the original. */
    private void answerDuplicate(final ClientSessions.Session session, final long correlationId, final long clientId,
        final long lastOffset, final int count, final AckLevel ackLevel, final long deadlineNs)
    {
        final int offsetEpoch = partition.log().epochHistory().epochForOffset(lastOffset);
        if (lastOffset < ackWaits.reachedBelow(ackLevel))
        {
            final AckLevel reached = ackLevel == AckLevel.QUORUM || ackLevel == AckLevel.ALL ? ackLevel : AckLevel.LEADER;
            responses.sendWriteResponse(session, correlationId, lastOffset - count + 1, Status.OK, reached, null,
                offsetEpoch, count);
        }
        else
        {
            ackWaits.add(ackLevel, correlationId, clientId, lastOffset, offsetEpoch, deadlineNs, count);
        }
    }

    /** Answers a write {@link DuplicateCheck} did not let through: BUSY if a retry will do, else INVALID and why. */
    private void sendDuplicateRefusal(final ClientSessions.Session session, final long correlationId,
        final long verdict, final String what, final int count)
    {
        final int epoch = partition.epoch();
        if (verdict == DuplicateCheck.IN_FLIGHT)
        {
            responses.sendWriteResponse(session, correlationId, -1, Status.BUSY, null, what +
                " still being written; retry", epoch, count);
        }
        else if (verdict == DuplicateCheck.DEFERRED)
        {
            responses.sendWriteResponse(session, correlationId, -1, Status.BUSY, null, what + " a retry whose original " +
                "the leader must search its log for, and it has searched enough for now; retry", epoch, count);
        }
        else
        {
            responses.sendWriteResponse(session, correlationId, -1, Status.INVALID, null, duplicates.refusal(), epoch,
                count);
        }
    }

    /** The ack level a write asked for, or the node's default when it named none. */
    private AckLevel ackLevel(final AckLevel requested)
    {
        if (requested != AckLevel.NULL_VAL)
        {
            return requested;
        }
        return switch (config.defaultAckLevel())
        {
            case "leader" -> AckLevel.LEADER;
            case "all" -> AckLevel.ALL;
            default -> AckLevel.QUORUM;
        };
    }
}
