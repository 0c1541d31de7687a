package io.logship.node.dedup;

import io.logship.format.BatchBuilder;
import io.logship.format.RecordType;
import io.logship.kv.KeyValueStore;
import io.logship.log.FsyncPolicy;
import io.logship.log.LogConfig;
import io.logship.log.SegmentedLog;
import io.logship.node.read.BatchIterator;
import io.logship.node.read.LogReadBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A real {@link SegmentedLog} with small segments, written the way the leader's journal writes it (batches of
 * idempotent PUTs), remembering where each (client id, sequence) landed.
 */
final class IdempotentLogFixture implements AutoCloseable
{
    /** Small, so a few hundred records span many segments. */
    static final int SEGMENT_BYTES = 4096;
    static final int EPOCH = 1;

    final SegmentedLog log;
    /** {offset, clientId, sequence} of every idempotent record, in log order. */
    final List<long[]> records = new ArrayList<>();
    private final BatchBuilder builder = new BatchBuilder(SEGMENT_BYTES / 2);
    private final UnsafeBuffer key = new UnsafeBuffer(new byte[64]);
    private final UnsafeBuffer value = new UnsafeBuffer(new byte[64]);

    IdempotentLogFixture(final Path directory)
    {
        log = SegmentedLog.open(new LogConfig().directory(directory).segmentBytes(SEGMENT_BYTES)
            .indexIntervalBytes(256).fsyncPolicy(FsyncPolicy.ALWAYS).conclude());
    }

    /** Appends one batch holding one idempotent PUT per (clientId, sequence) pair; returns its base offset. */
    long appendBatch(final long... clientIdSequencePairs)
    {
        builder.reset(EPOCH, System.currentTimeMillis());
        for (int i = 0; i < clientIdSequencePairs.length; i += 2)
        {
            final long clientId = clientIdSequencePairs[i];
            final long sequence = clientIdSequencePairs[i + 1];
            final int keyLength = key.putStringWithoutLengthAscii(0, "key-" + clientId + "-" + sequence);
            final int valueLength = value.putStringWithoutLengthAscii(0, "value of sequence " + sequence);
            if (!builder.append(RecordType.PUT, true, clientId, sequence, key, 0, keyLength, value, 0, valueLength))
            {
                throw new IllegalStateException("batch of " + clientIdSequencePairs.length / 2 + " records too big");
            }
        }
        final int length = builder.build();
        final long baseOffset = log.appendAsLeader(builder.buffer(), 0, length);
        for (int i = 0; i < clientIdSequencePairs.length; i += 2)
        {
            records.add(new long[] {baseOffset + i / 2, clientIdSequencePairs[i], clientIdSequencePairs[i + 1]});
        }
        return baseOffset;
    }

    long offsetOf(final long clientId, final long sequence)
    {
        for (final long[] record : records)
        {
            if (record[1] == clientId && record[2] == sequence)
            {
                return record[0];
            }
        }
        throw new AssertionError("no record of client " + clientId + " sequence " + sequence + " was appended");
    }

    /** Applies the log from the store's applied offset up to {@code toOffset} (whole batches), as the apply thread does. */
    void applyTo(final KeyValueStore store, final long toOffset)
    {
        final LogReadBuffer staging = new LogReadBuffer();
        while (store.appliedOffset() < toOffset)
        {
            final int length = staging.read(log, store.appliedOffset(), 64 * 1024);
            if (length == 0)
            {
                return;
            }
            final BatchIterator batches = staging.batches(length);
            while (batches.next() && batches.baseOffset() < toOffset)
            {
                store.apply(staging.buffer(), batches.position());
            }
        }
    }

    @Override
    public void close()
    {
        log.close();
    }
}
