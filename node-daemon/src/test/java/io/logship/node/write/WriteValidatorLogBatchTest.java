package io.logship.node.write;

import io.logship.format.BatchBuilder;
import io.logship.format.BatchDescriptor;
import io.logship.format.RecordType;
import io.logship.node.NodeConfig;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The leader's check of a batch a client encoded in the log's format (WriteLogBatch): what it refuses, each with
 * a message that names the record and the field, and that a well-formed batch passes.
 */
class WriteValidatorLogBatchTest
{
    private static final long CLIENT = 42;

    @TempDir
    Path dir;

    private WriteValidator validator;
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64 * 1024]);
    private BatchBuilder batch;

    @BeforeEach
    void setUp() throws IOException
    {
        final Path file = dir.resolve("node.conf");
        Files.writeString(file, "logship.node.id=1\n" +
            "logship.cluster.nodes=1@127.0.0.1:7001,2@127.0.0.1:7002,3@127.0.0.1:7003\n" +
            "logship.cluster.secret.file=" + dir.resolve("secret") + "\n" +
            "logship.node.data.dir=" + dir.resolve("data") + "\n" +
            "logship.node.batch.max.bytes=4096\n");
        validator = new WriteValidator(null, NodeConfig.load(file));
        batch = new BatchBuilder(buffer).reset(0, 1);
    }

    @Test
    void shouldPassABatchOfPutsAndDeletesOfTheClientWithConsecutiveSequences()
    {
        put(CLIENT, 10, "a", "1");
        delete(CLIENT, 11, "b");
        put(CLIENT, 12, "c", "3");

        assertThat(problem(10)).isNull();
    }

    @Test
    void shouldRefuseABatchWhoseBytesDoNotMatchItsChecksum()
    {
        put(CLIENT, 1, "a", "value");
        final int length = batch.build();
        buffer.putByte(length - 1, (byte)'X');

        assertThat(validator.logBatchProblem(buffer, length, CLIENT, 1)).startsWith("batch refused: CRC32C stored");
    }

    @Test
    void shouldRefuseALengthFieldThatDisagreesWithTheBytesCarried()
    {
        put(CLIENT, 1, "a", "value");
        final int length = batch.build();

        assertThat(validator.logBatchProblem(buffer, length + 8, CLIENT, 1))
            .isEqualTo("batch length field " + length + " but the message carries " + (length + 8) + " bytes");
    }

    @Test
    void shouldRefuseRecordsOfAnotherClientOrOutOfSequenceOrWithoutIdentity()
    {
        put(CLIENT, 1, "a", "1");
        put(CLIENT + 1, 2, "b", "2");
        assertThat(problem(1)).isEqualTo("record 1 carries client 43 sequence 2: expected client 42 sequence 2");

        batch.reset(0, 1);
        put(CLIENT, 1, "a", "1");
        put(CLIENT, 3, "b", "2");
        assertThat(problem(1)).isEqualTo("record 1 carries client 42 sequence 3: expected client 42 sequence 2");

        batch.reset(0, 1);
        batch.put(new UnsafeBuffer("k".getBytes(StandardCharsets.UTF_8)), 0, 1,
            new UnsafeBuffer("v".getBytes(StandardCharsets.UTF_8)), 0, 1);
        assertThat(problem(1)).isEqualTo("record 0 carries no client id and sequence: expected client 42 sequence 1");

        batch.reset(0, 1);
        put(CLIENT, 1, "a", "1");
        assertThat(problem(2)).as("the request's first sequence is not the records'")
            .isEqualTo("record 0 carries client 42 sequence 1: expected client 42 sequence 2");
    }

    @Test
    void shouldRefuseRecordTypesAClientMayNotWriteAndDeletesWithAValue()
    {
        batch.append(RecordType.NOOP, true, CLIENT, 1, null, 0, 0, null, 0, 0);
        assertThat(problem(1)).isEqualTo("record 0 is a NOOP: expected PUT or DELETE");

        batch.reset(0, 1);
        final UnsafeBuffer bytes = new UnsafeBuffer("kv".getBytes(StandardCharsets.UTF_8));
        batch.append(RecordType.DELETE, true, CLIENT, 1, bytes, 0, 1, bytes, 1, 1);
        assertThat(problem(1)).isEqualTo("record 0 is a DELETE with a value of 1 bytes");
    }

    @Test
    void shouldRefuseFlagsARecordTooLargeForALogBatchAndACountItsRecordsDoNotFill()
    {
        put(CLIENT, 1, "a", "1");
        batch.flags(BatchDescriptor.FLAG_EPOCH_START);
        assertThat(problem(1)).isEqualTo("batch flags 1: a client's batch carries none");

        batch.reset(0, 1);
        put(CLIENT, 1, "a", "v".repeat(5000));
        assertThat(problem(1)).startsWith("record 0: value length 5000 exceeds the limit of ")
            .contains("logship.node.batch.max.bytes=4096");

        batch.reset(0, 1);
        put(CLIENT, 1, "a", "1");
        put(CLIENT, 2, "b", "2");
        final int length = batch.build();
        buffer.putInt(BatchDescriptor.RECORD_COUNT_OFFSET, 3, BatchDescriptor.BYTE_ORDER);
        buffer.putInt(BatchDescriptor.CRC_OFFSET, BatchDescriptor.computeCrc(buffer, 0, length),
            BatchDescriptor.BYTE_ORDER);
        assertThat(validator.logBatchProblem(buffer, length, CLIENT, 1)).startsWith("batch refused: ")
            .contains("malformed record 2");
    }

    private void put(final long clientId, final long sequence, final String key, final String value)
    {
        final byte[] k = key.getBytes(StandardCharsets.UTF_8);
        final byte[] v = value.getBytes(StandardCharsets.UTF_8);
        batch.append(RecordType.PUT, true, clientId, sequence, new UnsafeBuffer(k), 0, k.length, new UnsafeBuffer(v),
            0, v.length);
    }

    private void delete(final long clientId, final long sequence, final String key)
    {
        final byte[] k = key.getBytes(StandardCharsets.UTF_8);
        batch.append(RecordType.DELETE, true, clientId, sequence, new UnsafeBuffer(k), 0, k.length, null, 0, 0);
    }

    private String problem(final long firstSequence)
    {
        final int length = batch.build();
        return validator.logBatchProblem(buffer, length, CLIENT, firstSequence);
    }
}
