package io.logship.node.follower;

import io.logship.log.SegmentedLog;

import java.util.concurrent.TimeUnit;

import static java.lang.System.Logger.Level.INFO;

/**
 * A follower's resync progress: the append rate over windows of about a second (for status), and a log
 * line every 5 s while it is more than {@value #RESYNC_LOG_THRESHOLD_RECORDS} records behind the leader.
 * Written by the conductor thread; the rates are also read by the metrics and status paths.
 */
public final class ResyncTracker
{
    private static final long RESYNC_LOG_THRESHOLD_RECORDS = 10_000;

    private final SegmentedLog log;
    private final System.Logger logger;
    private long resyncWindowStartNs;
    private long resyncWindowStartOffset;
    private long resyncWindowBytes;
    private long lastResyncLogNs;
    private volatile long recordsPerSecond;
    private volatile long bytesPerSecond;

    public ResyncTracker(final SegmentedLog log, final System.Logger logger)
    {
        this.log = log;
        this.logger = logger;
    }

    public long recordsPerSecond()
    {
        return recordsPerSecond;
    }

    public long bytesPerSecond()
    {
        return bytesPerSecond;
    }

    public void onDutyCycle(final long nowNs, final int leaderId, final long leaderLogEndOffset)
    {
        if (resyncWindowStartNs == 0)
        {
            resyncWindowStartNs = nowNs;
            resyncWindowStartOffset = log.logEndOffset();
            resyncWindowBytes = log.sizeBytes();
            return;
        }
        final long elapsedNs = nowNs - resyncWindowStartNs;
        if (elapsedNs < TimeUnit.SECONDS.toNanos(1))
        {
            return;
        }
        final long end = log.logEndOffset();
        final long bytes = log.sizeBytes();
        recordsPerSecond = Math.max(0, (end - resyncWindowStartOffset) * 1_000_000_000L / elapsedNs);
        bytesPerSecond = Math.max(0, (bytes - resyncWindowBytes) * 1_000_000_000L / elapsedNs);
        resyncWindowStartNs = nowNs;
        resyncWindowStartOffset = end;
        resyncWindowBytes = bytes;
        final long behind = leaderLogEndOffset - end;
        if (leaderId > 0 && behind > RESYNC_LOG_THRESHOLD_RECORDS && nowNs - lastResyncLogNs >= TimeUnit.SECONDS.toNanos(5))
        {
            lastResyncLogNs = nowNs;
            logger.log(INFO, "Resync from node " + leaderId + ": " + behind + " records behind (log end " + end +
                ", leader " + leaderLogEndOffset + "), " + recordsPerSecond + " records/s, " +
                bytesPerSecond / 1024 + " KiB/s, ETA " + (recordsPerSecond > 0 ?
                behind / recordsPerSecond + " s" : "unknown"));
        }
    }
}
