package io.logship.node.dedup;

import io.logship.log.OffsetOutOfRangeException;
import io.logship.format.RecordCursor;
import io.logship.log.SegmentedLog;
import io.logship.node.read.BatchIterator;
import io.logship.node.read.LogReadBuffer;

/**
 * Searches of the log for one idempotent record, for {@link DuplicateCheck}: bounded in bytes so a search
 * never stalls the conductor (which runs it, in the shared staging buffer).
 */
public final class LogSearch implements DuplicateCheck.Log
{
    /**
     * One read of a search: a retry's original is usually within its group's first few batches (the group was
     * written together), and each read copies and checksums every byte, so a search reads little at a time. At
     * 1 MiB every search paid for a megabyte even when the record was in the first batch.
     */
    static final int READ_BYTES = 64 * 1024;

    private final SegmentedLog log;
    private final LogReadBuffer staging;
    private final RecordCursor cursor = new RecordCursor();
    private long bytesRead;
    private long resumeOffset = -1;

    public LogSearch(final SegmentedLog log, final LogReadBuffer staging)
    {
        this.log = log;
        this.staging = staging;
    }

    /**
     * An offset about {@code bytes} of log below {@code offset}, not below the log start: an estimate from the
     * average record size. Reading whole segments (up to 2 x 128 MiB) to rebuild the window blocked the
     * conductor of a newly elected leader for longer than its lease, which then expired at once; the
     * de-duplication searches bound what they read the same way.
     */
    public static long offsetBytesBelow(final SegmentedLog log, final long offset, final long bytes)
    {
        final long start = log.logStartOffset();
        final long records = log.logEndOffset() - start;
        if (records <= 0)
        {
            return Math.max(start, Math.min(offset, log.logEndOffset()));
        }
        final long recordBytes = Math.max(1, log.sizeBytes() / records);
        return Math.max(start, offset - bytes / recordBytes);
    }

    @Override
    public long startOffset()
    {
        return log.logStartOffset();
    }

    @Override
    public long endOffset()
    {
        return log.logEndOffset();
    }

    @Override
    public long offsetBytesBelow(final long offset, final long bytes)
    {
        return offsetBytesBelow(log, offset, bytes);
    }

    @Override
    public long find(final long clientId, final long lowSequence, final long highSequence, final long from,
        final long to, final long maxBytes)
    {
        bytesRead = 0;
        resumeOffset = -1;
        long offset = from;
        try
        {
            while (offset < to)
            {
                if (bytesRead >= maxBytes)
                {
                    resumeOffset = offset;
                    return INCOMPLETE;
                }
                final int length = staging.read(log, offset, READ_BYTES);
                if (length == 0)
                {
                    return NOT_FOUND; // the log end moved below the range (a truncation): nothing more
                }
                bytesRead += length;
                final BatchIterator batches = staging.batches(length);
                while (offset < to && batches.next())
                {
                    cursor.wrap(staging.buffer(), batches.position());
                    while (cursor.next())
                    {
                        // Any match is the original, even one just outside the range (the first batch read
                        // starts below it): the leader's log holds each (client id, sequence) once.
                        if (cursor.idempotent() && cursor.clientId() == clientId &&
                            cursor.sequence() >= lowSequence && cursor.sequence() <= highSequence)
                        {
                            return cursor.offset();
                        }
                    }
                    offset = batches.nextOffset();
                }
            }
            return NOT_FOUND;
        }
        catch (final OffsetOutOfRangeException ex)
        {
            return INCOMPLETE; // retention removed what was to be read: the answer is not known
        }
    }

    @Override
    public long bytesRead()
    {
        return bytesRead;
    }

    @Override
    public long resumeOffset()
    {
        return resumeOffset;
    }
}
