package io.logship.node.admin;

import io.logship.format.BatchBuilder;
import io.logship.format.RecordType;
import io.logship.log.LogConfig;
import io.logship.log.SegmentedLog;
import io.logship.node.read.LogReadBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The checksum behind {@code verify}, worked off in slices on the duty thread: whatever the slices' bounds, the
 * answer is the CRC32C of the range's whole batches; a slice stops after 1 MiB, or sooner once 500 µs have passed.
 */
class RangeChecksumTest
{
    private static final int BATCHES = 3_000;
    private static final int VALUE_BYTES = 480;

    @TempDir
    Path dir;

    private SegmentedLog log;
    private long logBytes;
    private long expectedCrc;
    private final long[] nowNs = {0};
    private long advancePerCallNs;

    @BeforeEach
    void fill()
    {
        log = SegmentedLog.open(new LogConfig().directory(dir.resolve("log")).conclude());
        final BatchBuilder builder = new BatchBuilder(4096);
        final UnsafeBuffer key = new UnsafeBuffer(new byte[8]);
        final UnsafeBuffer value = new UnsafeBuffer(new byte[VALUE_BYTES]);
        for (int i = 0; i < BATCHES; i++)
        {
            key.putLong(0, i);
            value.putInt(0, i);
            builder.reset(1, 0);
            assertThat(builder.append(RecordType.PUT, false, 0, 0, key, 0, 8, value, 0, VALUE_BYTES)).isTrue();
            final int length = builder.build();
            log.appendAsLeader(builder.buffer(), 0, length, false);
            logBytes += length;
        }
        // The whole log in one read is the concatenation of its batches: their CRC32C in one pass.
        final ByteBuffer all = ByteBuffer.allocateDirect((int)logBytes);
        assertThat(log.read(0, (int)logBytes, all)).isEqualTo((int)logBytes);
        all.flip();
        final CRC32C crc = new CRC32C();
        crc.update(all);
        expectedCrc = crc.getValue();
    }

    @AfterEach
    void close()
    {
        log.close();
    }

    @Test
    void shouldReadAtMostOneMebibytePerSliceWhileTimeAllows()
    {
        advancePerCallNs = 0; // time stands still: only the byte bound ends a slice
        final RangeChecksum range = new RangeChecksum(log, new LogReadBuffer(), () -> nowNs[0] += advancePerCallNs);

        final int slices = runToTheEnd(range);

        assertThat(logBytes).as("the log spans several slices").isGreaterThan(RangeChecksum.SLICE_BYTES);
        assertThat(slices).isEqualTo((int)((logBytes + RangeChecksum.SLICE_BYTES - 1) / RangeChecksum.SLICE_BYTES));
        assertWholeRange(range);
    }

    @Test
    void shouldEndASliceOnceItsTimeIsSpentAndStillChecksumTheWholeRange()
    {
        // Each clock read is 300 µs later: a slice's second read ends it (600 µs ≥ 500 µs).
        advancePerCallNs = TimeUnit.MICROSECONDS.toNanos(300);
        final RangeChecksum range = new RangeChecksum(log, new LogReadBuffer(), () -> nowNs[0] += advancePerCallNs);

        final int slices = runToTheEnd(range);

        final long perSlice = 2L * RangeChecksum.READ_BYTES;
        assertThat(slices).as("slices of two %s-byte reads", RangeChecksum.READ_BYTES)
            .isGreaterThanOrEqualTo((int)(logBytes / perSlice));
        assertWholeRange(range);
    }

    @Test
    void shouldCoverOnlyTheWholeBatchesBelowTheLimit()
    {
        final RangeChecksum range = new RangeChecksum(log, new LogReadBuffer(), () -> nowNs[0]);
        range.start(10, 20);
        while (range.slice())
        {
            // one slice is enough for ten batches
        }
        assertThat(range.coveredFrom()).isEqualTo(10);
        assertThat(range.coveredTo()).isEqualTo(20);
        assertThat(range.batchCount()).isEqualTo(10);
    }

    private int runToTheEnd(final RangeChecksum range)
    {
        range.start(0, BATCHES);
        int slices = 1;
        while (range.slice())
        {
            slices++;
        }
        return slices;
    }

    private void assertWholeRange(final RangeChecksum range)
    {
        assertThat(range.crc()).isEqualTo(expectedCrc);
        assertThat(range.batchCount()).isEqualTo(BATCHES);
        assertThat(range.byteCount()).isEqualTo(logBytes);
        assertThat(range.coveredFrom()).isZero();
        assertThat(range.coveredTo()).isEqualTo(BATCHES);
    }
}
