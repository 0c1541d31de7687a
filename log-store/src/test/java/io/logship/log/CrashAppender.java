package io.logship.log;

import io.logship.format.BatchBuilder;

import io.logship.format.BatchDescriptor;
import io.logship.format.RecordCursor;

import org.agrona.DirectBuffer;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Child process of {@link LogCrashTest}: opens the log with {@link FsyncPolicy#ALWAYS} and appends
 * deterministic batches until it is killed, printing {@code ACK <baseOffset> <n> <nextOffset>} after
 * each append has returned (so the batch is on disk). Batch {@code n} is {@code TestBatches.build(SEED, n,
 * epoch)}; {@code n} continues from the number stored in the keys of the last batch in the log, so the
 * log always holds batches 0, 1, 2, ... in order whatever earlier runs left behind.
 *
 * <p>Usage: {@code CrashAppender <log directory> <epoch>}.
 */
public final class CrashAppender
{
    static final long SEED = 0x5EED_C4A5L;
    static final int MAX_RECORDS = 4;
    static final int MAX_VALUE_BYTES = 300;

    private CrashAppender()
    {
    }

    static LogConfig config(final Path dir)
    {
        // 256 KiB: a few rolls per round for the kill to land in, without fifty rounds' worth of segments (two
        // descriptors each, all open) passing a 1,024-descriptor limit, which failed the child with EMFILE.
        return new LogConfig().directory(dir).segmentBytes(256 * 1024).indexIntervalBytes(1024)
            .fsyncPolicy(FsyncPolicy.ALWAYS);
    }

    static int build(final BatchBuilder builder, final long n, final int epoch)
    {
        return TestBatches.build(builder, SEED, n, epoch, MAX_RECORDS, MAX_VALUE_BYTES);
    }

    /** The {@code n} a batch was built from: every key is {@code key-<n>-<i>}. */
    static long batchNumber(final DirectBuffer batch, final int offset)
    {
        final RecordCursor cursor = new RecordCursor().wrap(batch, offset);
        if (!cursor.next())
        {
            throw new IllegalStateException("batch at offset " + BatchDescriptor.baseOffset(batch, offset) + " is empty");
        }
        final String key = new String(cursor.keyBytes(), StandardCharsets.UTF_8);
        return Long.parseLong(key.substring("key-".length(), key.lastIndexOf('-')));
    }

    public static void main(final String[] args) throws IOException
    {
        final Path dir = Path.of(args[0]);
        final int epoch = Integer.parseInt(args[1]);
        final FileOutputStream out = new FileOutputStream(FileDescriptor.out);
        final BatchBuilder builder = new BatchBuilder(64 * 1024);
        try (SegmentedLog log = SegmentedLog.open(config(dir)))
        {
            long n = 0;
            if (log.logEndOffset() > log.logStartOffset())
            {
                final byte[] last = TestBatches.readBatch(log, log.logEndOffset() - 1);
                n = batchNumber(new org.agrona.concurrent.UnsafeBuffer(last), 0) + 1;
            }
            // one write() per line, so a kill never leaves half a line in the pipe
            out.write(("READY " + log.logEndOffset() + " " + n + "\n").getBytes(StandardCharsets.US_ASCII));
            while (true)
            {
                final int length = build(builder, n, epoch);
                final long base = log.appendAsLeader(builder.buffer(), 0, length);
                out.write(("ACK " + base + " " + n + " " + (base + builder.recordCount()) + "\n")
                    .getBytes(StandardCharsets.US_ASCII));
                n++;
            }
        }
    }
}
