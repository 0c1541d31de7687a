package io.logship.node.pipeline;

import io.logship.format.BatchBuilder;
import io.logship.format.BatchDescriptor;
import io.logship.format.RecordCursor;
import io.logship.format.RecordDescriptor;
import io.logship.format.RecordType;
import io.logship.log.FsyncPolicy;
import io.logship.log.LogConfig;
import io.logship.log.SegmentedLog;
import io.logship.transport.codec.AckLevel;
import io.logship.transport.codec.MessageHeaderEncoder;
import io.logship.transport.codec.WriteBatchRequestEncoder;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client's batch in one ring slot ({@link WriteEvent#KIND_WRITE_BATCH}, and {@link WriteEvent#KIND_LOG_BATCH}
 * as the client encoded it in the log's format) through {@link JournalHandler} over a
 * real {@link SegmentedLog}: its records go into one log batch, whole or not at all, with the client's id and
 * sequences, and the event carries its last record's offset.
 */
class JournalClientBatchTest
{
    private static final System.Logger LOGGER = System.getLogger(JournalClientBatchTest.class.getName());
    private static final int RING_SIZE = 64;
    private static final long CLIENT_ID = 77;

    @TempDir
    Path dir;

    private SegmentedLog log;
    private JournalHandler handler;
    private final AtomicInteger leadingEpoch = new AtomicInteger(1);
    private long ringSequence;

    @AfterEach
    void close()
    {
        if (null != log)
        {
            log.close();
        }
    }

    @ParameterizedTest
    @ValueSource(bytes = {WriteEvent.KIND_WRITE_BATCH, WriteEvent.KIND_LOG_BATCH})
    void shouldAppendAClientBatchAsOneLogBatchBehindPendingRecordsWithConsecutiveOffsets(final byte kind)
    {
        start(64 * 1024);
        final WriteEvent single = write("solo", "first", false);
        final WriteEvent batch = clientBatch(kind, 1000, 5, 100);
        handler.onEvent(batch, ringSequence++, true);

        assertThat(single.result).as("single: %s", single.error).isEqualTo(WriteEvent.RESULT_APPENDED);
        assertThat(single.offset).isZero();
        assertThat(batch.result).as("batch: %s", batch.error).isEqualTo(WriteEvent.RESULT_APPENDED);
        assertThat(batch.offset).as("the last record's offset").isEqualTo(5);
        assertThat(batch.epoch).isEqualTo(1);
        assertThat(handler.batchesAppended()).isEqualTo(1);
        assertThat(handler.recordsAppended()).isEqualTo(6);

        final List<List<String>> batches = readLog();
        assertThat(batches).hasSize(1);
        final List<String> records = batches.get(0);
        assertThat(records).hasSize(6);
        assertThat(records.get(0)).isEqualTo("0 PUT plain solo=first");
        for (int i = 0; i < 5; i++)
        {
            final String type = i % 2 == 0 ? "PUT" : "DELETE";
            final String value = i % 2 == 0 ? "v" + i + "x".repeat(98) : "";
            assertThat(records.get(1 + i)).isEqualTo((1 + i) + " " + type + " " + CLIENT_ID + "/" + (1000 + i) +
                " k" + i + "=" + value);
        }
    }

    @ParameterizedTest
    @ValueSource(bytes = {WriteEvent.KIND_WRITE_BATCH, WriteEvent.KIND_LOG_BATCH})
    void shouldStartANewLogBatchWhenTheClientBatchDoesNotFitBehindPendingRecords(final byte kind)
    {
        start(1024);
        final WriteEvent single = write("solo", "y".repeat(600), false);
        final WriteEvent batch = clientBatch(kind, 1, 3, 200);
        assertThat(BatchDescriptor.HEADER_LENGTH + batch.batchRecordsLength).as("fits an empty log batch")
            .isLessThanOrEqualTo(1024);
        handler.onEvent(batch, ringSequence++, true);

        assertThat(single.offset).isZero();
        assertThat(batch.result).as("batch: %s", batch.error).isEqualTo(WriteEvent.RESULT_APPENDED);
        assertThat(batch.offset).isEqualTo(3);
        final List<List<String>> batches = readLog();
        assertThat(batches).extracting(List::size).containsExactly(1, 3);
        assertThat(batches.get(1).get(0)).startsWith("1 PUT " + CLIENT_ID + "/1 k0=");
        assertThat(batches.get(1).get(2)).startsWith("3 PUT " + CLIENT_ID + "/3 k2=");
    }

