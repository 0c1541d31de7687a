package io.logship.log;

import io.logship.format.BatchBuilder;

import io.logship.format.BatchDescriptor;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SegmentedLogTest
{
    @TempDir
    Path dir;

    private LogConfig config()
    {
        return new LogConfig().directory(dir).segmentBytes(64 * 1024).indexIntervalBytes(1024);
    }

    @Test
    void shouldAssignDenseOffsetsAndReadBatchesBackByteForByte()
    {
        final BatchBuilder builder = new BatchBuilder(64 * 1024);
        final List<byte[]> written = new ArrayList<>();
        final List<Long> bases = new ArrayList<>();
        try (SegmentedLog log = SegmentedLog.open(config()))
        {
            long expected = 0;
            for (int n = 0; n < 200; n++)
            {
                final int length = TestBatches.build(builder, 1, n, 1, 20, 100);
                final long base = log.appendAsLeader(builder.buffer(), 0, length);
                assertThat(base).isEqualTo(expected);
                expected += builder.recordCount();
                written.add(TestBatches.copy(builder.buffer(), length));
                bases.add(base);
            }
            assertThat(log.logEndOffset()).isEqualTo(expected);
            assertThat(log.durableEndOffset()).isEqualTo(expected);
            assertThat(log.segmentCount()).isGreaterThan(1);
            for (int n = 0; n < written.size(); n++)
            {
                assertThat(TestBatches.readBatch(log, bases.get(n))).isEqualTo(written.get(n));
            }
        }
        try (SegmentedLog log = SegmentedLog.open(config()))
        {
            for (int n = 0; n < written.size(); n++)
            {
                assertThat(TestBatches.readBatch(log, bases.get(n))).isEqualTo(written.get(n));
                // any offset inside a batch finds that batch
                assertThat(TestBatches.readBatch(log, bases.get(n) + (n % 3 == 0 ? 0 : 1)))
                    .isEqualTo(n % 3 == 0 || n + 1 == written.size() || bases.get(n) + 1 < bases.get(n + 1) ?
                        written.get(n) : written.get(n + 1));
            }
        }
    }

    @Test
    void shouldCopyBatchesOutWithoutAllocatingPerReadOnceWarm()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
        final BatchBuilder builder = new BatchBuilder(64 * 1024);
        try (SegmentedLog log = SegmentedLog.open(config()))
        {
            final List<Long> bases = new ArrayList<>();
            for (int n = 0; n < 50; n++)
            {
                final int length = TestBatches.build(builder, 3, n, 1, 20, 100);
                bases.add(log.appendAsLeader(builder.buffer(), 0, length));
            }
            final long[] from = bases.stream().mapToLong(Long::longValue).toArray();
            final ByteBuffer direct = ByteBuffer.allocateDirect(64 * 1024);
            final ByteBuffer heap = ByteBuffer.allocate(64 * 1024);
            long copied = 0;
            long allocated = 0;
            for (final ByteBuffer dst : new ByteBuffer[]{direct, heap})
            {
                for (int warm = 0; warm < 2_000; warm++)
                {
                    copied += log.read(from[warm % from.length], 8 * 1024, dst.clear());
                }
                final long before = threads.getCurrentThreadAllocatedBytes();
                for (int n = 0; n < 1_000; n++)
                {
                    copied += log.read(from[n % from.length], 8 * 1024, dst.clear());
                }
                allocated += threads.getCurrentThreadAllocatedBytes() - before;
            }
            assertThat(copied).isPositive();
            // What is left is the segment lookup (ConcurrentSkipListMap.floorEntry: the boxed key, and its entry
            // until the JIT removes it): at most 40 bytes a read, where each read allocated about 300 before.
            assertThat(allocated / 2_000).as("bytes allocated per checked read").isLessThanOrEqualTo(48);
        }
    }

    @Test
    void shouldShipWholeBatchesWithZeroCopy()
    {
        final BatchBuilder builder = new BatchBuilder(64 * 1024);
        try (SegmentedLog log = SegmentedLog.open(config()))
        {
            final ByteArrayOutputStream expected = new ByteArrayOutputStream();
            for (int n = 0; n < 5; n++)
            {
                final int length = TestBatches.build(builder, 2, n, 1, 5, 50);
                log.appendAsLeader(builder.buffer(), 0, length);
                expected.writeBytes(TestBatches.copy(builder.buffer(), length));
            }
            final LogSlice slice = log.slice(0, Integer.MAX_VALUE);
            final ByteArrayOutputStream sent = new ByteArrayOutputStream();
            assertThat(log.transferTo(slice, Channels.newChannel(sent))).isEqualTo(slice.lengthBytes());
            assertThat(sent.toByteArray()).isEqualTo(expected.toByteArray());
            assertThat(slice.nextOffset()).isEqualTo(log.logEndOffset());
            assertThat(log.slice(log.logEndOffset(), 100).isEmpty()).isTrue();
        }
    }

    @Test
    void shouldReturnAtLeastOneWholeBatchEvenWhenLargerThanMaxBytes()
    {
        final BatchBuilder builder = new BatchBuilder(64 * 1024);
        try (SegmentedLog log = SegmentedLog.open(config()))
        {
            final int length = TestBatches.build(builder, 3, 0, 1, 50, 500);
            log.appendAsLeader(builder.buffer(), 0, length);
            final LogSlice slice = log.slice(0, 10);
            assertThat(slice.lengthBytes()).isEqualTo(length);
        }
    }

    @Test
    void shouldRefuseOffsetsOutsideTheLog()
    {
        try (SegmentedLog log = SegmentedLog.open(config()))
        {
            assertThatThrownBy(() -> log.slice(1, 100)).isInstanceOf(OffsetOutOfRangeException.class)
                .hasMessageContaining("offset 1 is outside the log [0, 0]");
        }
    }

    @Test
    void shouldRefuseFollowerBatchThatDoesNotFollowTheLogEnd()
    {
        final BatchBuilder builder = new BatchBuilder(4096);
        try (SegmentedLog log = SegmentedLog.open(config()))
        {
            final int length = TestBatches.build(builder, 4, 0, 1, 3, 10);
            BatchDescriptor.baseOffset(builder.buffer(), 0, 5);
            assertThatThrownBy(() -> log.appendAsFollower(builder.buffer(), 0, length))
                .isInstanceOf(InvalidBatchException.class)
                .hasMessageContaining("batch base offset 5 does not follow the log end 0");
            assertThat(log.logEndOffset()).isZero();
        }
    }

    @Test
    void shouldRefuseFollowerBatchWithBadChecksum()
    {
        final BatchBuilder builder = new BatchBuilder(4096);
        try (SegmentedLog log = SegmentedLog.open(config()))
        {
            final int length = TestBatches.build(builder, 5, 0, 1, 3, 10);
            final UnsafeBuffer buffer = builder.buffer();
            buffer.putByte(length - 1, (byte)(buffer.getByte(length - 1) ^ 0x40));
            assertThatThrownBy(() -> log.appendAsFollower(buffer, 0, length))
                .isInstanceOf(InvalidBatchException.class)
                .hasMessageContaining("CRC32C stored");
            assertThat(log.logEndOffset()).isZero();
            assertThat(log.sizeBytes()).isZero();
        }
    }

    @Test
    void shouldRefuseBatchFromOlderEpoch()
    {
        final BatchBuilder builder = new BatchBuilder(4096);
        try (SegmentedLog log = SegmentedLog.open(config()))
        {
            int length = TestBatches.build(builder, 6, 0, 3, 3, 10);
            log.appendAsLeader(builder.buffer(), 0, length);
            length = TestBatches.build(builder, 6, 1, 2, 3, 10);
            final int stale = length;
            assertThatThrownBy(() -> log.appendAsLeader(builder.buffer(), 0, stale))
                .isInstanceOf(InvalidBatchException.class)
                .hasMessageContaining("batch epoch 2 is older than the log's latest epoch 3");
        }
    }

    @Test
    void shouldRefuseSecondOpenOfTheSameDirectory()
    {
        try (SegmentedLog log = SegmentedLog.open(config()))
        {
            assertThatThrownBy(() -> SegmentedLog.open(config()))
                .hasMessageContaining("is already open in this process");
        }
    }

    @Test
    void shouldVerifyChecksumsOnTheCopyingReadPath()
    {
        final BatchBuilder builder = new BatchBuilder(4096);
        try (SegmentedLog log = SegmentedLog.open(config()))
        {
            final int length = TestBatches.build(builder, 7, 0, 1, 3, 10);
            log.appendAsLeader(builder.buffer(), 0, length);
            final ByteBuffer dst = ByteBuffer.allocate(10);
            assertThatThrownBy(() -> log.read(0, 10, dst)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot hold the batch");
        }
    }
}
