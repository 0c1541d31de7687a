package io.logship.node.pipeline;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;

/**
 * The leader's last appended batches in memory, so that shipping them to the followers does not read back the log
 * it has just written (issue 8 item 4; docs/DESIGN.md#replication-window). The journal thread {@link #publish
 * publishes} each batch as it appends it (just before the write, so the conductor finds it here as soon as the
 * log end moves); the conductor {@link #read reads} whole batches by offset and
 * falls back to the log when the range is no longer (or not) here: a follower catching up, a leader that just
 * started.
 *
 * <p>Why: with fsync {@code interval} the flusher writes back the log's tail pages while the journal appends to
 * them, and on a busy disk the kernel holds a page's lock for milliseconds while it waits to queue that page's
 * write. A {@code pread} of the just-appended batch on the duty thread then waits as long: 191 reads of over 3 ms
 * (up to 32 ms) on the leader's conductor in 3 minutes at 10 k writes/s (perf/README.md, "Where the duty thread
 * blocked"). The bytes are still in the journal's hands when it appends, so one copy here costs less than the
 * read it saves, and the read's checksum pass too.
 *
 * <p>One writer (the journal thread), one reader (the conductor), no locks: a byte ring and a ring of entries (base
 * offset, next offset, position, length). The writer moves {@code tail}, the oldest valid entry, past every entry
 * it is about to overwrite <em>before</em> it writes; the reader copies, then checks {@code tail} again and throws
 * the copy away if the writer passed its first entry meanwhile (a sequence lock on the tail, as Aeron's readers
 * check a position after copying). A batch never wraps: when it does not fit before the end of the byte ring it
 * starts at 0.
 *
 * <p>What is here may be from an earlier term of this node's leadership, since overwritten in the log by another
 * leader's batches: the reader gives the caller the batches' epochs to compare with the log's epoch history, and
 * {@link #clear()} when the journal opens a new epoch empties it.
 */
public final class RecentBatches
{
    /** Reads {@link #read} served, and reads it sent to the log: reader thread only, published for the metrics. */
    private volatile long hits;
    private volatile long misses;

    private final UnsafeBuffer bytes;
    private final int capacity;
    private final long[] baseOffsets;
    private final long[] nextOffsets;
    private final int[] positions;
    private final int[] lengths;
    private final int entryMask;

    /** Sequence of the oldest entry whose bytes are intact; entries below it may be overwritten at any time. */
    private volatile long tail;
    /** Sequence the next entry gets; entries below it are complete. */
    private volatile long head;
    /** Writer only: where the next batch's bytes go. */
    private int writePosition;

    /**
     * @param capacityBytes the bytes of batches kept (0 keeps none: every read goes to the log).
     * @param maxEntries    the batches kept at most, a power of two.
     */
    public RecentBatches(final int capacityBytes, final int maxEntries)
    {
        if (capacityBytes < 0 || Integer.bitCount(maxEntries) != 1)
        {
            throw new IllegalArgumentException("capacity " + capacityBytes + " must be >= 0 and entries " +
                maxEntries + " a power of two");
        }
        this.capacity = capacityBytes;
        this.bytes = new UnsafeBuffer(ByteBuffer.allocateDirect(Math.max(capacityBytes, 1)));
        this.baseOffsets = new long[maxEntries];
        this.nextOffsets = new long[maxEntries];
        this.positions = new int[maxEntries];
        this.lengths = new int[maxEntries];
        this.entryMask = maxEntries - 1;
    }

    /** A window that keeps nothing: every read goes to the log. */
    public static RecentBatches none()
    {
        return new RecentBatches(0, 1);
    }

