package io.logship.log;

import java.io.IOException;
import java.util.function.LongConsumer;

import static java.lang.System.Logger.Level.INFO;

/**
 * The retention policy of one log: drops the oldest sealed segments (retired to a {@link FileReaper}, which frees
 * them in steps) while the log is over
 * {@link LogConfig#retentionBytes()} or a segment's newest batch is older than
 * {@link LogConfig#retentionMs()}, but never a segment holding offsets at or above the newest valid
 * snapshot's offset (so snapshot + log can always rebuild the store) and never the active segment.
 * Segments go oldest first, so the log stays contiguous if a deletion fails part way.
 *
 * <p>Called by {@link SegmentedLog#applyRetention} under the log's lock, which serialises it with
 * truncation; not thread-safe on its own.
 */
final class LogRetention
{
    private final LogConfig config;
    private final LogSegments segments;
    private final FileReaper reaper;
    private final System.Logger logger;

    LogRetention(final LogConfig config, final LogSegments segments, final FileReaper reaper)
    {
        this.config = config;
        this.segments = segments;
        this.reaper = reaper;
        this.logger = config.logger();
    }

    /**
     * Retires what the policy allows to the reaper (renamed aside, freed in steps later: a 128 MiB unlink here would
     * hold the log's flush lock, and with it an fsync-per-write leader, for the whole unlink). The caller fsyncs the
     * directory after releasing the log's monitor ({@link FileReaper#fsyncDirectory}).
     *
     * @param onNewLogStart told the new first offset of the log after each segment leaves the set and
     *                      before its files are retired, so a reader sees the new start first.
     * @return the number of segments deleted.
     */
    int retireExpired(final long nowMs, final long maxDeletableOffset, final Segment active,
        final LongConsumer onNewLogStart) throws IOException
    {
        long totalBytes = segments.sizeBytes();
        int deleted = 0;
        while (segments.size() > 1)
        {
            final Segment oldest = segments.first();
            final boolean overSize = config.retentionBytes() >= 0 &&
                totalBytes - oldest.sizeBytes() >= config.retentionBytes();
            final boolean tooOld = config.retentionMs() >= 0 && oldest.maxTimestampMs() != Long.MIN_VALUE &&
                nowMs - oldest.maxTimestampMs() > config.retentionMs();
            if (oldest == active || oldest.nextOffset() > maxDeletableOffset || (!overSize && !tooOld))
            {
                break;
            }
            segments.remove(oldest);
            final long logStartOffset = segments.firstBaseOffset();
            onNewLogStart.accept(logStartOffset);
            oldest.retire(reaper);
            totalBytes -= oldest.sizeBytes();
            deleted++;
            logger.log(INFO, "Retention deleted " + oldest.logFile().getFileName() + " (offsets [" +
                oldest.baseOffset() + ", " + oldest.nextOffset() + "), " + (overSize ? "size" : "age") +
                " limit; its blocks are freed in steps); log now starts at " + logStartOffset);
        }
        return deleted;
    }
}