    @ParameterizedTest
    @ValueSource(bytes = {WriteEvent.KIND_WRITE_BATCH, WriteEvent.KIND_LOG_BATCH})
    void shouldFailTheWholeClientBatchWhenTheEpochChangesBeforeItIsAppended(final byte kind)
    {
        start(64 * 1024);
        final WriteEvent batch = clientBatch(kind, 1, 4, 50);
        handler.onEvent(batch, ringSequence++, false);
        leadingEpoch.set(2); // stepped down and re-elected while the batch waited for the end of the ring batch
        final WriteEvent next = write("later", "v", true);

        assertThat(batch.result).isEqualTo(WriteEvent.RESULT_FAILED);
        assertThat(batch.error).contains("stepped down from epoch 1");
        assertThat(next.result).isEqualTo(WriteEvent.RESULT_FAILED);
        assertThat(log.logEndOffset()).isZero();
        assertThat(handler.recordsAppended()).isZero();
    }

    @Test
    void shouldTakeBackTheRecordsOfAClientBatchThatDidNotGoInWhole()
    {
        start(1024);
        final WriteEvent single = write("solo", "first", false);
        final WriteEvent batch = clientBatch(WriteEvent.KIND_WRITE_BATCH, 1, 3, 600);
        // Claimed small enough to go behind the pending record: the third record is where it stops fitting.
        batch.batchRecordsLength = 100;
        handler.onEvent(batch, ringSequence++, false);
        final WriteEvent after = write("after", "second", true);

        assertThat(batch.result).isEqualTo(WriteEvent.RESULT_FAILED);
        assertThat(batch.error).contains("exceeds");
        assertThat(single.offset).isZero();
        assertThat(after.result).as("after: %s", after.error).isEqualTo(WriteEvent.RESULT_APPENDED);
        assertThat(after.offset).isEqualTo(1);
        assertThat(readLog()).containsExactly(List.of("0 PUT plain solo=first", "1 PUT plain after=second"));
    }

    @Test
    void shouldStampTheLeadersEpochAndTimeOnABatchTheClientEncodedAndKeepItsChecksumValid()
    {
        start(64 * 1024);
        leadingEpoch.set(7);
        final long before = System.currentTimeMillis();
        final WriteEvent batch = clientBatch(WriteEvent.KIND_LOG_BATCH, 40, 2, 30);
        handler.onEvent(batch, ringSequence++, true);

        assertThat(batch.result).as("batch: %s", batch.error).isEqualTo(WriteEvent.RESULT_APPENDED);
        assertThat(batch.epoch).isEqualTo(7);
        final UnsafeBuffer stored = new UnsafeBuffer(ByteBuffer.allocateDirect(64 * 1024));
        final int length = log.read(0, stored.capacity(), stored, 0);
        assertThat(BatchDescriptor.validate(stored, 0, length)).as("the stored batch's checks").isNull();
        assertThat(BatchDescriptor.epoch(stored, 0)).as("the client sent epoch 0").isEqualTo(7);
        assertThat(BatchDescriptor.firstTimestamp(stored, 0)).as("the client sent time 1")
            .isGreaterThanOrEqualTo(before);
        assertThat(readLog()).containsExactly(List.of("0 PUT " + CLIENT_ID + "/40 k0=v0" + "x".repeat(28),
            "1 DELETE " + CLIENT_ID + "/41 k1="));
    }

