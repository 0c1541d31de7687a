package io.logship.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * The sparse offset index of one segment: every {@code indexIntervalBytes} of log, the offset of a
 * batch (relative to the segment's base offset) and that batch's byte position in the segment.
 *
 * <pre>
 *  +-------------------------------+-------------------------------+
 *  |   Relative Offset (int32 LE)  |      Position (int32 LE)      |  x N, strictly increasing
 *  +-------------------------------+-------------------------------+
 * </pre>
 *
 * Like Kafka's offset index it carries no checksum: it is derived data. Entries live in memory and
 * reach the file on {@link #flush}; a missing, torn or inconsistent file is rebuilt from the batch
 * headers, and a lookup that lands on a batch other than the entry promised triggers the same
 * rebuild (see {@link Segment}). Writes are serialised on this object: the appending thread adds entries
 * while the node's I/O thread writes them out as part of a flush (before, the two shared the write buffer
 * unguarded and the fsync thread died on a {@code BufferOverflowException}); the lock is held for memory
 * copies and small file writes only, never for an fsync of the log. Lookups may race with appends only
 * through {@link Segment}, which publishes the entry count after the entry is written.
 */
final class SegmentIndex
{
    static final int ENTRY_LENGTH = 8;

    private static final int WRITE_BUFFER_ENTRIES = 512;

    private final Path file;
    private final ByteBuffer writeBuffer =
        ByteBuffer.allocateDirect(WRITE_BUFFER_ENTRIES * ENTRY_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
    private FileChannel channel;
    private int[] relativeOffsets;
    private int[] positions;
    private volatile int count;
    private int flushedCount;

    SegmentIndex(final Path file)
    {
        this.file = file;
        this.relativeOffsets = new int[64];
        this.positions = new int[64];
    }

    Path file()
    {
        return file;
    }

    int count()
    {
        return count;
    }

    /**
     * Loads the index file and checks it against the segment: entries increasing, positions inside
     * the segment. Returns {@code null} if it is usable, else the reason it must be rebuilt.
     */
    String load(final long segmentSizeBytes)
    {
        final byte[] bytes;
        try
        {
            bytes = Files.readAllBytes(file);
        }
        catch (final NoSuchFileException ex)
        {
            return "missing";
        }
        catch (final IOException ex)
        {
            return "unreadable: " + ex;
        }
        if (bytes.length % ENTRY_LENGTH != 0)
        {
            return "length " + bytes.length + " is not a multiple of " + ENTRY_LENGTH;
        }
        final ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        final int entries = bytes.length / ENTRY_LENGTH;
        ensureCapacity(entries);
        int previousOffset = -1;
        int previousPosition = -1;
        for (int i = 0; i < entries; i++)
        {
            final int relativeOffset = buffer.getInt();
            final int position = buffer.getInt();
            if (relativeOffset <= previousOffset || position <= previousPosition || position >= segmentSizeBytes ||
                (i == 0 && (relativeOffset != 0 || position != 0)))
            {
                clear();
                return "entry " + i + " (" + relativeOffset + ", " + position + ") out of order or outside the segment";
            }
            relativeOffsets[i] = relativeOffset;
            positions[i] = position;
            previousOffset = relativeOffset;
            previousPosition = position;
        }
        count = entries;
        flushedCount = entries;
        return null;
    }

    synchronized void add(final int relativeOffset, final int position)
    {
        final int n = count;
        ensureCapacity(n + 1);
        relativeOffsets[n] = relativeOffset;
        positions[n] = position;
        count = n + 1;
    }

    /** Index of the last entry whose relative offset is ≤ {@code relativeOffset}, or -1. */
    int floorEntry(final int relativeOffset)
    {
        int low = 0;
        int high = count - 1;
        int found = -1;
        while (low <= high)
        {
            final int mid = (low + high) >>> 1;
            if (relativeOffsets[mid] <= relativeOffset)
            {
                found = mid;
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }
        return found;
    }

    int relativeOffset(final int entry)
    {
        return relativeOffsets[entry];
    }

    int position(final int entry)
    {
        return positions[entry];
    }

    /** Drops entries at or after byte {@code position}, in memory and in the file. */
    synchronized void truncateToPosition(final long position) throws IOException
    {
        int n = count;
        while (n > 0 && positions[n - 1] >= position)
        {
            n--;
        }
        count = n;
        if (flushedCount > n)
        {
            flushedCount = n;
            channel().truncate((long)n * ENTRY_LENGTH);
        }
    }

    synchronized void clear()
    {
        count = 0;
        flushedCount = 0;
    }

    /** Writes entries not yet in the file; with {@code fsync}, forces them too (done when sealing). */
    synchronized void flush(final boolean fsync) throws IOException
    {
        final int n = count;
        if (n == flushedCount && !fsync)
        {
            return;
        }
        final FileChannel channel = channel();
        if (flushedCount == 0)
        {
            channel.truncate(0);
        }
        int from = flushedCount;
        while (from < n)
        {
            final int batch = Math.min(n - from, WRITE_BUFFER_ENTRIES);
            writeBuffer.clear();
            for (int i = from; i < from + batch; i++)
            {
                writeBuffer.putInt(relativeOffsets[i]).putInt(positions[i]);
            }
            writeBuffer.flip();
            long filePosition = (long)from * ENTRY_LENGTH;
            while (writeBuffer.hasRemaining())
            {
                filePosition += channel.write(writeBuffer, filePosition);
            }
            from += batch;
        }
        if (fsync)
        {
            DurableFiles.force(channel, file, (long)n * ENTRY_LENGTH, true);
        }
        flushedCount = n;
    }

    /** The index file, opened once and kept open: reopening it on every flush cost a syscall trio per fsync. */
    private FileChannel channel() throws IOException
    {
        if (null == channel)
        {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        }
        return channel;
    }

    synchronized void close() throws IOException
    {
        if (null != channel)
        {
            channel.close();
            channel = null;
        }
    }

    void delete() throws IOException
    {
        close();
        DurableFiles.deleteIfExists(file);
    }

    private void ensureCapacity(final int required)
    {
        if (required > relativeOffsets.length)
        {
            final int newLength = Math.max(required, relativeOffsets.length * 2);
            // Publish the copies before the count that makes their new slots visible.
            positions = Arrays.copyOf(positions, newLength);
            relativeOffsets = Arrays.copyOf(relativeOffsets, newLength);
        }
    }
}
