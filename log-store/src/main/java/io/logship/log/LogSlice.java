package io.logship.log;

/**
 * A run of whole batches inside one segment file, for shipping with zero copy
 * ({@link SegmentedLog#transferTo}) or copying ({@link SegmentedLog#read}). {@link #nextOffset()} is
 * the offset to ask for next. An empty slice means the reader is at the log end. A slice is only
 * valid until the log is truncated or retention deletes its segment; reading it afterwards throws
 * and the reader asks again.
 */
public final class LogSlice
{
    final Segment segment;
    private final long position;
    private final int lengthBytes;
    private final long firstBatchOffset;
    private final long nextOffset;

    LogSlice(final Segment segment, final long position, final int lengthBytes, final long firstBatchOffset,
        final long nextOffset)
    {
        this.segment = segment;
        this.position = position;
        this.lengthBytes = lengthBytes;
        this.firstBatchOffset = firstBatchOffset;
        this.nextOffset = nextOffset;
    }

    /** Byte position of the first batch in its segment file. */
    public long position()
    {
        return position;
    }

    public int lengthBytes()
    {
        return lengthBytes;
    }

    /** Base offset of the first batch (≤ the offset asked for: batches are never split). */
    public long firstBatchOffset()
    {
        return firstBatchOffset;
    }

    public long nextOffset()
    {
        return nextOffset;
    }

    public boolean isEmpty()
    {
        return 0 == lengthBytes;
    }

    @Override
    public String toString()
    {
        return "LogSlice{" + (null == segment ? "-" : segment.logFile().getFileName()) + " position=" + position +
            " length=" + lengthBytes + " offsets=[" + firstBatchOffset + ", " + nextOffset + ")}";
    }
}
