package io.logship.perf;

import io.logship.log.FsyncPolicy;
import io.logship.log.LogConfig;

/** The benchmarks' {@code fsync} parameter and how it maps onto the log's settings ({@link AppendFixture}). */
public enum FsyncMode
{
    /** {@link FsyncPolicy#ALWAYS}: one fsync per appended batch. */
    ALWAYS,
    /** {@link FsyncPolicy#INTERVAL} with the default {@value LogConfig#FSYNC_INTERVAL_MS_DEFAULT} ms. */
    INTERVAL,
    /**
     * Append without fsync: {@link FsyncPolicy#INTERVAL} with a {@value AppendFixture#NO_FSYNC_INTERVAL_MS} ms
     * interval, so no interval fsync happens during an iteration shorter than a minute (the first
     * append of a fresh log may flush once, and a segment roll every 512 MiB forces the sealed
     * segment). The log has no policy that never syncs; this is the closest.
     */
    NONE
}

