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
     * fsync at most every {@link LogConfig#fsyncIntervalMs()} ms (on append or via
     * {@link SegmentedLog#flushIfDue}). Weaker: a power loss or kernel crash can lose the last
     * interval's batches, though a process crash (SIGKILL) loses nothing the kernel already has.
     */
    INTERVAL
}
