package io.logship.node.status;

/**
 * {@code logship_apply_lag_seconds}: how long committed records wait before the store has applied them, in seconds
 * (seconds rather than records: a record count says nothing without the write rate, and a time reads the same on
 * every node). Measured on the apply thread from the first cycle that sees the commit offset ahead of the applied
 * offset to the cycle that has applied up to that commit offset, so it includes waiting behind earlier batches but
 * not the apply thread's idle sleep (at most 1 ms) before it looks. One measurement at a time: under load it samples
 * about one per apply cycle, and {@code _count} counts samples, not records. Apply thread only; no allocation.
 */
public final class ApplyLag
{
    private final LatencyHistogram histogram = new LatencyHistogram("logship_apply_lag_seconds",
        "from the apply thread seeing a commit to the store having applied it (sampled)");
    /** The commit offset being waited for, -1 when none. */
    private long targetOffset = -1;
    private long seenNs;

    public LatencyHistogram histogram()
    {
        return histogram;
    }

    /** At the start of an apply cycle: the commit offset and the store's applied offset it sees. */
    public void onCommitSeen(final long commitOffset, final long appliedOffset, final long nowNs)
    {
        if (targetOffset < 0 && appliedOffset < commitOffset)
        {
            targetOffset = commitOffset;
            seenNs = nowNs;
        }
    }

    /** After the cycle applied what it could: the store's applied offset now. */
    public void onApplied(final long appliedOffset, final long nowNs)
    {
        if (targetOffset >= 0 && appliedOffset >= targetOffset)
        {
            histogram.record(nowNs - seenNs);
            targetOffset = -1;
        }
    }
}