    @Test
    void shouldFailAClientEncodedBatchLargerThanALogBatchWholeAndGoOn()
    {
        start(1024);
        final WriteEvent single = write("solo", "first", false);
        final WriteEvent batch = clientBatch(WriteEvent.KIND_LOG_BATCH, 1, 3, 600);
        handler.onEvent(batch, ringSequence++, false);
        final WriteEvent after = write("after", "second", true);

        assertThat(batch.result).isEqualTo(WriteEvent.RESULT_FAILED);
        assertThat(batch.error).contains("exceeds logship.node.batch.max.bytes=1024");
        assertThat(after.result).as("after: %s", after.error).isEqualTo(WriteEvent.RESULT_APPENDED);
        // The pending record went out alone when the batch did not fit behind it; none of the batch is stored.
        assertThat(readLog()).containsExactly(List.of("0 PUT plain solo=first"), List.of("1 PUT plain after=second"));
    }

    /**
     * The ring must not keep a batch-sized buffer in every slot: 8,192 slots that had each carried a 34 KiB client
     * batch held 398 MB of a leader's 1 GB heap. A batch's slot borrows a buffer from the ring's pool, and the journal
     * gives it back once the records are in the log batch, so laps of batches reuse one buffer.
     */
    @ParameterizedTest
    @ValueSource(bytes = {WriteEvent.KIND_WRITE_BATCH, WriteEvent.KIND_LOG_BATCH})
    void shouldKeepNoBatchSizedBufferInTheSlotsBatchesPassedThrough(final byte kind)
    {
        start(64 * 1024);
        final PayloadPool pool = new PayloadPool(PayloadPool.DEFAULT_CAPACITY, 64 * 1024);
        final WriteEvent[] slots = new WriteEvent[RING_SIZE];
        for (int i = 0; i < RING_SIZE; i++)
        {
            slots[i] = new WriteEvent(pool);
        }

        long sequence = 1;
        for (int lap = 0; lap < 3; lap++)
        {
            for (final WriteEvent slot : slots)
            {
                clientBatch(slot, kind, sequence, 200, 100);
                sequence += 200;
                handler.onEvent(slot, ringSequence++, true);
                assertThat(slot.result).as("%s", slot.error).isEqualTo(WriteEvent.RESULT_APPENDED);
            }
        }

        assertThat(handler.recordsAppended()).isEqualTo(3 * RING_SIZE * 200);
        for (final WriteEvent slot : slots)
        {
            assertThat(slot.payload.capacity()).as("bytes a slot keeps after its batches")
                .isLessThanOrEqualTo(2 * WriteEvent.SLOT_PAYLOAD_BYTES);
        }
        assertThat(pool.allocations()).as("buffers allocated for %d batches of ~24 KiB", 3 * RING_SIZE).isOne();
    }

    private void start(final int batchMaxBytes)
    {
        final LogConfig logConfig = new LogConfig().directory(dir.resolve("log")).fsyncPolicy(FsyncPolicy.ALWAYS)
            .conclude();
        log = SegmentedLog.open(logConfig);
        handler = new JournalHandler(log, batchMaxBytes, leadingEpoch::get, RING_SIZE, LOGGER,
            System::currentTimeMillis, () -> { });
    }

    private WriteEvent write(final String key, final String value, final boolean endOfBatch)
    {
        final WriteEvent event = WriteEvents.plainPut(new WriteEvent(), key, value);
        handler.onEvent(event, ringSequence++, endOfBatch);
        return event;
    }

    /**
     * A slot as the conductor fills it: records {@code k0..} alternate PUT (value {@code v<i>} padded to
     * {@code valueLength}) and DELETE (no value). {@link WriteEvent#KIND_WRITE_BATCH} holds the client's
     * WriteBatchRequest; {@link WriteEvent#KIND_LOG_BATCH} the records of a batch the client encoded in the log's
     * format (epoch 0, time 1), as the client does.
     */
    private static WriteEvent clientBatch(final byte kind, final long firstSequence, final int count,
        final int valueLength)
    {
        return clientBatch(new WriteEvent(), kind, firstSequence, count, valueLength);
    }

