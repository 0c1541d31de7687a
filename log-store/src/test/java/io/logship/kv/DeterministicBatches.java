package io.logship.kv;

import io.logship.format.BatchBuilder;
import io.logship.format.BatchDescriptor;
import io.logship.format.RecordType;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A log whose every batch is a pure function of (seed, batch index): PUTs, DELETEs, NOOPs and
 * idempotent PUTs over a bounded key space, so keys are overwritten and deleted again and again.
 * Batch {@code i} holds offsets {@code [i * RECORDS_PER_BATCH, (i + 1) * RECORDS_PER_BATCH)}. Tests use
 * it as the log to replay and to compute the expected store at any offset. Not thread-safe.
 */
final class DeterministicBatches
{
    static final int RECORDS_PER_BATCH = 32;
    static final int CLIENTS = 8;

    /** One generated operation, as the model sees it. */
    interface Sink
    {
        void record(RecordType type, int keyIndex, byte[] value, boolean idempotent, long clientId, long sequence, long offset);
    }

    private final long seed;
    private final int keySpace;
    private final BatchBuilder builder = new BatchBuilder(64 * 1024);

    DeterministicBatches(final long seed, final int keySpace)
    {
        this.seed = seed;
        this.keySpace = keySpace;
    }

    int keySpace()
    {
        return keySpace;
    }

    static byte[] key(final int keyIndex)
    {
        return ("key-" + keyIndex).getBytes(StandardCharsets.US_ASCII);
    }

    static long baseOffset(final long batchIndex)
    {
        return batchIndex * RECORDS_PER_BATCH;
    }

    /** Builds batch {@code batchIndex}, base offset stamped, in a buffer reused by the next call. */
    UnsafeBuffer batch(final long batchIndex)
    {
        builder.reset(1, batchIndex);
        generate(batchIndex, (type, keyIndex, value, idempotent, clientId, sequence, offset) ->
        {
            final UnsafeBuffer key = new UnsafeBuffer(key(keyIndex));
            final UnsafeBuffer valueBuffer = new UnsafeBuffer(null == value ? new byte[0] : value);
            builder.append(type, idempotent, clientId, sequence, key, 0, RecordType.NOOP == type ? 0 : key.capacity(),
                valueBuffer, 0, valueBuffer.capacity());
        });
        builder.build();
        BatchDescriptor.baseOffset(builder.buffer(), 0, baseOffset(batchIndex));
        return builder.buffer();
    }

    void generate(final long batchIndex, final Sink sink)
    {
        final SplittableRandom random = new SplittableRandom(seed * 1_000_003L + batchIndex);
        final long base = baseOffset(batchIndex);
        for (int i = 0; i < RECORDS_PER_BATCH; i++)
        {
            final long offset = base + i;
            final int keyIndex = random.nextInt(keySpace);
            final int dice = random.nextInt(100);
            if (dice < 60)
            {
                sink.record(RecordType.PUT, keyIndex, value(random, offset), false, 0, 0, offset);
            }
            else if (dice < 85)
            {
                sink.record(RecordType.DELETE, keyIndex, null, false, 0, 0, offset);
            }
            else if (dice < 90)
            {
                sink.record(RecordType.NOOP, keyIndex, null, false, 0, 0, offset);
            }
            else
            {
                // Sequence = offset keeps each client's sequences increasing, as a real client's are.
                sink.record(RecordType.PUT, keyIndex, value(random, offset), true, random.nextInt(CLIENTS), offset, offset);
            }
        }
    }

    private static byte[] value(final SplittableRandom random, final long offset)
    {
        final byte[] value = new byte[1 + random.nextInt(100)];
        random.nextBytes(value);
        value[0] = (byte)offset;
        return value;
    }

    /** The expected store after applying every offset below {@code appliedOffset} (a batch boundary). */
    Model modelAt(final long appliedOffset)
    {
        final Model model = new Model();
        for (long batch = 0; baseOffset(batch) < appliedOffset; batch++)
        {
            generate(batch, model);
        }
        return model;
    }

    /** In-memory expectation of the store: values by key index, dedup by client id. */
    static final class Model implements Sink
    {
        final Map<Integer, byte[]> values = new HashMap<>();
        final Map<Long, long[]> dedup = new HashMap<>();

        @Override
        public void record(final RecordType type, final int keyIndex, final byte[] value, final boolean idempotent,
            final long clientId, final long sequence, final long offset)
        {
            if (RecordType.PUT == type)
            {
                values.put(keyIndex, value);
            }
            else if (RecordType.DELETE == type)
            {
                values.remove(keyIndex);
            }
            if (idempotent)
            {
                dedup.put(clientId, new long[] {sequence, offset});
            }
        }
    }
}
