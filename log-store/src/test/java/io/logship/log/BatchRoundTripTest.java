package io.logship.log;

import io.logship.format.BatchBuilder;

import io.logship.format.BatchDescriptor;
import io.logship.format.RecordDescriptor;
import io.logship.format.RecordType;
import io.logship.format.RecordCursor;

import io.logship.LogshipException;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BatchRoundTripTest
{
    @TempDir
    Path dir;

    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static int buildMixedBatch(final BatchBuilder builder)
    {
        builder.reset(9, 1_700_000_000_123L).flags(BatchDescriptor.FLAG_EPOCH_START);
        assertThat(builder.put(bytes("alpha"), bytes("one"))).isTrue();
        assertThat(builder.delete(bytes("beta"))).isTrue();
        assertThat(builder.noop()).isTrue();
        final UnsafeBuffer key = new UnsafeBuffer(bytes("gamma"));
        final UnsafeBuffer value = new UnsafeBuffer(new byte[0]);
        assertThat(builder.append(RecordType.PUT, true, 77L, 12345L, key, 0, 5, value, 0, 0)).isTrue();
        assertThat(builder.put(new byte[0], bytes("empty key"))).isTrue();
        return builder.build();
    }

    private static void assertMixedRecords(final UnsafeBuffer batch, final long baseOffset)
    {
        assertThat(BatchDescriptor.validate(batch, 0, BatchDescriptor.length(batch, 0))).isNull();
        assertThat(BatchDescriptor.epoch(batch, 0)).isEqualTo(9);
        assertThat(BatchDescriptor.recordCount(batch, 0)).isEqualTo(5);
        assertThat(BatchDescriptor.firstTimestamp(batch, 0)).isEqualTo(1_700_000_000_123L);
        assertThat(BatchDescriptor.flags(batch, 0)).isEqualTo(BatchDescriptor.FLAG_EPOCH_START);
        assertThat(BatchDescriptor.nextOffset(batch, 0)).isEqualTo(baseOffset + 5);

        final RecordCursor cursor = new RecordCursor().wrap(batch, 0);
        assertThat(cursor.next()).isTrue();
        assertThat(cursor.offset()).isEqualTo(baseOffset);
        assertThat(cursor.type()).isEqualTo(RecordType.PUT);
        assertThat(cursor.idempotent()).isFalse();
        assertThat(cursor.keyBytes()).isEqualTo(bytes("alpha"));
        assertThat(cursor.valueBytes()).isEqualTo(bytes("one"));

        assertThat(cursor.next()).isTrue();
        assertThat(cursor.offset()).isEqualTo(baseOffset + 1);
        assertThat(cursor.type()).isEqualTo(RecordType.DELETE);
        assertThat(cursor.keyBytes()).isEqualTo(bytes("beta"));
        assertThat(cursor.valueLength()).isZero();

        assertThat(cursor.next()).isTrue();
        assertThat(cursor.type()).isEqualTo(RecordType.NOOP);
        assertThat(cursor.keyLength()).isZero();
        assertThat(cursor.valueLength()).isZero();

        assertThat(cursor.next()).isTrue();
        assertThat(cursor.offset()).isEqualTo(baseOffset + 3);
        assertThat(cursor.type()).isEqualTo(RecordType.PUT);
        assertThat(cursor.idempotent()).isTrue();
        assertThat(cursor.clientId()).isEqualTo(77L);
        assertThat(cursor.sequence()).isEqualTo(12345L);
        assertThat(cursor.keyBytes()).isEqualTo(bytes("gamma"));
        assertThat(cursor.valueLength()).isZero();

        assertThat(cursor.next()).isTrue();
        assertThat(cursor.idempotent()).isFalse();
        assertThat(cursor.clientId()).isZero();
        assertThat(cursor.keyLength()).isZero();
        assertThat(cursor.valueBytes()).isEqualTo(bytes("empty key"));

        assertThat(cursor.next()).isFalse();
    }

    @Test
    void shouldReadBackEveryRecordTypeAndIdempotentIdentity()
    {
        final BatchBuilder builder = new BatchBuilder(4096);
        buildMixedBatch(builder);
        assertMixedRecords(builder.buffer(), 0);
    }

    @Test
    void shouldReadBackTheSameRecordsThroughTheLogAtTheirOffsets()
    {
        final BatchBuilder builder = new BatchBuilder(4096);
        try (SegmentedLog log = SegmentedLog.open(new LogConfig().directory(dir).logger(new CapturingLogger())))
        {
            final int first = TestBatches.build(builder, 1, 0, 9, 7, 10);
            log.appendAsLeader(builder.buffer(), 0, first);
            final long base = log.logEndOffset();
            final int length = buildMixedBatch(builder);
            assertThat(log.appendAsLeader(builder.buffer(), 0, length)).isEqualTo(base);
            final ByteBuffer dst = ByteBuffer.allocate(4096);
            assertThat(log.read(base + 4, 1, dst)).isEqualTo(length);
            assertMixedRecords(new UnsafeBuffer(dst.array(), 0, length), base);
        }
    }

    @Test
    void shouldRejectOversizedKeyNamingLengthAndLimitAndChangeNothing()
    {
        final BatchBuilder builder = new BatchBuilder(1024 * 1024 + 4096);
        builder.reset(1, 0);
        final byte[] key = new byte[RecordDescriptor.MAX_KEY_LENGTH + 1];
        assertThatThrownBy(() -> builder.put(key, bytes("v"))).isInstanceOf(IllegalArgumentException.class)
            .hasMessage("key length 1025 outside [0, 1024]");
        assertThat(builder.recordCount()).isZero();
        assertThat(builder.length()).isEqualTo(BatchDescriptor.HEADER_LENGTH);
        assertThat(builder.put(new byte[RecordDescriptor.MAX_KEY_LENGTH], bytes("v"))).isTrue();
    }

    @Test
    void shouldRejectOversizedValueNamingLengthAndLimitAndChangeNothing()
    {
        final BatchBuilder builder = new BatchBuilder(2 * 1024 * 1024);
        builder.reset(1, 0);
        final byte[] value = new byte[RecordDescriptor.MAX_VALUE_LENGTH + 1];
        assertThatThrownBy(() -> builder.put(bytes("k"), value)).isInstanceOf(IllegalArgumentException.class)
            .hasMessage("value length 1048577 outside [0, 1048576]");
        assertThat(builder.recordCount()).isZero();
        assertThat(builder.put(bytes("k"), new byte[RecordDescriptor.MAX_VALUE_LENGTH])).isTrue();
    }

    @Test
    void shouldRefuseRecordThatDoesNotFitWithoutChangingTheBatch()
    {
        final BatchBuilder builder = new BatchBuilder(128);
        builder.reset(1, 0);
        assertThat(builder.put(bytes("k"), new byte[40])).isTrue();
        final int length = builder.length();
        assertThat(builder.put(bytes("k"), new byte[100])).isFalse();
        assertThat(builder.length()).isEqualTo(length);
        assertThat(builder.recordCount()).isEqualTo(1);
    }

    @Test
    void shouldRefuseToBuildAnEmptyBatch()
    {
        final BatchBuilder builder = new BatchBuilder(128);
        assertThatThrownBy(builder::build).isInstanceOf(IllegalStateException.class)
            .hasMessage("cannot build an empty batch");
    }

    @Test
    void shouldFailLoudlyOnRecordsThatOverrunTheirBatch()
    {
        final BatchBuilder builder = new BatchBuilder(256);
        builder.reset(1, 0);
        builder.put(bytes("key"), bytes("value"));
        builder.build();
        final UnsafeBuffer batch = builder.buffer();
        // key length claims more bytes than the batch holds
        batch.putInt(BatchDescriptor.HEADER_LENGTH + RecordDescriptor.FIXED_HEADER_LENGTH, 200,
            BatchDescriptor.BYTE_ORDER);
        final RecordCursor cursor = new RecordCursor().wrap(batch, 0);
        assertThatThrownBy(cursor::next).isInstanceOf(LogshipException.class)
            .hasMessageContaining("malformed record 0 in batch at offset 0").hasMessageContaining("overruns the batch");
    }
}
