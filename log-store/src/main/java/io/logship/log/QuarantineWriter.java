package io.logship.log;

import io.logship.format.BatchDescriptor;

import io.logship.log.Quarantine.Header;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

import static io.logship.log.Quarantine.BATCH_BYTES_OFFSET;
import static io.logship.log.Quarantine.BYTE_ORDER;
import static io.logship.log.Quarantine.COPY_CHUNK_BYTES;
import static io.logship.log.Quarantine.CREATED_AT_OFFSET;
import static io.logship.log.Quarantine.END_OFFSET_OFFSET;
import static io.logship.log.Quarantine.FLAGS_OFFSET;
import static io.logship.log.Quarantine.FLAG_REQUESTED_INSIDE_BATCH;
import static io.logship.log.Quarantine.FROM_OFFSET_OFFSET;
import static io.logship.log.Quarantine.HEADER_LENGTH_OFFSET;
import static io.logship.log.Quarantine.MAGIC;
import static io.logship.log.Quarantine.MAGIC_OFFSET;
import static io.logship.log.Quarantine.NEW_LEADER_EPOCH_OFFSET;
import static io.logship.log.Quarantine.NEW_LEADER_ID_OFFSET;
import static io.logship.log.Quarantine.NODE_ID_OFFSET;
import static io.logship.log.Quarantine.REASON_LENGTH_OFFSET;
import static io.logship.log.Quarantine.REASON_OFFSET;
import static io.logship.log.Quarantine.REQUESTED_OFFSET_OFFSET;
import static io.logship.log.Quarantine.VERSION_OFFSET;

/**
 * Writes the bytes of a quarantine file (layout in {@link Quarantine}): the header with its CRC32C,
 * and the batches copied from the log byte for byte, streamed in chunks of about
 * {@value Quarantine#COPY_CHUNK_BYTES} bytes. Where the file goes and how it becomes durable is
 * {@link QuarantineSaver}'s job.
 *
 * <p>Stateless; called by the saving thread only.
 */
final class QuarantineWriter
{
    private QuarantineWriter()
    {
    }

    /** Appends the batches [fromOffset, endOffset) to {@code channel} from {@code position}; returns their bytes. */
    static long copyBatches(
        final SegmentedLog log,
        final long fromOffset,
        final long endOffset,
        final FileChannel channel,
        final long position) throws IOException
    {
        ByteBuffer chunk = ByteBuffer.allocate(COPY_CHUNK_BYTES);
        final UnsafeBuffer view = new UnsafeBuffer(chunk.array());
        long next = fromOffset;
        long written = 0;
        while (next < endOffset)
        {
            // read() refuses a buffer smaller than the first batch; a batch can be up to 16 MiB.
            final int firstLength = log.slice(next, chunk.capacity()).lengthBytes();
            if (firstLength > chunk.capacity())
            {
                chunk = ByteBuffer.allocate(firstLength);
                view.wrap(chunk.array());
            }
            chunk.clear();
            final int read = log.read(next, chunk.capacity(), chunk);
            if (0 == read)
            {
                throw new IOException("the log ended at offset " + next + ", before the end offset " + endOffset +
                    " it had when the save began");
            }
            // The owner thread saves, so nothing is appended meanwhile; stop at endOffset regardless.
            int keep = 0;
            while (keep < read && BatchDescriptor.baseOffset(view, keep) < endOffset)
            {
                next = BatchDescriptor.nextOffset(view, keep);
                keep += BatchDescriptor.length(view, keep);
            }
            chunk.flip().limit(keep);
            writeFully(channel, chunk, position + written);
            written += keep;
        }
        if (next != endOffset)
        {
            throw new IOException("the last batch copied ends at offset " + next + ", not at the log end " + endOffset);
        }
        return written;
    }

    static ByteBuffer encodeHeader(final Header header, final byte[] reason)
    {
        final ByteBuffer buffer = ByteBuffer.allocate(header.headerLength()).order(BYTE_ORDER);
        buffer.putInt(MAGIC_OFFSET, MAGIC)
            .putShort(VERSION_OFFSET, (short)header.formatVersion())
            .putShort(FLAGS_OFFSET, header.requestedInsideBatch() ? FLAG_REQUESTED_INSIDE_BATCH : 0)
            .putInt(HEADER_LENGTH_OFFSET, header.headerLength())
            .putInt(NODE_ID_OFFSET, header.nodeId())
            .putInt(NEW_LEADER_ID_OFFSET, header.newLeaderId())
            .putInt(NEW_LEADER_EPOCH_OFFSET, header.newLeaderEpoch())
            .putLong(REQUESTED_OFFSET_OFFSET, header.requestedOffset())
            .putLong(FROM_OFFSET_OFFSET, header.fromOffset())
            .putLong(END_OFFSET_OFFSET, header.endOffset())
            .putLong(BATCH_BYTES_OFFSET, header.batchBytes())
            .putLong(CREATED_AT_OFFSET, header.createdAtMillis())
            .putInt(REASON_LENGTH_OFFSET, reason.length)
            .put(REASON_OFFSET, reason);
        final int crcAt = header.headerLength() - Integer.BYTES;
        buffer.putInt(crcAt, Quarantine.headerCrc(buffer.array(), crcAt));
        return buffer;
    }

    static void writeFully(final FileChannel channel, final ByteBuffer buffer, final long position)
        throws IOException
    {
        long at = position;
        while (buffer.hasRemaining())
        {
            at += channel.write(buffer, at);
        }
    }
}
