package io.logship.log;

import io.logship.format.BatchDescriptor;
import io.logship.format.RecordCursor;

import io.logship.LogshipException;
import io.logship.log.Quarantine.Header;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static io.logship.log.Quarantine.BATCH_BYTES_OFFSET;
import static io.logship.log.Quarantine.BYTE_ORDER;
import static io.logship.log.Quarantine.CREATED_AT_OFFSET;
import static io.logship.log.Quarantine.END_OFFSET_OFFSET;
import static io.logship.log.Quarantine.FIXED_HEADER_LENGTH;
import static io.logship.log.Quarantine.FLAGS_OFFSET;
import static io.logship.log.Quarantine.FLAG_REQUESTED_INSIDE_BATCH;
import static io.logship.log.Quarantine.FORMAT_VERSION;
import static io.logship.log.Quarantine.FROM_OFFSET_OFFSET;
import static io.logship.log.Quarantine.HEADER_LENGTH_OFFSET;
import static io.logship.log.Quarantine.MAGIC;
import static io.logship.log.Quarantine.MAGIC_OFFSET;
import static io.logship.log.Quarantine.MAX_REASON_BYTES;
import static io.logship.log.Quarantine.NEW_LEADER_EPOCH_OFFSET;
import static io.logship.log.Quarantine.NEW_LEADER_ID_OFFSET;
import static io.logship.log.Quarantine.NODE_ID_OFFSET;
import static io.logship.log.Quarantine.REASON_LENGTH_OFFSET;
import static io.logship.log.Quarantine.REASON_OFFSET;
import static io.logship.log.Quarantine.REQUESTED_OFFSET_OFFSET;
import static io.logship.log.Quarantine.VERSION_OFFSET;

/**
 * Reads and checks one quarantine file (layout in {@link Quarantine}): the header and its CRC32C on
 * construction, then one batch at a time, each checked (length, CRC32C, dense offsets within the
 * header's range) before any of its records is returned, and finally that the file ends exactly
 * where the header says. Every failure is a {@link CorruptLogException} naming the file and the byte
 * position of the damaged header or batch.
 *
 * <p>Not thread-safe: one reader belongs to one thread.
 */
final class QuarantineReader implements Quarantine.Reader
{
    private final Path file;
    private final FileChannel channel;
    private final long fileSize;
    private final Header header;
    private final long batchesEnd;
    private final RecordCursor cursor = new RecordCursor();
    private final UnsafeBuffer view;
    private ByteBuffer batch = ByteBuffer.allocate(64 * 1024);
    private long position;
    private long batchPosition;
    private long expectedOffset;
    private boolean inBatch;
    private boolean finished;
    private int batchEpoch;
    private long batchTimestampMs;

    QuarantineReader(final Path file, final FileChannel channel)
    {
        this.file = file;
        this.channel = channel;
        this.view = new UnsafeBuffer(batch.array());
        try
        {
            this.fileSize = channel.size();
        }
        catch (final IOException ex)
        {
            throw new LogshipException("cannot read quarantine file " + file + ": " + ex,
                LogshipException.Category.ERROR, ex);
        }
        this.header = readHeader();
        this.batchesEnd = header.headerLength() + header.batchBytes();
        this.position = header.headerLength();
        this.expectedOffset = header.fromOffset();
    }

    @Override
    public Path file()
    {
        return file;
    }

    @Override
    public Header header()
    {
        return header;
    }

    @Override
    public Quarantine.Record next()
    {
        while (true)
        {
            if (inBatch)
            {
                final boolean more;
                try
                {
                    more = cursor.next();
                }
                catch (final LogshipException ex)
                {
                    // A batch whose CRC passed but whose records do not add up: a writer bug, still named.
                    throw corrupt(batchPosition, ex.getMessage());
                }
                if (more)
                {
                    return new Quarantine.Record(cursor.offset(), batchEpoch, batchTimestampMs, cursor.type(),
                        cursor.keyBytes(), cursor.valueBytes(), cursor.idempotent(), cursor.clientId(),
                        cursor.sequence());
                }
                inBatch = false;
            }
            if (finished || !loadBatch())
            {
                finished = true;
                return null;
            }
        }
    }

