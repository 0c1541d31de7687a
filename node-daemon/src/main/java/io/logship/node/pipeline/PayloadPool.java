package io.logship.node.pipeline;

import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;

/**
 * Buffers lent to write-ring slots for payloads larger than a slot keeps ({@link WriteEvent#SLOT_PAYLOAD_BYTES}):
 * client batches and large values. Without it every slot kept a buffer as large as the largest batch it ever carried,
 * and the ring's 8,192 slots held 398 MB of a leader's 1 GB heap after one unbounded run of 34 KiB client batches
 * (docs/DESIGN.md#ring-payloads); with it the ring holds small buffers plus the few batches
 * between the conductor and the journal.
 *
 * <p>The conductor {@link #lend lends} (its only producer, {@code WriteIntake} and {@code JournalResultPoller});
 * the journal {@link #giveBack gives back} once it has copied the payload into the log batch, before it releases the
 * slot. One single-producer, single-consumer queue carries the buffers back, so neither side allocates or locks
 * once the pool is warm; with {@code logship.node.journal=conductor} both ends are the same thread. A lend from an
 * empty pool allocates a buffer; a give-back to a full pool, or of a buffer grown past twice the batch size, leaves
 * it to the collector: the pool keeps at most the capacity it was made with, 4 MiB of buffers for batches like the
 * one above.
 */
public final class PayloadPool
{
    /** Buffers kept: more than the client batches a journal falls behind by between two of its cycles. */
    public static final int DEFAULT_CAPACITY = 64;
    /** A new buffer's size unless the payload is larger: a client batch of 256 records of 100 B is about 34 KiB. */
    static final int NEW_BUFFER_BYTES = 64 * 1024;

    private final OneToOneConcurrentArrayQueue<ExpandableArrayBuffer> free;
    private final int batchMaxBytes;
    private long allocations;

    /**
     * @param capacity      buffers kept for reuse.
     * @param batchMaxBytes the node's batch size, the largest client batch it takes in one slot: buffers up to twice
     *                      that are kept (a buffer grows by half its size at a time).
     */
    public PayloadPool(final int capacity, final int batchMaxBytes)
    {
        this.free = new OneToOneConcurrentArrayQueue<>(capacity);
        this.batchMaxBytes = batchMaxBytes;
    }

    /** A buffer for {@code length} bytes (it grows if a kept one is smaller). Conductor only. */
    ExpandableArrayBuffer lend(final int length)
    {
        final ExpandableArrayBuffer buffer = free.poll();
        if (null != buffer)
        {
            return buffer;
        }
        allocations++;
        return new ExpandableArrayBuffer(Math.max(NEW_BUFFER_BYTES, length));
    }

    /** Takes back a buffer {@link #lend} gave out, once nothing reads it. Journal only. */
    void giveBack(final ExpandableArrayBuffer buffer)
    {
        if (buffer.capacity() <= 2 * batchMaxBytes)
        {
            free.offer(buffer);
        }
    }

    /** Buffers this pool has allocated since it was made (read on the conductor, or once both sides are idle). */
    public long allocations()
    {
        return allocations;
    }
}
