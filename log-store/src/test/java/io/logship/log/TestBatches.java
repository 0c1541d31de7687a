package io.logship.log;

import io.logship.format.BatchBuilder;

import io.logship.format.BatchDescriptor;

import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;

/**
 * Deterministic batches for tests: the content of batch {@code n} of a seed is a pure function of
 * (seed, n, epoch), so a test (or a process that was killed) can regenerate and compare it.
 */
final class TestBatches
{
    private TestBatches()
    {
    }

    /** Builds batch {@code n}: 1..maxRecords PUT records with keys key-{n}-{i} and pseudo-random values. */
    static int build(final BatchBuilder builder, final long seed, final long n, final int epoch, final int maxRecords,
        final int maxValueBytes)
    {
        final Random random = new Random(seed * 1_000_003L + n);
        builder.reset(epoch, 1_700_000_000_000L + n);
        final int records = 1 + random.nextInt(maxRecords);
        for (int i = 0; i < records; i++)
        {
            final byte[] key = ("key-" + n + "-" + i).getBytes(StandardCharsets.UTF_8);
            final byte[] value = new byte[random.nextInt(maxValueBytes + 1)];
            random.nextBytes(value);
            if (!builder.put(key, value))
            {
                break;
            }
        }
        return builder.build();
    }

    static byte[] copy(final UnsafeBuffer buffer, final int length)
    {
        final byte[] bytes = new byte[length];
        buffer.getBytes(0, bytes);
        return bytes;
    }

    /** Bytes of the batch read back at {@code offset}, or null at the log end. */
    static byte[] readBatch(final SegmentedLog log, final long offset)
    {
        final ByteBuffer dst = ByteBuffer.allocate(BatchDescriptor.MAX_BATCH_LENGTH);
        final int read = log.read(offset, 1, dst);
        if (read == 0)
        {
            return null;
        }
        final byte[] bytes = new byte[read];
        dst.flip().get(bytes);
        return bytes;
    }
}
