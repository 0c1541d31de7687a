package io.logship.log;

import io.logship.format.BatchDescriptor;

import io.logship.LogshipException;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;

/**
 * The read side of a {@link SegmentedLog}: finds the whole batches from an offset ({@link #slice}),
 * copies them out checking every CRC32C ({@link #read}), or sends them with zero copy
 * ({@link FileChannel#transferTo}, unchecked: the receiver checks). The public contract of each
 * method is on {@link SegmentedLog}, which delegates here.
 *
 * <p>Stateless apart from what it reads and a per-thread scratch: any thread may call it. It reads the log start and end
 * offsets (volatile) and the segment set (concurrent); a read racing with truncation or retention may
 * fail and is retried by the caller.
 */
final class LogReader
{
    private final SegmentedLog log;
    private final LogSegments segments;

    LogReader(final SegmentedLog log, final LogSegments segments)
    {
        this.log = log;
        this.segments = segments;
    }

    /**
     * What one thread needs to find and copy batches, reused across its reads so a read allocates nothing (the
     * conductor ships to followers from the log on every duty cycle; the apply thread reads the log too).
     */
    private static final class ReadScratch
    {
        final ByteBuffer header = ByteBuffer.allocate(Long.BYTES).order(BatchDescriptor.BYTE_ORDER);
        final long[] next = new long[1];
        final UnsafeBuffer copied = new UnsafeBuffer(0, 0);
        ByteBuffer targetSource;
        ByteBuffer target;
        // the slice found by locate()
        Segment segment;
        long position;
        int lengthBytes;
        long firstBatchOffset;

        /** A reused duplicate of {@code dst} (its own position and limit), made again only when dst changes. */
        ByteBuffer targetOf(final ByteBuffer dst)
        {
            if (dst != targetSource)
            {
                targetSource = dst;
                target = dst.duplicate();
            }
            return target.clear();
        }
    }

    private static final ThreadLocal<ReadScratch> SCRATCH = ThreadLocal.withInitial(ReadScratch::new);

    /** {@link SegmentedLog#slice}. */
    LogSlice slice(final long fromOffset, final int maxBytes)
    {
        final ReadScratch scratch = SCRATCH.get();
        if (!locate(fromOffset, maxBytes, scratch))
        {
            return new LogSlice(null, 0, 0, fromOffset, fromOffset);
        }
        return new LogSlice(scratch.segment, scratch.position, scratch.lengthBytes, scratch.firstBatchOffset,
            scratch.next[0]);
    }

    /** Finds the whole batches of a slice into {@code scratch}; false if {@code fromOffset} is the log end. */
    private boolean locate(final long fromOffset, final int maxBytes, final ReadScratch scratch)
    {
        final long end = log.logEndOffset();
        if (fromOffset == end)
        {
            return false;
        }
        if (fromOffset < log.logStartOffset() || fromOffset > end)
        {
            throw new OffsetOutOfRangeException(fromOffset, log.logStartOffset(), end);
        }
        final Segment segment = segments.floor(fromOffset);
        if (null == segment)
        {
            throw new OffsetOutOfRangeException(fromOffset, log.logStartOffset(), end);
        }
        try
        {
            final long limit = segment.sizeBytes();
            final long position = segment.positionOf(fromOffset);
            if (position < 0)
            {
                throw new OffsetOutOfRangeException(fromOffset, log.logStartOffset(), log.logEndOffset());
            }
            final long sliceEnd = segment.endOfWholeBatches(position, Math.max(maxBytes, 1), limit, scratch.next);
            scratch.header.clear();
            segment.read(position, scratch.header);
            scratch.segment = segment;
            scratch.position = position;
            scratch.lengthBytes = (int)(sliceEnd - position);
            scratch.firstBatchOffset = scratch.header.getLong(0);
            return true;
        }
        catch (final IOException ex)
        {
            throw new LogshipException("reading " + segment.logFile() + " at offset " + fromOffset + " failed: " + ex,
                LogshipException.Category.ERROR, ex);
        }
    }

    /** {@link SegmentedLog#read(long, int, ByteBuffer)}: the copy, then a CRC32C check of every batch copied. */
    int read(final long fromOffset, final int maxBytes, final ByteBuffer dst)
    {
        final int limit = Math.min(maxBytes, dst.remaining());
        final ReadScratch scratch = SCRATCH.get();
        if (!locate(fromOffset, limit, scratch))
        {
            return 0;
        }
        final Segment segment = scratch.segment;
        final long slicePosition = scratch.position;
        final int lengthBytes = scratch.lengthBytes;
        scratch.segment = null; // holds no segment between reads: retention may delete it
        if (lengthBytes > dst.remaining())
        {
            throw new IllegalArgumentException("a buffer of " + dst.remaining() + " bytes cannot hold the batch of " +
                lengthBytes + " bytes at offset " + scratch.firstBatchOffset);
        }
        final int start = dst.position();
        final ByteBuffer target = scratch.targetOf(dst);
        target.limit(start + lengthBytes).position(start);
        try
        {
            segment.read(slicePosition, target);
        }
        catch (final IOException ex)
        {
            throw new LogshipException("reading " + segment.logFile() + " at offset " + fromOffset + " failed: " +
                ex, LogshipException.Category.ERROR, ex);
        }
        final UnsafeBuffer copied = scratch.copied;
        copied.wrap(dst, start, lengthBytes);
        int position = 0;
        while (position < lengthBytes)
        {
            final String problem = BatchDescriptor.validate(copied, position, lengthBytes - position);
            if (null != problem)
            {
                throw new CorruptLogException(segment.logFile(), slicePosition + position, problem);
            }
            position += BatchDescriptor.length(copied, position);
        }
        dst.position(start + lengthBytes);
        return lengthBytes;
    }

    /** {@link SegmentedLog#read(long, int, MutableDirectBuffer, int)}: a ByteBuffer view of {@code dst}. */
    int read(final long fromOffset, final int maxBytes, final MutableDirectBuffer dst, final int dstOffset)
    {
        final ByteBuffer view;
        if (null != dst.byteBuffer())
        {
            view = dst.byteBuffer().duplicate();
            view.limit((int)dst.wrapAdjustment() + dst.capacity()).position((int)dst.wrapAdjustment() + dstOffset);
        }
        else if (null != dst.byteArray())
        {
            view = ByteBuffer.wrap(dst.byteArray(), (int)dst.wrapAdjustment() + dstOffset, dst.capacity() - dstOffset);
        }
        else
        {
            throw new IllegalArgumentException("destination buffer has neither a ByteBuffer nor an array behind it");
        }
        return read(fromOffset, maxBytes, view);
    }

    /** {@link SegmentedLog#transferTo}. */
    long transferTo(final LogSlice slice, final WritableByteChannel target)
    {
        if (slice.isEmpty())
        {
            return 0;
        }
        try
        {
            return slice.segment.transferTo(slice.position(), slice.lengthBytes(), target);
        }
        catch (final IOException ex)
        {
            throw new LogshipException("sending " + slice + " failed: " + ex, LogshipException.Category.ERROR, ex);
        }
    }
}