    @Override
    public void close()
    {
        try
        {
            channel.close();
        }
        catch (final IOException ex)
        {
            throw new LogshipException("cannot close quarantine file " + file + ": " + ex,
                LogshipException.Category.WARN, ex);
        }
    }

    private Header readHeader()
    {
        if (fileSize < FIXED_HEADER_LENGTH)
        {
            throw corrupt(0, "the file is " + fileSize + " bytes, shorter than the smallest header (" +
                FIXED_HEADER_LENGTH + " bytes): truncated, or not a quarantine file");
        }
        final ByteBuffer fixed = ByteBuffer.allocate(REASON_OFFSET).order(BYTE_ORDER);
        readFully(fixed, 0);
        final int magic = fixed.getInt(MAGIC_OFFSET);
        if (magic != MAGIC)
        {
            throw corrupt(MAGIC_OFFSET, String.format("magic 0x%08x, expected 0x%08x (\"LSQF\"): not a " +
                "quarantine file, or its header is damaged", magic, MAGIC));
        }
        final int version = fixed.getShort(VERSION_OFFSET);
        if (version != FORMAT_VERSION)
        {
            throw corrupt(VERSION_OFFSET, "format version " + version + "; this build reads version " +
                FORMAT_VERSION);
        }
        final int reasonLength = fixed.getInt(REASON_LENGTH_OFFSET);
        if (reasonLength < 0 || reasonLength > MAX_REASON_BYTES)
        {
            throw corrupt(REASON_LENGTH_OFFSET, "reason length " + reasonLength + " outside [0, " +
                MAX_REASON_BYTES + "]");
        }
        final int headerLength = fixed.getInt(HEADER_LENGTH_OFFSET);
        if (headerLength != FIXED_HEADER_LENGTH + reasonLength)
        {
            throw corrupt(HEADER_LENGTH_OFFSET, "header length " + headerLength + ", but a reason of " +
                reasonLength + " bytes makes it " + (FIXED_HEADER_LENGTH + reasonLength));
        }
        if (fileSize < headerLength)
        {
            throw corrupt(0, "the file is " + fileSize + " bytes, shorter than its " + headerLength +
                "-byte header: truncated");
        }
        final ByteBuffer whole = ByteBuffer.allocate(headerLength).order(BYTE_ORDER);
        readFully(whole, 0);
        final int crcAt = headerLength - Integer.BYTES;
        final int stored = whole.getInt(crcAt);
        final int computed = Quarantine.headerCrc(whole.array(), crcAt);
        if (stored != computed)
        {
            throw corrupt(0, "header (bytes [0, " + headerLength + ")) fails its CRC32C: stored 0x" +
                Integer.toHexString(stored) + " at byte " + crcAt + ", computed 0x" +
                Integer.toHexString(computed));
        }
        final Header read = new Header(version, whole.getInt(NODE_ID_OFFSET), whole.getInt(NEW_LEADER_ID_OFFSET),
            whole.getInt(NEW_LEADER_EPOCH_OFFSET), whole.getLong(REQUESTED_OFFSET_OFFSET),
            whole.getLong(FROM_OFFSET_OFFSET), whole.getLong(END_OFFSET_OFFSET), whole.getLong(BATCH_BYTES_OFFSET),
            whole.getLong(CREATED_AT_OFFSET),
            new String(whole.array(), REASON_OFFSET, reasonLength, StandardCharsets.UTF_8), headerLength);
        // The CRC passed, so these can only be wrong if the writer was: still refuse to guess.
        final boolean flagged = (whole.getShort(FLAGS_OFFSET) & FLAG_REQUESTED_INSIDE_BATCH) != 0;
        if (read.fromOffset() < 0 || read.requestedOffset() < read.fromOffset() ||
            read.requestedOffset() >= read.endOffset() || flagged != read.requestedInsideBatch() ||
            read.batchBytes() < BatchDescriptor.HEADER_LENGTH || read.batchBytes() > Long.MAX_VALUE - headerLength)
        {
            throw corrupt(0, "inconsistent header: requested offset " + read.requestedOffset() + ", from offset " +
                read.fromOffset() + ", end offset " + read.endOffset() + ", inside-batch flag " + flagged +
                ", batch bytes " + read.batchBytes());
        }
        return read;
    }

