package io.logship.log;

import io.logship.format.BatchDescriptor;
import io.logship.format.RecordDescriptor;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One segment of the log: {@code <20-digit base offset>.log} holding whole batches back to back, and
 * its sparse {@link SegmentIndex}. Positions here are byte positions within this segment's file.
 *
 * <p>It stays one class of about 540 lines because appending, truncating, the full validation of
 * {@link #recover} and the header walk of {@link #loadSealed} all maintain the same size, next
 * offset, largest timestamp and index; split, they would have to share that state through setters.
 *
 * <p>Threading: one writer (the log's owner) appends, truncates and closes; readers on other threads
 * may look up and read any range below {@link #sizeBytes()}, which is published after the bytes are
 * written. Not safe for concurrent writers.
 */
final class Segment
{
    static final String LOG_SUFFIX = ".log";
    static final String INDEX_SUFFIX = ".index";
    private static final int HEADER_READ_LENGTH = BatchDescriptor.HEADER_LENGTH;

    private final long baseOffset;
    private final Path logFile;
    private final SegmentIndex index;
    private final int indexIntervalBytes;
    private final FileChannel channel;
    // Readers on other threads walk headers too, so each thread gets its own small header buffer.
    private static final ThreadLocal<ByteBuffer> HEADER_BUFFER = ThreadLocal.withInitial(
        () -> ByteBuffer.allocateDirect(HEADER_READ_LENGTH).order(ByteOrder.LITTLE_ENDIAN));

    private volatile long sizeBytes;
    private volatile long nextOffset;
    private long maxTimestampMs = Long.MIN_VALUE;
    private long bytesSinceIndexEntry;

    private Segment(final Path directory, final long baseOffset, final int indexIntervalBytes, final boolean create)
        throws IOException
    {
        this.baseOffset = baseOffset;
        this.logFile = directory.resolve(fileName(baseOffset, LOG_SUFFIX));
        this.index = new SegmentIndex(directory.resolve(fileName(baseOffset, INDEX_SUFFIX)));
        this.indexIntervalBytes = indexIntervalBytes;
        this.channel = create ?
            FileChannel.open(logFile, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE) :
            FileChannel.open(logFile, StandardOpenOption.READ, StandardOpenOption.WRITE);
        if (create)
        {
            DurableFiles.onCreated(logFile);
        }
        this.sizeBytes = channel.size();
        this.nextOffset = baseOffset;
    }

    static Segment create(final Path directory, final long baseOffset, final int indexIntervalBytes) throws IOException
    {
        final Segment segment = new Segment(directory, baseOffset, indexIntervalBytes, true);
        segment.index.delete();
        return segment;
    }

    static Segment open(final Path directory, final long baseOffset, final int indexIntervalBytes) throws IOException
    {
        return new Segment(directory, baseOffset, indexIntervalBytes, false);
    }

    static String fileName(final long baseOffset, final String suffix)
    {
        return String.format("%020d%s", baseOffset, suffix);
    }

    long baseOffset()
    {
        return baseOffset;
    }

    /** Offset after the last batch in this segment. */
    long nextOffset()
    {
        return nextOffset;
    }

    long sizeBytes()
    {
        return sizeBytes;
    }

    long maxTimestampMs()
    {
        return maxTimestampMs;
    }

    Path logFile()
    {
        return logFile;
    }

    Path indexFile()
    {
        return index.file();
    }

    FileChannel channel()
    {
        return channel;
    }

    boolean isEmpty()
    {
        return 0 == sizeBytes;
    }

    /**
     * Writes a whole, already validated batch at the end of the segment. The caller has stamped its
     * base offset, which must equal {@link #nextOffset()}.
     */
    void append(final ByteBuffer batch, final long batchBaseOffset, final int recordCount, final long timestampMs)
        throws IOException
    {
        final long position = sizeBytes;
        final int length = batch.remaining();
        long writePosition = position;
        while (batch.hasRemaining())
        {
            writePosition += channel.write(batch, writePosition);
        }
        onAppended(position, length, batchBaseOffset, recordCount, timestampMs);
    }

    private void onAppended(
        final long position, final int length, final long batchBaseOffset, final int recordCount, final long timestampMs)
    {
        if (0 == position || bytesSinceIndexEntry >= indexIntervalBytes)
        {
            index.add((int)(batchBaseOffset - baseOffset), (int)position);
            bytesSinceIndexEntry = 0;
        }
        bytesSinceIndexEntry += length;
        maxTimestampMs = Math.max(maxTimestampMs, timestampMs);
        nextOffset = batchBaseOffset + recordCount;
        sizeBytes = position + length;
    }

    /** Forces the segment's bytes (and the size needed to read them) to disk. */
    void flush() throws IOException
    {
        DurableFiles.force(channel, logFile, sizeBytes, false);
        index.flush(false);
    }

    /** Seals the segment: data and index forced, so recovery need not rescan it. */
    void seal() throws IOException
    {
        DurableFiles.force(channel, logFile, sizeBytes, true);
        index.flush(true);
    }

    /**
     * Byte position of the batch containing {@code offset}, found through the index and a header walk;
     * -1 if the offset is not in this segment. A stale index entry (it points at a batch other than
     * the one it names) rebuilds the index once and retries.
     */
    long positionOf(final long offset) throws IOException
    {
        final long size = sizeBytes;
        if (offset < baseOffset || offset >= nextOffset)
        {
            return -1;
        }
        for (int attempt = 0; attempt < 2; attempt++)
        {
            final int entry = index.floorEntry((int)(offset - baseOffset));
            long position = entry < 0 ? 0 : index.position(entry);
            final long expectedBase = entry < 0 ? baseOffset : baseOffset + index.relativeOffset(entry);
            boolean stale = false;
            boolean first = true;
            while (position < size)
            {
                final ByteBuffer headerBuffer = readHeader(position);
                final long batchBase = headerBuffer.getLong(BatchDescriptor.BASE_OFFSET_OFFSET);
                final int length = headerBuffer.getInt(BatchDescriptor.LENGTH_OFFSET);
                final int count = headerBuffer.getInt(BatchDescriptor.RECORD_COUNT_OFFSET);
                if ((first && batchBase != expectedBase) || length < BatchDescriptor.HEADER_LENGTH || count <= 0)
                {
                    stale = true;
                    break;
                }
                first = false;
                if (offset < batchBase + count)
                {
                    if (offset < batchBase)
                    {
                        stale = true;
                        break;
                    }
                    return position;
                }
                position += length;
            }
            if (!stale)
            {
                throw new CorruptLogException(logFile, position, "no batch holds offset " + offset +
                    " although the segment ends at offset " + nextOffset);
            }
            rebuildIndex(size);
        }
        throw new CorruptLogException(logFile, 0, "batch headers do not lead to offset " + offset);
    }

    private ByteBuffer readHeader(final long position) throws IOException
    {
        final ByteBuffer headerBuffer = HEADER_BUFFER.get();
        headerBuffer.clear();
        while (headerBuffer.hasRemaining())
        {
            if (channel.read(headerBuffer, position + headerBuffer.position()) < 0)
            {
                throw new CorruptLogException(logFile, position, "batch header runs past the end of the file");
            }
        }
        return headerBuffer;
    }

    /**
     * Bytes {@code [position, end)} of whole batches from {@code position}, at most {@code maxBytes}
     * but always at least one batch (so a batch larger than {@code maxBytes} is never stuck), and not
     * past {@code limitBytes}. Returns the end position; {@code nextOffsetOut[0]} gets the offset after
     * the last batch included.
     */
    long endOfWholeBatches(final long position, final int maxBytes, final long limitBytes, final long[] nextOffsetOut)
        throws IOException
    {
        long end = position;
        while (end < limitBytes)
        {
            final ByteBuffer headerBuffer = readHeader(end);
            final int length = headerBuffer.getInt(BatchDescriptor.LENGTH_OFFSET);
            if (length < BatchDescriptor.HEADER_LENGTH || end + length > limitBytes)
            {
                throw new CorruptLogException(logFile, end, "batch length " + length + " runs past the segment end " +
                    limitBytes);
            }
            if (end > position && end + length - position > maxBytes)
            {
                break;
            }
            end += length;
            nextOffsetOut[0] = headerBuffer.getLong(BatchDescriptor.BASE_OFFSET_OFFSET) +
                headerBuffer.getInt(BatchDescriptor.RECORD_COUNT_OFFSET);
        }
        return end;
    }

    int read(final long position, final ByteBuffer dst) throws IOException
    {
        int total = 0;
        while (dst.hasRemaining())
        {
            final int read = channel.read(dst, position + total);
            if (read < 0)
            {
                throw new CorruptLogException(logFile, position + total, "unexpected end of file");
            }
            total += read;
        }
        return total;
    }

    long transferTo(final long position, final long length, final WritableByteChannel target) throws IOException
    {
        long sent = 0;
        while (sent < length)
        {
            final long n = channel.transferTo(position + sent, length - sent, target);
            if (n <= 0)
            {
                break;
            }
            sent += n;
        }
        return sent;
    }

    /** Removes every batch at or after {@code position}; durable before it returns. */
    void truncateToPosition(final long position, final long newNextOffset) throws IOException
    {
        channel.truncate(position);
        DurableFiles.force(channel, logFile, position, true);
        index.truncateToPosition(position);
        sizeBytes = position;
        nextOffset = newNextOffset;
        bytesSinceIndexEntry = indexIntervalBytes; // conservative: the next batch gets an entry
    }

    /** Outcome of {@link #recover}. */
    record Recovery(long validBytes, long nextOffset, long droppedBytes, String reason, long invalidPosition,
        boolean laterValidBatchFound, java.util.List<EpochHistory.Entry> epochStarts)
    {
    }

    /**
     * Validates every batch (length, magic, CRC32C, offset continuity) from the start, rebuilding the
     * index as it goes. It does not truncate: the caller decides whether what follows the last valid
     * batch is a torn tail or corruption in the middle, using {@link Recovery#laterValidBatchFound()}.
     *
     * @param lastEpoch the epoch of the batch before this segment, to collect epoch starts from here on.
     */
    Recovery recover(final int lastEpoch) throws IOException
    {
        final long size = channel.size();
        index.clear();
        bytesSinceIndexEntry = 0;
        maxTimestampMs = Long.MIN_VALUE;
        final java.util.ArrayList<EpochHistory.Entry> epochStarts = new java.util.ArrayList<>();
        if (0 == size)
        {
            sizeBytes = 0;
            nextOffset = baseOffset;
            return new Recovery(0, baseOffset, 0, null, -1, false, epochStarts);
        }

        final MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
        try
        {
            final UnsafeBuffer buffer = new UnsafeBuffer(mapped);
            long position = 0;
            long expectedOffset = baseOffset;
            int epoch = lastEpoch;
            String reason = null;
            while (position < size)
            {
                final int available = (int)Math.min(Integer.MAX_VALUE, size - position);
                reason = BatchDescriptor.validate(buffer, (int)position, available);
                if (null == reason)
                {
                    final long base = BatchDescriptor.baseOffset(buffer, (int)position);
                    if (base != expectedOffset)
                    {
                        reason = "base offset " + base + ", expected " + expectedOffset;
                    }
                    else if (BatchDescriptor.epoch(buffer, (int)position) < epoch)
                    {
                        reason = "epoch " + BatchDescriptor.epoch(buffer, (int)position) + " after epoch " + epoch;
                    }
                }
                if (null != reason)
                {
                    break;
                }
                final int length = BatchDescriptor.length(buffer, (int)position);
                final int count = BatchDescriptor.recordCount(buffer, (int)position);
                final int batchEpoch = BatchDescriptor.epoch(buffer, (int)position);
                if (batchEpoch > epoch)
                {
                    epochStarts.add(new EpochHistory.Entry(batchEpoch, expectedOffset));
                    epoch = batchEpoch;
                }
                onAppended(position, length, expectedOffset, count, BatchDescriptor.firstTimestamp(buffer, (int)position));
                position += length;
                expectedOffset += count;
            }
            sizeBytes = position;
            nextOffset = expectedOffset;
            final boolean laterValid = null != reason && findValidBatchAfter(buffer, position, size, expectedOffset);
            return new Recovery(position, expectedOffset, size - position, reason, null == reason ? -1 : position,
                laterValid, epochStarts);
        }
        finally
        {
            IoUtil.unmap(mapped);
        }
    }

    /**
     * Searches byte by byte after an invalid batch for a batch that validates and whose base offset
     * could follow {@code expectedOffset}. Finding one means the damage is in the middle of the data,
     * not a torn tail. Every record takes at least {@link RecordDescriptor#MIN_RECORD_LENGTH} bytes,
     * which bounds the plausible base offsets; CRC32C makes a chance match negligible.
     */
    private static boolean findValidBatchAfter(
        final UnsafeBuffer buffer, final long invalidPosition, final long size, final long expectedOffset)
    {
        final long maxPlausibleOffset = expectedOffset + (size - invalidPosition) / RecordDescriptor.MIN_RECORD_LENGTH;
        for (long q = invalidPosition + 1; q + BatchDescriptor.HEADER_LENGTH <= size; q++)
        {
            final long base = BatchDescriptor.baseOffset(buffer, (int)q);
            if (base < expectedOffset || base > maxPlausibleOffset)
            {
                continue;
            }
            if (null == BatchDescriptor.validate(buffer, (int)q, (int)Math.min(Integer.MAX_VALUE, size - q)))
            {
                return true;
            }
        }
        return false;
    }

    /**
     * For a sealed segment below the recovery point: trusts the index, walks the batch headers after
     * its last entry to find the end, and checks the walk ends exactly at the end of the file. A
     * missing or inconsistent index is rebuilt by walking every header. Batch checksums are not read
     * here (that is a full scan); the copying read path verifies them.
     */
    void loadSealed(final System.Logger logger) throws IOException
    {
        final long size = channel.size();
        final String problem = index.load(size);
        if (null != problem)
        {
            logger.log(System.Logger.Level.WARNING, "Rebuilding index " + index.file() + ": " + problem);
            rebuildIndex(size);
            index.flush(true);
            return;
        }
        final int last = index.count() - 1;
        final long startPosition = last < 0 ? 0 : index.position(last);
        final long startOffset = last < 0 ? baseOffset : baseOffset + index.relativeOffset(last);
        if (!walkHeaders(startPosition, startOffset, size, false))
        {
            logger.log(System.Logger.Level.WARNING, "Rebuilding index " + index.file() +
                ": its last entry does not match the batch headers");
            rebuildIndex(size);
            index.flush(true);
        }
        bytesSinceIndexEntry = indexIntervalBytes;
    }

    private void rebuildIndex(final long size) throws IOException
    {
        index.clear();
        bytesSinceIndexEntry = 0;
        if (!walkHeaders(0, baseOffset, size, true))
        {
            throw new CorruptLogException(logFile, 0, "batch headers are inconsistent; run recovery");
        }
    }

    /** Walks headers from a known batch to the end of the file; false if they do not chain up exactly. */
    private boolean walkHeaders(final long fromPosition, final long fromOffset, final long size, final boolean indexThem)
        throws IOException
    {
        long position = fromPosition;
        long expected = fromOffset;
        while (position < size)
        {
            if (position + HEADER_READ_LENGTH > size)
            {
                throw new CorruptLogException(logFile, position, "partial batch header at the end of a sealed segment");
            }
            final ByteBuffer headerBuffer = readHeader(position);
            final long base = headerBuffer.getLong(BatchDescriptor.BASE_OFFSET_OFFSET);
            final int length = headerBuffer.getInt(BatchDescriptor.LENGTH_OFFSET);
            final int count = headerBuffer.getInt(BatchDescriptor.RECORD_COUNT_OFFSET);
            if (base != expected || length < BatchDescriptor.HEADER_LENGTH || count <= 0 || position + length > size)
            {
                if (indexThem || position != fromPosition)
                {
                    throw new CorruptLogException(logFile, position, "batch header (base offset " + base + ", length " +
                        length + ", count " + count + ") does not follow offset " + expected +
                        " in a sealed segment of " + size + " bytes");
                }
                return false;
            }
            if (indexThem)
            {
                onAppended(position, length, base, count, headerBuffer.getLong(BatchDescriptor.FIRST_TIMESTAMP_OFFSET));
            }
            else
            {
                maxTimestampMs = Math.max(maxTimestampMs, headerBuffer.getLong(BatchDescriptor.FIRST_TIMESTAMP_OFFSET));
            }
            position += length;
            expected += count;
        }
        sizeBytes = size;
        nextOffset = expected;
        return true;
    }

    /**
     * Walks every batch header and appends an entry for each batch whose epoch is above the one
     * before it. Returns the epoch of the last batch (or {@code lastEpoch} if the segment is empty).
     */
    int collectEpochStarts(final int lastEpoch, final java.util.List<EpochHistory.Entry> out) throws IOException
    {
        int epoch = lastEpoch;
        long position = 0;
        final long size = sizeBytes;
        while (position < size)
        {
            final ByteBuffer headerBuffer = readHeader(position);
            final int batchEpoch = headerBuffer.getInt(BatchDescriptor.EPOCH_OFFSET);
            if (batchEpoch > epoch)
            {
                out.add(new EpochHistory.Entry(batchEpoch, headerBuffer.getLong(BatchDescriptor.BASE_OFFSET_OFFSET)));
                epoch = batchEpoch;
            }
            position += headerBuffer.getInt(BatchDescriptor.LENGTH_OFFSET);
        }
        return epoch;
    }

    void close() throws IOException
    {
        try
        {
            index.flush(false);
        }
        finally
        {
            try
            {
                index.close();
            }
            finally
            {
                channel.close();
            }
        }
    }

    void delete() throws IOException
    {
        channel.close();
        DurableFiles.deleteIfExists(logFile);
        index.delete();
    }

    /**
     * Closes the segment and hands its files to {@code reaper}, which frees them in steps once the caller has synced
     * the directory (retention: docs/DESIGN.md#deleting-in-steps). Readers of this segment fail as after
     * {@link #delete()}: its channel is closed before any byte is freed.
     */
    void retire(final FileReaper reaper) throws IOException
    {
        try
        {
            channel.close();
        }
        finally
        {
            index.close();
        }
        reaper.retire(logFile);
        if (Files.exists(index.file()))
        {
            reaper.retire(index.file());
        }
    }
}
