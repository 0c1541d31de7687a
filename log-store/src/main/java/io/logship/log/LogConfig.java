package io.logship.log;

import io.logship.format.BatchDescriptor;

import java.nio.file.Path;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Settings for one {@link SegmentedLog}: fluent setters, validated by {@link #conclude()} before the
 * log opens. Property names (for the node's config file) are the constants; defaults beside them.
 */
public final class LogConfig
{
    public static final String SEGMENT_BYTES_PROP = "logship.log.segment.bytes";
    /**
     * 128 MiB: recovery CRC-scans the whole active segment on every open, which at the several GB/s
     * CRC32C runs at costs well under a second, while retention still has fine enough steps.
     */
    public static final int SEGMENT_BYTES_DEFAULT = 128 * 1024 * 1024;
    /** Positions are int32 in the index, and the recovery scan maps a whole segment. */
    public static final int SEGMENT_BYTES_MAX = 1024 * 1024 * 1024;

    public static final String INDEX_INTERVAL_BYTES_PROP = "logship.log.index.interval.bytes";
    /** Kafka's choice: a lookup walks at most about one 4 KiB page of headers past the entry it lands on. */
    public static final int INDEX_INTERVAL_BYTES_DEFAULT = 4096;

    public static final String FSYNC_PROP = "logship.log.fsync";
    public static final FsyncPolicy FSYNC_DEFAULT = FsyncPolicy.ALWAYS;

    public static final String FSYNC_INTERVAL_MS_PROP = "logship.log.fsync.interval.ms";
    public static final long FSYNC_INTERVAL_MS_DEFAULT = 50;

    public static final String RETENTION_BYTES_PROP = "logship.log.retention.bytes";
    /** -1: no size limit. */
    public static final long RETENTION_BYTES_DEFAULT = -1;

    public static final String RETENTION_MS_PROP = "logship.log.retention.ms";
    /** -1: no age limit. */
    public static final long RETENTION_MS_DEFAULT = -1;

    private Path directory;
    private int segmentBytes = SEGMENT_BYTES_DEFAULT;
    private int indexIntervalBytes = INDEX_INTERVAL_BYTES_DEFAULT;
    private FsyncPolicy fsyncPolicy = FSYNC_DEFAULT;
    private long fsyncIntervalMs = FSYNC_INTERVAL_MS_DEFAULT;
    private long retentionBytes = RETENTION_BYTES_DEFAULT;
    private long retentionMs = RETENTION_MS_DEFAULT;
    private LongSupplier epochClockMs = System::currentTimeMillis;
    private System.Logger logger = System.getLogger("io.logship.log");

    public LogConfig directory(final Path directory)
    {
        this.directory = directory;
        return this;
    }

    public Path directory()
    {
        return directory;
    }

    public LogConfig segmentBytes(final int segmentBytes)
    {
        this.segmentBytes = segmentBytes;
        return this;
    }

    public int segmentBytes()
    {
        return segmentBytes;
    }

    public LogConfig indexIntervalBytes(final int indexIntervalBytes)
    {
        this.indexIntervalBytes = indexIntervalBytes;
        return this;
    }

    public int indexIntervalBytes()
    {
        return indexIntervalBytes;
    }

    public LogConfig fsyncPolicy(final FsyncPolicy fsyncPolicy)
    {
        this.fsyncPolicy = fsyncPolicy;
        return this;
    }

    public FsyncPolicy fsyncPolicy()
    {
        return fsyncPolicy;
    }

    public LogConfig fsyncIntervalMs(final long fsyncIntervalMs)
    {
        this.fsyncIntervalMs = fsyncIntervalMs;
        return this;
    }

    public long fsyncIntervalMs()
    {
        return fsyncIntervalMs;
    }

    public LogConfig retentionBytes(final long retentionBytes)
    {
        this.retentionBytes = retentionBytes;
        return this;
    }

    public long retentionBytes()
    {
        return retentionBytes;
    }

    public LogConfig retentionMs(final long retentionMs)
    {
        this.retentionMs = retentionMs;
        return this;
    }

    public long retentionMs()
    {
        return retentionMs;
    }

    /** Wall clock for batch timestamps, interval fsync and age retention; tests inject their own. */
    public LogConfig epochClockMs(final LongSupplier epochClockMs)
    {
        this.epochClockMs = epochClockMs;
        return this;
    }

    public LongSupplier epochClockMs()
    {
        return epochClockMs;
    }

    public LogConfig logger(final System.Logger logger)
    {
        this.logger = logger;
        return this;
    }

    public System.Logger logger()
    {
        return logger;
    }

    /** Validates every setting, naming the property, the value and the accepted range. */
    public LogConfig conclude()
    {
        Objects.requireNonNull(directory, "directory");
        check(SEGMENT_BYTES_PROP, segmentBytes, BatchDescriptor.HEADER_LENGTH * 4L, SEGMENT_BYTES_MAX);
        check(INDEX_INTERVAL_BYTES_PROP, indexIntervalBytes, 1, segmentBytes);
        Objects.requireNonNull(fsyncPolicy, FSYNC_PROP);
        check(FSYNC_INTERVAL_MS_PROP, fsyncIntervalMs, 1, 60_000);
        if (retentionBytes != -1)
        {
            check(RETENTION_BYTES_PROP, retentionBytes, 0, Long.MAX_VALUE);
        }
        if (retentionMs != -1)
        {
            check(RETENTION_MS_PROP, retentionMs, 0, Long.MAX_VALUE);
        }
        return this;
    }

    private static void check(final String property, final long value, final long min, final long max)
    {
        if (value < min || value > max)
        {
            throw new IllegalArgumentException(property + "=" + value + " is outside [" + min + ", " + max + "]");
        }
    }
}