    /** Loads and checks the next batch; false at the end of the file, once checked to be the end. */
    private boolean loadBatch()
    {
        if (position == batchesEnd)
        {
            if (expectedOffset != header.endOffset())
            {
                throw corrupt(position, "the batches end at offset " + expectedOffset + " but the header's end " +
                    "offset is " + header.endOffset());
            }
            if (fileSize > batchesEnd)
            {
                throw corrupt(batchesEnd, (fileSize - batchesEnd) + " bytes after the last batch, where the " +
                    "header says the file ends");
            }
            return false;
        }
        final long available = Math.min(fileSize, batchesEnd) - position;
        if (available < BatchDescriptor.HEADER_LENGTH)
        {
            throw corrupt(position, fileSize < batchesEnd ? truncated() :
                "only " + available + " bytes left for a batch, less than a batch header");
        }
        readBatch(BatchDescriptor.HEADER_LENGTH);
        final int length = BatchDescriptor.length(view, 0);
        if (length < BatchDescriptor.HEADER_LENGTH || length > BatchDescriptor.MAX_BATCH_LENGTH)
        {
            throw corrupt(position, "batch length " + length + " outside [" + BatchDescriptor.HEADER_LENGTH + ", " +
                BatchDescriptor.MAX_BATCH_LENGTH + "]");
        }
        if (length > available)
        {
            throw corrupt(position, position + length > fileSize && fileSize < batchesEnd ? truncated() :
                "batch length " + length + " runs past the end of the batches at byte " + batchesEnd);
        }
        readBatch(length);
        final String problem = BatchDescriptor.validate(view, 0, length);
        if (null != problem)
        {
            throw corrupt(position, "batch: " + problem);
        }
        final long base = BatchDescriptor.baseOffset(view, 0);
        if (base != expectedOffset)
        {
            throw corrupt(position, "batch base offset " + base + ", expected " + expectedOffset +
                " (offsets run densely from " + header.fromOffset() + ")");
        }
        final long nextOffset = BatchDescriptor.nextOffset(view, 0);
        if (nextOffset > header.endOffset())
        {
            throw corrupt(position, "batch ends at offset " + nextOffset + ", past the header's end offset " +
                header.endOffset());
        }
        batchPosition = position;
        position += length;
        expectedOffset = nextOffset;
        batchEpoch = BatchDescriptor.epoch(view, 0);
        batchTimestampMs = BatchDescriptor.firstTimestamp(view, 0);
        cursor.wrap(view, 0);
        inBatch = true;
        return true;
    }

    private String truncated()
    {
        return "the file ends at byte " + fileSize + " but its header says the batches run to byte " +
            batchesEnd + ": the file is truncated";
    }

    /** Reads {@code length} bytes of the batch at {@link #position} into {@link #batch} and views them. */
    private void readBatch(final int length)
    {
        if (batch.capacity() < length)
        {
            batch = ByteBuffer.allocate(
                Math.max(length, Math.min(2 * batch.capacity(), BatchDescriptor.MAX_BATCH_LENGTH)));
        }
        batch.clear().limit(length);
        readFully(batch, position);
        view.wrap(batch.array(), 0, length);
    }

    private void readFully(final ByteBuffer buffer, final long from)
    {
        long at = from;
        try
        {
            while (buffer.hasRemaining())
            {
                final int read = channel.read(buffer, at);
                if (read < 0)
                {
                    throw corrupt(at, "unexpected end of file (the file shrank while being read?)");
                }
                at += read;
            }
        }
        catch (final IOException ex)
        {
            throw new LogshipException("cannot read quarantine file " + file + " at byte position " + at + ": " +
                ex, LogshipException.Category.ERROR, ex);
        }
    }

    private CorruptLogException corrupt(final long at, final String detail)
    {
        return new CorruptLogException(file, at, detail);
    }
}
