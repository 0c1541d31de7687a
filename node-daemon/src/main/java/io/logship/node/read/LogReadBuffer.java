package io.logship.node.read;

import io.logship.log.SegmentedLog;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

/**
 * The conductor's staging buffer for whole batches read from the log (shipping, tail, checksum, the
 * de-duplication window and searches) and for snapshot chunks in transit: 2 MiB, shared because the
 * conductor uses the bytes of one read before it starts the next.
 */
public final class LogReadBuffer
{
    private final ByteBuffer byteBuffer = ByteBuffer.allocateDirect(2 * 1024 * 1024);
    private final UnsafeBuffer buffer = new UnsafeBuffer(byteBuffer);
    private final BatchIterator batches = new BatchIterator();

    /** Reads whole batches from {@code offset}, at most {@code maxBytes} (at least one batch); the bytes read. */
    public int read(final SegmentedLog log, final long offset, final int maxBytes)
    {
        byteBuffer.clear();
        return log.read(offset, maxBytes, byteBuffer);
    }

    /** The batches of the last {@code length} bytes read, from the start of the buffer. */
    public BatchIterator batches(final int length)
    {
        return batches.wrap(buffer, length);
    }

    public UnsafeBuffer buffer()
    {
        return buffer;
    }

    public ByteBuffer byteBuffer()
    {
        return byteBuffer;
    }
}
