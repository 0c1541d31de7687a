package io.logship.node.status;

/**
 * {@code logship_commit_latency_seconds}: on the leader, for each write that waits for quorum or all (the
 * default ack level), the time from the conductor learning that the journal appended it to the commit offset
 * passing its last record. Writes acknowledged at level leader are not timed (nothing waits for their commit).
 * Remembers up to {@link #CAPACITY} writes in flight in two preallocated arrays: no allocation per write; when
 * more are in flight the extra ones are not timed (the histogram then samples, it does not block or grow).
 * Conductor thread only.
 */
public final class CommitLatency
{
    static final int CAPACITY = 4096;
    private static final int MASK = CAPACITY - 1;

    private final LatencyHistogram histogram = new LatencyHistogram("logship_commit_latency_seconds",
        "leader: from the journal's append of a quorum/all write to the commit offset passing it");
    private final long[] lastOffsets = new long[CAPACITY];
    private final long[] appendedNs = new long[CAPACITY];
    private long head;
    private long tail;

    public LatencyHistogram histogram()
    {
        return histogram;
    }

    /** The journal appended a write ending at {@code lastOffset}; offsets arrive in log order. */
    public void onAppended(final long lastOffset, final long nowNs)
    {
        if (tail - head < CAPACITY)
        {
            final int slot = (int)(tail & MASK);
            lastOffsets[slot] = lastOffset;
            appendedNs[slot] = nowNs;
            tail++;
        }
    }

    /** Records every remembered write below {@code commitOffset} (offsets below it are committed). */
    public void onCommitOffset(final long commitOffset, final long nowNs)
    {
        while (head < tail)
        {
            final int slot = (int)(head & MASK);
            if (lastOffsets[slot] >= commitOffset)
            {
                return;
            }
            histogram.record(nowNs - appendedNs[slot]);
            head++;
        }
    }

    /** Forgets the writes in flight: the node stepped down or stops, and a later epoch may reuse their offsets. */
    public void clear()
    {
        head = tail;
    }
}
