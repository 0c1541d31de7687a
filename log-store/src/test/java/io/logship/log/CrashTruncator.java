package io.logship.log;

import io.logship.format.BatchBuilder;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Random;

/**
 * Child process of {@link LogCrashTest}: over and over, appends enough batches to fill a couple of
 * hundred tiny segments, then truncates most of them away, until it is killed. Batch numbering works
 * as in {@link CrashAppender} (the log always holds batches 0, 1, 2, ... in order), so the parent can
 * check any state a kill leaves behind.
 *
 * <p>Usage: {@code CrashTruncator <log directory> <seed>}.
 */
public final class CrashTruncator
{
    static final long SEED = 0x7E0CA7EL;
    static final int MAX_RECORDS = 3;
    static final int MAX_VALUE_BYTES = 100;
    static final int BATCHES_PER_CYCLE = 200;

    private CrashTruncator()
    {
    }

    /** Segments of about two batches; INTERVAL fsync, as a kill (unlike power loss) keeps the page cache. */
    static LogConfig config(final Path dir)
    {
        return new LogConfig().directory(dir).segmentBytes(1024).indexIntervalBytes(256)
            .fsyncPolicy(FsyncPolicy.INTERVAL).fsyncIntervalMs(60_000);
    }

    static int build(final BatchBuilder builder, final long n)
    {
        return TestBatches.build(builder, SEED, n, 1, MAX_RECORDS, MAX_VALUE_BYTES);
    }

    public static void main(final String[] args) throws IOException
    {
        final Path dir = Path.of(args[0]);
        final Random random = new Random(Long.parseLong(args[1]));
        final FileOutputStream out = new FileOutputStream(FileDescriptor.out);
        final BatchBuilder builder = new BatchBuilder(64 * 1024);
        try (SegmentedLog log = SegmentedLog.open(config(dir)))
        {
            out.write(("READY " + log.logEndOffset() + "\n").getBytes(StandardCharsets.US_ASCII));
            while (true)
            {
                long n = nextBatchNumber(log);
                for (int i = 0; i < BATCHES_PER_CYCLE; i++)
                {
                    final int length = build(builder, n++);
                    log.appendAsLeader(builder.buffer(), 0, length);
                }
                final long start = log.logStartOffset();
                final long span = log.logEndOffset() - start;
                log.truncateTo(start + span / 8 + random.nextInt((int)(span / 8) + 1));
            }
        }
    }

    private static long nextBatchNumber(final SegmentedLog log)
    {
        if (log.logEndOffset() == log.logStartOffset())
        {
            return 0;
        }
        final byte[] last = TestBatches.readBatch(log, log.logEndOffset() - 1);
        return CrashAppender.batchNumber(new org.agrona.concurrent.UnsafeBuffer(last), 0) + 1;
    }
}
