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
 * <p>Stateless apart from what it reads: any thread may call it. It reads the log start and end
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

    /** {@link SegmentedLog#slice}. */
    LogSlice slice(final long fromOffset, final int maxBytes)
    {
        final long end = log.logEndOffset();
        if (fromOffset == end)
        {
            return new LogSlice(null, 0, 0, fromOffset, fromOffset);
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
            final long[] next = new long[1];
            final long sliceEnd = segment.endOfWholeBatches(position, Math.max(maxBytes, 1), limit, next);
            final ByteBuffer header = ByteBuffer.allocate(Long.BYTES).order(BatchDescriptor.BYTE_ORDER);
            segment.read(position, header);
            return new LogSlice(segment, position, (int)(sliceEnd - position), header.getLong(0), next[0]);
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
        final LogSlice slice = slice(fromOffset, limit);
        if (slice.isEmpty())
        {
            return 0;
        }
        if (slice.lengthBytes() > dst.remaining())
        {
            throw new IllegalArgumentException("a buffer of " + dst.remaining() + " bytes cannot hold the batch of " +
                slice.lengthBytes() + " bytes at offset " + slice.firstBatchOffset());
        }
        final int start = dst.position();
        final ByteBuffer target = dst.duplicate();
        target.limit(start + slice.lengthBytes());
        try
        {
            slice.segment.read(slice.position(), target);
        }
        catch (final IOException ex)
        {
            throw new LogshipException("reading " + slice.segment.logFile() + " at offset " + fromOffset + " failed: " +
                ex, LogshipException.Category.ERROR, ex);
        }
        final UnsafeBuffer copied = new UnsafeBuffer(dst, start, slice.lengthBytes());
        int position = 0;
        while (position < slice.lengthBytes())
        {
            final String problem = BatchDescriptor.validate(copied, position, slice.lengthBytes() - position);
            if (null != problem)
            {
                throw new CorruptLogException(slice.segment.logFile(), slice.position() + position, problem);
            }
            position += BatchDescriptor.length(copied, position);
        }
        dst.position(start + slice.lengthBytes());
        return slice.lengthBytes();
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
