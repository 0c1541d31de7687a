package io.logship.perf;

import io.logship.format.BatchBuilder;
import io.logship.log.FsyncPolicy;
import io.logship.log.LogConfig;
import io.logship.log.SegmentedLog;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.file.Path;

/**
 * The log and the pre-built batch behind {@link LogAppendBenchmark} and
 * {@link LogAppendLatencyBenchmark}. Each measurement or warm-up iteration appends to a fresh, empty
 * log; the directory is deleted when the iteration ends.
 *
 * <p>Disk use is bounded: segments are {@value #SEGMENT_BYTES} bytes and, once more than
 * {@value #MAX_SEGMENTS} exist, retention (limit {@value #RETENTION_BYTES} bytes) deletes the oldest,
 * so one log holds at most about 2 GiB whatever the append rate. Rolling a segment forces it to disk
 * and retention deletes files; both happen inside the measured appends (every 512 MiB), as they
 * would in a running node.
 */
final class AppendFixture
{
    static final int SEGMENT_BYTES = 512 * 1024 * 1024;
    static final long RETENTION_BYTES = 1024L * 1024 * 1024;
    static final int MAX_SEGMENTS = 3;
    /** {@link LogConfig#conclude()}'s largest interval: the "NONE" case never reaches it in a 10 s iteration. */
    static final long NO_FSYNC_INTERVAL_MS = 60_000;

    private final Path baseDir;
    private final FsyncMode fsync;
    private final BatchBuilder builder;
    private final UnsafeBuffer batch;
    private final int batchLength;
    private final int recordsPerBatch;
    private SegmentedLog log;
    private Path logDir;
    private int iteration;

    AppendFixture(final String name, final int valueBytes, final int recordsPerBatch, final FsyncMode fsync)
    {
        this.fsync = fsync;
        this.recordsPerBatch = recordsPerBatch;
        this.baseDir = PerfFiles.newTempDir(name + "-");
        this.builder = new BatchBuilder(PerfFiles.batchCapacity(recordsPerBatch, valueBytes));
        final UnsafeBuffer key = new UnsafeBuffer(new byte[PerfFiles.KEY_BYTES]);
        this.batchLength = PerfFiles.buildBatch(builder, recordsPerBatch, valueBytes, key,
            PerfFiles.patternValue(valueBytes));
        this.batch = builder.buffer();
        System.out.println("# batch: " + recordsPerBatch + " records x (" + PerfFiles.KEY_BYTES + " B key + " +
            valueBytes + " B value) = " + batchLength + " bytes; fsync " + fsync +
            "; bytes/s = ops/s x " + batchLength);
    }

    void openFreshLog()
    {
        logDir = baseDir.resolve("log-" + iteration++);
        final LogConfig config = new LogConfig()
            .directory(logDir)
            .segmentBytes(SEGMENT_BYTES)
            .retentionBytes(RETENTION_BYTES)
            .logger(new QuietLogger());
        switch (fsync)
        {
            case ALWAYS:
                config.fsyncPolicy(FsyncPolicy.ALWAYS);
                break;
            case INTERVAL:
                config.fsyncPolicy(FsyncPolicy.INTERVAL);
                break;
            case NONE:
                config.fsyncPolicy(FsyncPolicy.INTERVAL).fsyncIntervalMs(NO_FSYNC_INTERVAL_MS);
                break;
            default:
                throw new IllegalStateException(fsync.name());
        }
        log = SegmentedLog.open(config.conclude());
    }

    /** Appends the pre-built batch once (the log re-stamps its base offset); returns the base offset. */
    long append()
    {
        final SegmentedLog log = this.log;
        final long baseOffset = log.appendAsLeader(batch, 0, batchLength);
        if (log.segmentCount() > MAX_SEGMENTS)
        {
            log.applyRetention(System.currentTimeMillis(), Long.MAX_VALUE);
        }
        return baseOffset;
    }

    int batchLength()
    {
        return batchLength;
    }

    int recordsPerBatch()
    {
        return recordsPerBatch;
    }

    void closeAndDeleteLog()
    {
        if (null != log)
        {
            log.close();
            log = null;
        }
        PerfFiles.deleteRecursively(logDir);
    }

    void deleteAll()
    {
        closeAndDeleteLog();
        PerfFiles.deleteRecursively(baseDir);
    }
}
