package io.logship.node.admin;

import io.logship.LogshipException;
import io.logship.log.OffsetOutOfRangeException;
import io.logship.node.ReplicatedLog;
import io.logship.node.egress.SendBuffer;
import io.logship.node.ingress.ClientSessions;
import io.logship.node.read.LogReadBuffer;
import io.logship.transport.codec.ChecksumResponseEncoder;
import io.logship.transport.codec.Status;

import java.util.ArrayDeque;

/**
 * Answers {@code logship checksum} and {@code verify}: a CRC32C over the whole committed batches in an offset
 * range, so the logs of two nodes can be compared. Conductor thread only.
 *
 * <p>A request covers up to the whole committed log (hundreds of MiB), so it is worked off one slice per duty cycle
 * ({@link #onDutyCycle()}, bounded in bytes and time by {@link RangeChecksum}), never in one go: a one-shot checksum of
 * a large log held the duty thread for tens of milliseconds, long enough to delay heartbeats
 * (docs/DESIGN.md#node-threads). Requests are answered one after another, in arrival order; the range's end is
 * fixed when the request arrives (the commit offset then), so a checksum never covers a moving target.
 */
public final class ChecksumPublisher
{
    /** Requests queued beyond this are refused at once (each `verify` sends one per node). */
    private static final int MAX_QUEUED = 64;

    private final ReplicatedLog partition;
    private final SendBuffer sendBuffer;
    private final RangeChecksum range;
    private final ChecksumResponseEncoder checksumResponseEncoder = new ChecksumResponseEncoder();
    private final ArrayDeque<Request> queued = new ArrayDeque<>();

    /** The request being worked off, or null. */
    private Request current;

    /** A checksum request waiting for its turn (allocated per admin request, off the write path). */
    private record Request(ClientSessions.Session session, long correlationId, long fromOffset, long limit)
    {
    }

    public ChecksumPublisher(final ReplicatedLog partition, final SendBuffer sendBuffer, final LogReadBuffer staging)
    {
        this.partition = partition;
        this.sendBuffer = sendBuffer;
        this.range = new RangeChecksum(partition.log(), staging, partition.clock());
    }

    /** Queues a request for [fromOffset, min(toOffset, commit offset now)); the answer follows from the duty cycle. */
    public void sendChecksum(final ClientSessions.Session session, final long correlationId, final long fromOffset,
        final long toOffset)
    {
        if (queued.size() >= MAX_QUEUED)
        {
            reply(session, correlationId, Status.ERROR, fromOffset, fromOffset, 0, 0, 0,
                "node " + partition.nodeId() + " has " + MAX_QUEUED + " checksum requests queued; retry in a moment");
            return;
        }
        queued.add(new Request(session, correlationId, fromOffset, Math.min(toOffset, partition.commitOffset())));
    }

    /** Works off one slice of the current request; returns the work count for the duty cycle's idle strategy. */
    public int onDutyCycle()
    {
        if (null == current)
        {
            current = queued.poll();
            if (null == current)
            {
                return 0;
            }
            range.start(current.fromOffset, current.limit);
        }
        try
        {
            if (range.slice())
            {
                return 1;
            }
            finish(Status.OK, "");
        }
        catch (final LogshipException ex)
        {
            // Between slices the range can leave the log (a follower installs a snapshot): the answer says so.
            finish(ex instanceof OffsetOutOfRangeException ? Status.OFFSET_OUT_OF_RANGE : Status.ERROR, ex.getMessage());
        }
        return 1;
    }

    private void finish(final Status status, final String message)
    {
        final Request done = current;
        current = null;
        reply(done.session, done.correlationId, status, range.coveredFrom(), range.coveredTo(), range.batchCount(),
            range.byteCount(), range.crc(), message);
    }

    private void reply(final ClientSessions.Session session, final long correlationId, final Status status,
        final long from, final long to, final long batches, final long bytes, final long crc, final String message)
    {
        checksumResponseEncoder.wrapAndApplyHeader(sendBuffer.buffer(), 0, sendBuffer.header())
            .correlationId(correlationId).nodeId(partition.nodeId()).status(status).fromOffset(from)
            .toOffset(to).batchCount(batches).byteCount(bytes).crc32c(crc).message(message);
        session.publisher.offer(checksumResponseEncoder);
    }
}