    /** {@link #clientBatch(byte, long, int, int)} into the slot {@code event}, as the conductor writes it. */
    private static WriteEvent clientBatch(final WriteEvent event, final byte kind, final long firstSequence,
        final int count, final int valueLength)
    {
        final UnsafeBuffer message = new UnsafeBuffer(new byte[64 * 1024]);
        final WriteBatchRequestEncoder encoder = new WriteBatchRequestEncoder()
            .wrapAndApplyHeader(message, 0, new MessageHeaderEncoder())
            .correlationId(5).clientId(CLIENT_ID).firstSequence(firstSequence).timeoutMs(1000)
            .ackLevel(AckLevel.LEADER);
        final WriteBatchRequestEncoder.RecordsEncoder records = encoder.recordsCount(count);
        final BatchBuilder logBatch = new BatchBuilder(new UnsafeBuffer(new byte[64 * 1024])).reset(0, 1);
        int recordsLength = 0;
        for (int i = 0; i < count; i++)
        {
            final boolean put = i % 2 == 0;
            final byte[] key = ("k" + i).getBytes(StandardCharsets.UTF_8);
            final byte[] value = put ? ("v" + i + "x".repeat(valueLength - 2)).getBytes(StandardCharsets.UTF_8) :
                new byte[0];
            records.next().recordType(put ? io.logship.transport.codec.RecordType.PUT :
                io.logship.transport.codec.RecordType.DELETE).putKey(key, 0, key.length)
                .putValue(value, 0, value.length);
            logBatch.append(put ? RecordType.PUT : RecordType.DELETE, true, CLIENT_ID, firstSequence + i,
                new UnsafeBuffer(key), 0, key.length, new UnsafeBuffer(value), 0, value.length);
            recordsLength += RecordDescriptor.recordLength(key.length, value.length, true);
        }
        event.kind = kind;
        event.clientId = CLIENT_ID;
        event.idempotent = true;
        event.sequence = firstSequence;
        event.batchCount = count;
        event.batchRecordsLength = recordsLength;
        if (kind == WriteEvent.KIND_LOG_BATCH)
        {
            final int length = logBatch.build();
            event.valueLength = recordsLength;
            event.payloadFor(recordsLength).putBytes(0, logBatch.buffer(), BatchDescriptor.HEADER_LENGTH,
                length - BatchDescriptor.HEADER_LENGTH);
        }
        else
        {
            final int length = MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
            event.valueLength = length;
            event.payloadFor(length).putBytes(0, message, 0, length);
        }
        return event;
    }

    /** Every log batch, each as its records: "offset TYPE clientId/sequence key=value" ("plain" if not idempotent). */
    private List<List<String>> readLog()
    {
        final List<List<String>> batches = new ArrayList<>();
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(1 << 20));
        final RecordCursor cursor = new RecordCursor();
        long offset = log.logStartOffset();
        while (offset < log.logEndOffset())
        {
            final int length = log.read(offset, buffer.capacity(), buffer, 0);
            int position = 0;
            while (position < length)
            {
                final List<String> records = new ArrayList<>();
                cursor.wrap(buffer, position);
                while (cursor.next())
                {
                    records.add(cursor.offset() + " " + cursor.type() + " " +
                        (cursor.idempotent() ? cursor.clientId() + "/" + cursor.sequence() : "plain") + " " +
                        new String(cursor.keyBytes(), StandardCharsets.UTF_8) + "=" +
                        new String(cursor.valueBytes(), StandardCharsets.UTF_8));
                }
                batches.add(records);
                offset = BatchDescriptor.nextOffset(buffer, position);
                position += BatchDescriptor.length(buffer, position);
            }
        }
        return batches;
    }
}
