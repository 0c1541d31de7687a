package io.logship.log;

import io.logship.format.BatchDescriptor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

import static java.lang.System.Logger.Level.WARNING;

/**
 * The segments of one log, keyed by base offset: lookup of the segment holding an offset, creation
 * of a new newest segment, deletion of segments from either end. It knows nothing of offsets beyond
 * the segments' own; {@link SegmentedLog} keeps the log start, end and durable end.
 *
 * <p>Threading: the log's owner thread (and retention, serialised with it) adds and removes; any
 * thread may look up, since the set is a concurrent skip list. A reader racing with truncation or
 * retention may still get a segment that is being deleted; its read fails and the caller retries.
 */
final class LogSegments
{
    private final Path directory;
    private final int indexIntervalBytes;
    private final ConcurrentSkipListMap<Long, Segment> segments = new ConcurrentSkipListMap<>();

    LogSegments(final Path directory, final int indexIntervalBytes)
    {
        this.directory = directory;
        this.indexIntervalBytes = indexIntervalBytes;
    }

    /** Adds a segment opened from disk. */
    void add(final Segment segment)
    {
        segments.put(segment.baseOffset(), segment);
    }

    /** Creates the segment file for {@code baseOffset}, makes its directory entry durable, and adds it. */
    Segment create(final long baseOffset) throws IOException
    {
        final Segment segment = createUnsynced(baseOffset);
        AtomicFile.fsyncDirectory(directory);
        return segment;
    }

    /**
     * Creates the segment file for {@code baseOffset} and adds it, leaving its directory entry to the next fsync of
     * the directory ({@link SegmentedLog#flush()} does it before the segment's first bytes count as durable).
     */
    Segment createUnsynced(final long baseOffset) throws IOException
    {
        final Segment segment = Segment.create(directory, baseOffset, indexIntervalBytes);
        segments.put(baseOffset, segment);
        return segment;
    }

    /** Removes a segment from the set without deleting its files (the caller deletes it). */
    void remove(final Segment segment)
    {
        segments.remove(segment.baseOffset());
    }

    /** The segment whose base offset is the greatest at or below {@code offset}, or null. */
    Segment floor(final long offset)
    {
        final Map.Entry<Long, Segment> entry = segments.floorEntry(offset);
        return null == entry ? null : entry.getValue();
    }

    Segment first()
    {
        return segments.firstEntry().getValue();
    }

    Segment last()
    {
        return segments.lastEntry().getValue();
    }

    long firstBaseOffset()
    {
        return segments.firstKey();
    }

    boolean isEmpty()
    {
        return segments.isEmpty();
    }

    int size()
    {
        return segments.size();
    }

    /** All segments, oldest first: a copy, so the caller may remove while it iterates. */
    List<Segment> all()
    {
        return new ArrayList<>(segments.values());
    }

    /**
     * Removes and deletes every segment after {@code segment}, newest first: if this stops part way
     * (crash, I/O error) what is left is still a contiguous log; deleting oldest first would leave a
     * gap that recovery must refuse.
     */
    void deleteAfter(final Segment segment) throws IOException
    {
        final List<Segment> later = new ArrayList<>(
            segments.tailMap(segment.baseOffset(), false).descendingMap().values());
        for (final Segment newer : later)
        {
            segments.remove(newer.baseOffset());
            newer.delete();
        }
    }

    /**
     * Cuts the segments back so that no batch holding an offset at or above {@code offset} remains,
     * durably: deletes the later segments (newest first), truncates the one holding {@code offset} at
     * the start of the batch holding it (batches are never split; the truncation forces the file),
     * then fsyncs the directory. The segment holding {@code offset} is then the newest.
     *
     * @return the new end offset: {@code offset}, or the base offset of the batch holding it.
     */
    long truncateFrom(final long offset) throws IOException
    {
        final Segment segment = floor(offset);
        deleteAfter(segment);
        final long position = segment.positionOf(offset);
        final long newEnd = position <= 0 ? segment.baseOffset() : batchBaseAt(segment, position);
        segment.truncateToPosition(Math.max(position, 0), newEnd);
        AtomicFile.fsyncDirectory(directory);
        return newEnd;
    }

    private static long batchBaseAt(final Segment segment, final long position) throws IOException
    {
        final ByteBuffer header = ByteBuffer.allocate(Long.BYTES).order(BatchDescriptor.BYTE_ORDER);
        segment.read(position, header);
        return header.getLong(0);
    }

    /** Removes and deletes every segment, oldest first (the caller empties the whole log). */
    void deleteAll() throws IOException
    {
        for (final Segment segment : all())
        {
            segments.remove(segment.baseOffset());
            segment.delete();
        }
    }

    /** Total bytes of all segment files. */
    long sizeBytes()
    {
        long total = 0;
        for (final Segment segment : segments.values())
        {
            total += segment.sizeBytes();
        }
        return total;
    }

    /** Base offsets of the segments, oldest first. */
    List<Long> baseOffsets()
    {
        return List.copyOf(segments.keySet());
    }

    /** Closes every segment (logging, not throwing, on failure) and empties the set. */
    void closeAll(final System.Logger logger)
    {
        for (final Segment segment : segments.values())
        {
            try
            {
                segment.close();
            }
            catch (final IOException ex)
            {
                logger.log(WARNING, "Closing " + segment.logFile() + " failed: " + ex);
            }
        }
        segments.clear();
    }
}
