package io.logship.log;

/** When appended batches are forced to disk. */
public enum FsyncPolicy
{
    /**
     * One fsync per append, before the append returns. The caller batches (group commit), so this is
     * one fsync per batch of client writes. An acknowledged batch survives power loss.
     */
    ALWAYS,
    /**
     * fsync at most every {@link LogConfig#fsyncIntervalMs()} ms. The log checks the interval only when
     * {@link SegmentedLog#flushIfDue} runs, which {@link SegmentedLog#appendAsLeader} does after each
     * append: an owner whose appends stop must call it (or {@link SegmentedLog#flush}) itself, or the tail
     * stays unforced. node-daemon's leader does (its journal thread, after one interval without a write),
     * so there a batch is forced at most about two intervals after it was appended, plus the fsync itself.
     * Weaker than {@link #ALWAYS}: a power loss or kernel crash can lose those last batches, though a
     * process crash (SIGKILL) loses nothing the kernel already has.
     */
    INTERVAL
}
