package io.logship.node.write;

/**
 * Writes waiting for their ack level, in offset order, as parallel primitive arrays in a ring (no
 * allocation per request). One queue per ack level: QUORUM waits for the commit offset, ALL for the
 * lowest durable offset of every node. Entries that time out are answered and marked done in place;
 * the head skips done entries. Bounded: {@link #isFull()} makes the node answer BUSY.
 * Owned by the conductor thread.
 */
public final class PendingWrites
{
    /** Receives entries as they leave the queue. */
    public interface Completion
    {
        void onComplete(long correlationId, long clientId, long offset, int epoch, boolean timedOut, int count);
    }

    private final long[] correlationIds;
    private final long[] clientIds;
    private final long[] offsets;
    private final long[] deadlinesNs;
    private final int[] epochs;
    private final int[] counts;
    private final boolean[] done;
    private final int mask;
    private long head;
    private long tail;

    public PendingWrites(final int capacityPowerOfTwo)
    {
        final int capacity = Integer.highestOneBit(Math.max(16, capacityPowerOfTwo) - 1) << 1;
        correlationIds = new long[capacity];
        clientIds = new long[capacity];
        offsets = new long[capacity];
        deadlinesNs = new long[capacity];
        epochs = new int[capacity];
        counts = new int[capacity];
        done = new boolean[capacity];
        mask = capacity - 1;
    }

    public boolean isFull()
    {
        return tail - head == correlationIds.length;
    }

    public int size()
    {
        return (int)(tail - head);
    }

    /** @param offset the (last) record's offset; {@code count} records end there (a batch), usually 1. */
    public void add(final long correlationId, final long clientId, final long offset, final int epoch, final long deadlineNs,
        final int count)
    {
        final int i = (int)(tail & mask);
        correlationIds[i] = correlationId;
        clientIds[i] = clientId;
        offsets[i] = offset;
        epochs[i] = epoch;
        deadlinesNs[i] = deadlineNs;
        counts[i] = count;
        done[i] = false;
        tail++;
    }

    /** Completes, in order, every entry at the head whose offset is below {@code reachedOffset}. */
    public int completeBelow(final long reachedOffset, final Completion completion)
    {
        int count = 0;
        while (head < tail)
        {
            final int i = (int)(head & mask);
            if (!done[i])
            {
                if (offsets[i] >= reachedOffset)
                {
                    break;
                }
                completion.onComplete(correlationIds[i], clientIds[i], offsets[i], epochs[i], false, counts[i]);
                count++;
            }
            head++;
        }
        return count;
    }

    /** Times out every entry whose deadline has passed, wherever it is in the queue. */
    public int expire(final long nowNs, final Completion completion)
    {
        int count = 0;
        for (long s = head; s < tail; s++)
        {
            final int i = (int)(s & mask);
            if (!done[i] && nowNs - deadlinesNs[i] >= 0)
            {
                done[i] = true;
                completion.onComplete(correlationIds[i], clientIds[i], offsets[i], epochs[i], true, counts[i]);
                count++;
            }
        }
        while (head < tail && done[(int)(head & mask)])
        {
            head++;
        }
        return count;
    }

    /** Fails every entry (the node lost leadership or is closing). */
    public void drain(final Completion completion)
    {
        while (head < tail)
        {
            final int i = (int)(head & mask);
            if (!done[i])
            {
                completion.onComplete(correlationIds[i], clientIds[i], offsets[i], epochs[i], true, counts[i]);
            }
            head++;
        }
    }
}
