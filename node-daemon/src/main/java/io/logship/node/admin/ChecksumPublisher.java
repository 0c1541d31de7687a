package io.logship.node.admin;

import io.logship.LogshipException;
import io.logship.log.OffsetOutOfRangeException;
import io.logship.log.SegmentedLog;
import io.logship.node.ReplicatedLog;
import io.logship.node.egress.SendBuffer;
import io.logship.node.ingress.ClientSessions;
import io.logship.node.read.BatchIterator;
import io.logship.node.read.LogReadBuffer;
import io.logship.transport.codec.ChecksumResponseEncoder;
import io.logship.transport.codec.Status;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Answers {@code logship checksum}: a CRC32C over the whole committed batches in an offset range, so the logs
 * of two nodes can be compared. Runs on the conductor thread (reads in the shared staging buffer).
 */
public final class ChecksumPublisher
{
    private static final int READ_BYTES = 1024 * 1024;

    private final ReplicatedLog partition;
    private final SegmentedLog log;
    private final SendBuffer sendBuffer;
    private final LogReadBuffer staging;
    private final CRC32C checksum = new CRC32C();
    private final ChecksumResponseEncoder checksumResponseEncoder = new ChecksumResponseEncoder();

    public ChecksumPublisher(final ReplicatedLog partition, final SendBuffer sendBuffer, final LogReadBuffer staging)
    {
        this.partition = partition;
        this.log = partition.log();
        this.sendBuffer = sendBuffer;
        this.staging = staging;
    }

    public void sendChecksum(final ClientSessions.Session session, final long correlationId, final long fromOffset,
        final long toOffset)
    {
        Status status = Status.OK;
        String message = "";
        long batchCount = 0;
        long byteCount = 0;
        long coveredFrom = fromOffset;
        long coveredTo = fromOffset;
        checksum.reset();
        final long limit = Math.min(toOffset, partition.commitOffset());
        try
        {
            long offset = fromOffset;
            boolean first = true;
            while (offset < limit)
            {
                final int read = staging.read(log, offset, READ_BYTES);
                if (read == 0)
                {
                    break;
                }
                final BatchIterator batches = staging.batches(read);
                int consumed = 0;
                while (batches.next() && batches.nextOffset() <= limit)
                {
                    if (first)
                    {
                        coveredFrom = batches.baseOffset();
                        first = false;
                    }
                    final ByteBuffer view = staging.byteBuffer().duplicate();
                    view.limit(batches.endPosition()).position(batches.position());
                    checksum.update(view);
                    batchCount++;
                    byteCount += batches.length();
                    offset = batches.nextOffset();
                    coveredTo = offset;
                    consumed = batches.endPosition();
                }
                if (consumed == 0)
                {
                    break;
                }
            }
        }
        catch (final LogshipException ex)
        {
            status = ex instanceof OffsetOutOfRangeException ? Status.OFFSET_OUT_OF_RANGE : Status.ERROR;
            message = ex.getMessage();
        }
        checksumResponseEncoder.wrapAndApplyHeader(sendBuffer.buffer(), 0, sendBuffer.header())
            .correlationId(correlationId).nodeId(partition.nodeId()).status(status).fromOffset(coveredFrom)
            .toOffset(coveredTo).batchCount(batchCount).byteCount(byteCount).crc32c(checksum.getValue()).message(message);
        session.publisher.offer(checksumResponseEncoder);
    }
}
