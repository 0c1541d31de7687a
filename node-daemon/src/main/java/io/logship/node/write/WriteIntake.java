package io.logship.node.write;

import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import io.logship.format.BatchDescriptor;
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
import io.logship.transport.codec.WriteRequestDecoder;
import org.agrona.ExpandableArrayBuffer;

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
        final ClientSessions.Session session = sessions.get(clientId, nowNs);
        if (null == session)
        {
            partition.counters().onWriteWithoutSession();
            return; // the client reconnects when its request times out
        }
        final WriteValidator.Refusal refusal = validator.notTaking(nowNs);
        if (null != refusal)
        {
            responses.sendWriteResponse(session, correlationId, -1, refusal.status(), null, refusal.message());
            return;
        }
        final AckLevel ackLevel = decoder.ackLevel() == AckLevel.NULL_VAL ? defaultAckLevel() : decoder.ackLevel();
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
        event.payload.putBytes(0, scratch, 0, keyLength);
        event.payload.checkLimit(keyLength + valueLength);
        decoder.getValue(event.payload, keyLength, valueLength);
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
        final ClientSessions.Session session = sessions.get(clientId, nowNs);
        if (null == session)
        {
            partition.counters().onWriteWithoutSession();
            return;
        }
        final int epoch = partition.epoch();
        final AckLevel ackLevel = decoder.ackLevel() == AckLevel.NULL_VAL ? defaultAckLevel() : decoder.ackLevel();
        final long timeoutNs = timeouts.timeoutNs(decoder.timeoutMs());
        final int limit = decoder.limit();
        final WriteBatchRequestDecoder.RecordsDecoder records = decoder.records();
        final int count = records.count();
        final WriteValidator.Refusal refusal = validator.notTaking(nowNs);
        if (null != refusal)
        {
            responses.sendWriteResponse(session, correlationId, -1, refusal.status(), null, refusal.message(), epoch,
                count);
            return;
        }
        final String problem = validator.batchProblem(records, firstSequence);
        if (null != problem)
        {
            responses.sendWriteResponse(session, correlationId, -1, Status.INVALID, null, problem, epoch, count);
            return;
        }
        // The validator read every record through: the decoder's limit is the message's end.
        final int messageEnd = decoder.limit();
        final long original = duplicates.checkBatch(clientId, firstSequence, count);
        if (original >= 0)
        {
            answerDuplicate(session, correlationId, clientId, original, count, ackLevel, nowNs + timeoutNs);
            return;
        }
        if (original != DuplicateCheck.NEW)
        {
            sendDuplicateRefusal(session, correlationId, original, "sequences " + firstSequence + ".." +
                (firstSequence + count - 1) + " of client " + clientId + " are", count);
            return;
        }
        if (ackWaits.isFull())
        {
            responses.sendWriteResponse(session, correlationId, -1, Status.BUSY, null, "node " + partition.nodeId() +
                " has " + config.pendingMax() + " writes waiting for acknowledgement; retry later", epoch, count);
            return;
        }
        final long recordsLength = validator.batchRecordsLength();
        final boolean oneSlot = BatchDescriptor.HEADER_LENGTH + recordsLength <= config.batchMaxBytes();
        final long hi;
        try
        {
            hi = ring.tryNext(oneSlot ? 1 : count);
        }
        catch (final InsufficientCapacityException ex)
        {
            responses.sendWriteResponse(session, correlationId, -1, Status.BUSY, null, "write ring of node " +
                partition.nodeId() + " cannot take " + count + " records now; retry later", epoch, count);
            return;
        }
        final long deadlineNs = nowNs + timeoutNs;
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
        ring.publish(lo, hi);
        for (int i = 0; i < count; i++)
        {
            dedup.onPublished(clientId, firstSequence + i);
        }
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
        event.valueLength = messageEnd - messageStart;
        event.payload.putBytes(0, decoder.buffer(), messageStart, messageEnd - messageStart);
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
            final WriteEvent event = ring.get(lo + i);
            event.kind = WriteEvent.KIND_WRITE;
            event.correlationId = correlationId;
            event.clientId = clientId;
            event.idempotent = true;
            event.sequence = firstSequence + i;
            event.ackLevel = (byte)ackLevel.value();
            event.recordType = WriteEvent.logRecordType(records.recordType()).code();
            event.deadlineNs = deadlineNs;
            event.batchCount = i == count - 1 ? count : 0;
            event.batchMember = i != count - 1;
            final int keyLength = records.keyLength();
            event.payload.checkLimit(keyLength);
            records.getKey(event.payload, 0, keyLength);
            final int valueLength = records.valueLength();
            event.payload.checkLimit(keyLength + valueLength);
            records.getValue(event.payload, keyLength, valueLength);
            event.keyLength = keyLength;
            event.valueLength = valueLength;
        }
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

    private AckLevel defaultAckLevel()
    {
        return switch (config.defaultAckLevel())
        {
            case "leader" -> AckLevel.LEADER;
            case "all" -> AckLevel.ALL;
            default -> AckLevel.QUORUM;
        };
    }
}
