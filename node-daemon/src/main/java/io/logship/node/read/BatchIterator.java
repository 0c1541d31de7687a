package io.logship.node.read;

import io.logship.format.BatchDescriptor;
import org.agrona.DirectBuffer;

/**
 * Walks the whole log batches in a buffer read from the log: the one batch walk of the node (window
 * rebuild, log search, shipping, tail, checksum). A flyweight: wrap it once per read, no allocation.
 * Positions are byte positions in the buffer; offsets are record numbers.
 *
 * <pre>{@code
 * batches.wrap(buffer, length);
 * while (batches.next()) { ... batches.position(), batches.length(), batches.nextOffset() ... }
 * }</pre>
 *
 * Trusts the batch lengths (the bytes come from this node's own log, checked when they were appended);
 * the follower checks what a leader sends with its own loop.
 */
public final class BatchIterator
{
    private DirectBuffer buffer;
    private int limit;
    private int position;
    private int nextPosition;

    public BatchIterator wrap(final DirectBuffer buffer, final int length)
    {
        this.buffer = buffer;
        this.limit = length;
        this.position = 0;
        this.nextPosition = 0;
        return this;
    }

    /** Moves to the next batch; false when the bytes read are used up. */
    public boolean next()
    {
        if (nextPosition >= limit)
        {
            return false;
        }
        position = nextPosition;
        nextPosition = position + BatchDescriptor.length(buffer, position);
        return true;
    }

    /** Byte position of the current batch in the buffer. */
    public int position()
    {
        return position;
    }

    /** Length of the current batch in bytes. */
    public int length()
    {
        return nextPosition - position;
    }

    /** Byte position just past the current batch: the bytes walked so far. */
    public int endPosition()
    {
        return nextPosition;
    }

    public long baseOffset()
    {
        return BatchDescriptor.baseOffset(buffer, position);
    }

    /** The offset after the current batch's last record. */
    public long nextOffset()
    {
        return BatchDescriptor.nextOffset(buffer, position);
    }
}