    /**
     * Writer thread: keeps a copy of the batch just appended at {@code baseOffset}, holding offsets up to
     * {@code nextOffset} (exclusive). A batch bigger than the whole window, or not following the last one, is
     * kept alone or not at all: reads around it go to the log.
     */
    public void publish(final DirectBuffer buffer, final int offset, final int length, final long baseOffset,
        final long nextOffset)
    {
        if (length > capacity)
        {
            clear();
            return;
        }
        long h = head;
        if (h > tail && nextOffsets[(int)(h - 1) & entryMask] != baseOffset)
        {
            clear();
            h = head;
        }
        int position = writePosition;
        long t = tail;
        if (position + length > capacity)
        {
            // Back to the start of the ring. What is left of the previous lap (at or after the write position) is
            // older than anything at the start, so it retires first, even where the new batch does not reach it.
            while (t < h && positions[(int)t & entryMask] >= position)
            {
                t++;
            }
            position = 0;
        }
        // Retire every entry whose bytes the new batch overwrites, and the oldest entry when the entry ring is full.
        while (t < h && (h - t >= lengths.length || overlaps(t, position, length)))
        {
            t++;
        }
        if (t != tail)
        {
            tail = t;
            // The tail must be visible before the bytes it gives up are overwritten.
            VarHandle.storeStoreFence();
        }
        bytes.putBytes(position, buffer, offset, length);
        final int slot = (int)h & entryMask;
        baseOffsets[slot] = baseOffset;
        nextOffsets[slot] = nextOffset;
        positions[slot] = position;
        lengths[slot] = length;
        writePosition = position + length;
        head = h + 1;
    }

    private boolean overlaps(final long sequence, final int position, final int length)
    {
        final int slot = (int)sequence & entryMask;
        final int start = positions[slot];
        return start < position + length && position < start + lengths[slot];
    }

    /** Writer thread: forgets everything (a new epoch: what is here may have been truncated from the log). */
    public void clear()
    {
        tail = head;
        VarHandle.storeStoreFence();
        writePosition = 0;
    }

    /**
     * Reader thread: copies whole batches from the one holding {@code fromOffset}, none reaching past
     * {@code endOffset}, as many as fit in {@code maxBytes} (at least one, if it fits {@code dst}), to {@code dst}
     * at 0. The caller checks the batches' epochs against the log's (see the class comment).
     *
     * @return the bytes copied, or -1 when the batch holding {@code fromOffset} is not here (read the log).
     */
    public int read(final long fromOffset, final long endOffset, final int maxBytes, final MutableDirectBuffer dst)
    {
        final long h = head;
        final long t = tail;
        if (t >= h || fromOffset < baseOffsets[(int)t & entryMask] || fromOffset >= nextOffsets[(int)(h - 1) & entryMask])
        {
            misses++;
            return -1;
        }
        final long first = find(fromOffset, t, h);
        final long firstBase = baseOffsets[(int)first & entryMask];
        final long firstNext = nextOffsets[(int)first & entryMask];
        int copied = 0;
        long s = first;
        while (s < h)
        {
            final int slot = (int)s & entryMask;
            final int length = lengths[slot];
            if (nextOffsets[slot] > endOffset || copied + length > dst.capacity() ||
                (copied > 0 && copied + length > maxBytes))
            {
                break;
            }
            dst.putBytes(copied, bytes, positions[slot], length);
            copied += length;
            s++;
        }
        // Every plain read above must complete before tail is read again: the tail check validates them.
        VarHandle.loadLoadFence();
        // A search misled by entries overwritten while it ran lands on a batch not holding fromOffset.
        if (copied == 0 || tail > first || fromOffset < firstBase || fromOffset >= firstNext)
        {
            misses++;
            return -1;
        }
        hits++;
        return copied;
    }

    /** The entry in [t, h) holding {@code offset}; entries are contiguous in offsets, ascending. */
    private long find(final long offset, final long t, final long h)
    {
        long low = t;
        long high = h - 1;
        while (low < high)
        {
            final long mid = (low + high + 1) >>> 1;
            if (baseOffsets[(int)mid & entryMask] <= offset)
            {
                low = mid;
            }
            else
            {
                high = mid - 1;
            }
        }
        return low;
    }

    /** Reads served from memory since start. */
    public long hits()
    {
        return hits;
    }

    /** Reads that had to go to the log since start. */
    public long misses()
    {
        return misses;
    }
}
