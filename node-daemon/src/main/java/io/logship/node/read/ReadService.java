package io.logship.node.read;

import io.logship.kv.KeyValueStore;
import io.logship.log.OffsetOutOfRangeException;
import io.logship.log.SegmentedLog;
import io.logship.node.ReplicatedLog;
import io.logship.node.Role;
import io.logship.node.egress.SendBuffer;
import io.logship.node.ingress.ClientSessions;
import io.logship.node.ingress.RequestTimeouts;
import io.logship.transport.codec.Consistency;
import io.logship.transport.codec.ReadRequestDecoder;
import io.logship.transport.codec.ReadResponseEncoder;
import io.logship.transport.codec.Status;
import io.logship.transport.codec.TailRequestDecoder;
import io.logship.transport.codec.TailResponseEncoder;

import java.util.ArrayList;
import java.util.List;

/**
 * Key reads from the store and committed-log tails, on either role. A read that needs a higher applied
 * offset than the store has yet (LEADER or MIN_OFFSET consistency) waits here until the apply thread gets
 * there or its deadline passes. A LEADER read is answered only by a leader holding its lease: without it a
 * newer leader may already have committed writes this one has not seen. Conductor thread only.
 */
public final class ReadService
{
    private static final int MAX_READ_WAITS = 4096;
    private static final int TAIL_MAX_BYTES = 512 * 1024;

    private record ReadWait(long correlationId, long clientId, long minOffset, long deadlineNs, byte[] key)
    {
    }

    private final ReplicatedLog partition;
    private final SegmentedLog log;
    private final KeyValueStore store;
    private final ClientSessions sessions;
    private final SendBuffer sendBuffer;
    private final LogReadBuffer staging;
    private final RequestTimeouts timeouts;
    private final List<ReadWait> readWaits = new ArrayList<>();
    private final ReadResponseEncoder readResponseEncoder = new ReadResponseEncoder();
    private final TailResponseEncoder tailResponseEncoder = new TailResponseEncoder();

    public ReadService(final ReplicatedLog partition, final ClientSessions sessions, final SendBuffer sendBuffer,
        final LogReadBuffer staging, final RequestTimeouts timeouts)
    {
        this.partition = partition;
        this.log = partition.log();
        this.store = partition.store();
        this.sessions = sessions;
        this.sendBuffer = sendBuffer;
        this.staging = staging;
        this.timeouts = timeouts;
    }

    public void onReadRequest(final ReadRequestDecoder decoder, final long nowNs)
    {
        final long correlationId = decoder.correlationId();
        final long clientId = decoder.clientId();
        final ClientSessions.Session session = sessions.get(clientId, nowNs);
        if (null == session)
        {
            return;
        }
        final Consistency consistency = decoder.consistency();
        final long timeoutNs = timeouts.timeoutNs(decoder.timeoutMs());
        final long requested = decoder.minOffset();
        final byte[] key = new byte[decoder.keyLength()];
        decoder.getKey(key, 0, key.length);
        final long minOffset;
        switch (consistency)
        {
            case LEADER ->
            {
                if (partition.role() != Role.LEADER)
                {
                    sendReadResponse(session, correlationId, Status.NOT_LEADER, null);
                    return;
                }
                if (!partition.election().canAcknowledge(ReplicatedLog.nowMs(nowNs)))
                {
                    // Without its lease a newer leader may already have committed writes this one has not seen.
                    sendReadResponse(session, correlationId, Status.UNAVAILABLE, null);
                    return;
                }
                minOffset = partition.commitOffset(); // applied up to the commit seen now: linearizable with the leader
            }
            case MIN_OFFSET -> minOffset = requested + 1; // the applied offset is exclusive: N applied once it passed N
            default -> minOffset = 0;
        }
        if (store.appliedOffset() >= minOffset)
        {
            sendReadResponse(session, correlationId, null, key);
        }
        else if (readWaits.size() >= MAX_READ_WAITS)
        {
            sendReadResponse(session, correlationId, Status.BUSY, null);
        }
        else
        {
            readWaits.add(new ReadWait(correlationId, clientId, minOffset, nowNs + timeoutNs, key));
        }
    }

    /** Answers the waiting reads the store has caught up with, and those past their deadline. */
    public int serviceReadWaits(final long nowNs)
    {
        if (readWaits.isEmpty())
        {
            return 0;
        }
        int work = 0;
        final long applied = store.appliedOffset();
        for (int i = readWaits.size() - 1; i >= 0; i--)
        {
            final ReadWait wait = readWaits.get(i);
            final boolean ready = applied >= wait.minOffset();
            if (ready || nowNs - wait.deadlineNs() >= 0)
            {
                readWaits.remove(i);
                final ClientSessions.Session session = sessions.get(wait.clientId(), nowNs);
                if (null != session)
                {
                    sendReadResponse(session, wait.correlationId(), ready ? null : Status.TIMEOUT, ready ? wait.key() : null);
                }
                work++;
            }
        }
        return work;
    }

    /** @param status null to read {@code key} now and answer OK or NOT_FOUND. */
    private void sendReadResponse(final ClientSessions.Session session, final long correlationId, final Status status,
        final byte[] key)
    {
        final long applied = store.appliedOffset();
        byte[] value = null;
        long valueOffset = -1;
        Status outcome = status;
        if (null == status)
        {
            final KeyValueStore.Value stored = store.getValue(key);
            if (null != stored)
            {
                value = stored.bytes();
                valueOffset = stored.offset();
            }
            outcome = null == value ? Status.NOT_FOUND : Status.OK;
        }
        readResponseEncoder.wrapAndApplyHeader(sendBuffer.buffer(), 0, sendBuffer.header())
            .correlationId(correlationId).appliedOffset(applied).valueOffset(valueOffset).leaderId(partition.leaderId())
            .status(outcome);
        if (null != value)
        {
            readResponseEncoder.putValue(value, 0, value.length);
        }
        else
        {
            readResponseEncoder.putValue(sendBuffer.buffer(), 0, 0);
        }
        session.publisher.offer(readResponseEncoder);
    }

    /** Committed batches from {@code fromOffset}: whole batches only, none at or past the commit offset. */
    public void onTailRequest(final TailRequestDecoder decoder, final long nowNs)
    {
        final ClientSessions.Session session = sessions.get(decoder.clientId(), nowNs);
        if (null == session)
        {
            return;
        }
        final long from = decoder.fromOffset();
        final long limit = partition.commitOffset();
        final int maxBytes = Math.max(1, Math.min(decoder.maxBytes() <= 0 ? TAIL_MAX_BYTES : decoder.maxBytes(),
            TAIL_MAX_BYTES));
        Status status = Status.OK;
        int length = 0;
        long next = from;
        if (from < log.logStartOffset())
        {
            status = Status.OFFSET_OUT_OF_RANGE;
        }
        else if (from < limit)
        {
            try
            {
                final BatchIterator batches = staging.batches(staging.read(log, from, maxBytes));
                while (batches.next() && batches.nextOffset() <= limit)
                {
                    next = batches.nextOffset();
                    length = batches.endPosition();
                }
            }
            catch (final OffsetOutOfRangeException ex)
            {
                status = Status.OFFSET_OUT_OF_RANGE;
            }
        }
        tailResponseEncoder.wrapAndApplyHeader(sendBuffer.buffer(), 0, sendBuffer.header())
            .correlationId(decoder.correlationId()).nextOffset(next).logStartOffset(log.logStartOffset())
            .commitOffset(limit).status(status).putBatches(staging.buffer(), 0, length);
        session.publisher.offer(tailResponseEncoder);
    }
}
