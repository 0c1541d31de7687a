package io.logship.node.follower;

import io.logship.format.BatchBuilder;
import io.logship.format.RecordType;
import io.logship.log.FsyncPolicy;
import io.logship.log.LogConfig;
import io.logship.log.Quarantine;
import io.logship.log.SegmentedLog;
import io.logship.node.pipeline.Wakeup;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A rejoining follower's divergent suffix is saved to the quarantine on the writer's thread, and the conductor learns
 * the outcome from the ticket it asked with: the records of the suffix in a durable file, or why nothing could be
 * kept (then nothing may be cut). The writer never cuts the log itself.
 */
class QuarantineWriterTest
{
    private static final int RECORDS = 100;
    private static final int BATCH_RECORDS = 10;

    @TempDir
    Path dir;

    private SegmentedLog log;
    private QuarantineWriter writer;

    @BeforeEach
    void open()
    {
        log = SegmentedLog.open(new LogConfig().directory(dir.resolve("log")).segmentBytes(64 * 1024)
            .fsyncPolicy(FsyncPolicy.INTERVAL).fsyncIntervalMs(60_000).conclude());
        final BatchBuilder builder = new BatchBuilder(16 * 1024);
        final UnsafeBuffer key = new UnsafeBuffer(new byte[32]);
        final UnsafeBuffer value = new UnsafeBuffer(new byte[32]);
        for (int offset = 0; offset < RECORDS; offset += BATCH_RECORDS)
        {
            builder.reset(3, System.currentTimeMillis());
            for (int i = offset; i < offset + BATCH_RECORDS; i++)
            {
                final int keyLength = key.putStringWithoutLengthAscii(0, "key-" + i);
                final int valueLength = value.putStringWithoutLengthAscii(0, "value-" + i);
                assertThat(builder.append(RecordType.PUT, false, 0, 0, key, 0, keyLength, value, 0, valueLength))
                    .isTrue();
            }
            log.appendAsLeader(builder.buffer(), 0, builder.build());
        }
    }

    @AfterEach
    void close()
    {
        if (null != writer)
        {
            writer.close();
        }
        log.close();
    }

    @Test
    void shouldKeepTheSuffixInADurableFileAndLeaveTheLogAsItWas() throws Exception
    {
        writer = startedWriter(dir.resolve("quarantine"));

        final long ticket = writer.save(60, 2, 7, "its epoch 3 diverges from leader 2's log after offset 60");
        final QuarantineWriter.Result result = await(ticket);

        assertThat(result.error()).isNull();
        assertThat(result.elapsedMs()).isNotNegative();
        assertThat(result.file()).exists().hasParent(dir.resolve("quarantine"));
        final List<String> keys = new ArrayList<>();
        try (Quarantine.Reader reader = Quarantine.read(result.file()))
        {
            assertThat(reader.header().fromOffset()).isEqualTo(60);
            assertThat(reader.header().endOffset()).isEqualTo(RECORDS);
            assertThat(reader.header().newLeaderId()).isEqualTo(2);
            assertThat(reader.header().newLeaderEpoch()).isEqualTo(7);
            assertThat(reader.header().reason()).contains("diverges");
            for (Quarantine.Record record = reader.next(); null != record; record = reader.next())
            {
                keys.add(new String(record.key()));
            }
        }
        assertThat(keys).hasSize(40).startsWith("key-60").endsWith("key-99");
        assertThat(log.logEndOffset()).as("cutting is the conductor's, once it has the result").isEqualTo(RECORDS);
        assertThat(writer.result(ticket + 1)).as("a result answers only its own ticket").isNull();
    }

    @Test
    void shouldSayWhyASaveFailedAndLeaveNoFile() throws Exception
    {
        final Path notADirectory = Files.writeString(dir.resolve("quarantine"), "a file where the directory goes");
        writer = startedWriter(notADirectory);

        final QuarantineWriter.Result result = await(writer.save(60, 2, 7, "diverges"));

        assertThat(result.file()).isNull();
        assertThat(result.error()).isNotBlank();
        assertThat(result.unexpected()).as("a save's own failure, not a defect: %s", result.failure()).isFalse();
        assertThat(Files.readString(notADirectory)).isEqualTo("a file where the directory goes");
        assertThat(log.logEndOffset()).isEqualTo(RECORDS);
    }

    @Test
    void shouldAnswerEachOfTwoSavesInTurnWithItsOwnFile() throws Exception
    {
        writer = startedWriter(dir.resolve("quarantine"));

        final QuarantineWriter.Result first = await(writer.save(90, 2, 7, "first"));
        final long secondTicket = writer.save(50, 3, 8, "second");
        final QuarantineWriter.Result second = await(secondTicket);

        assertThat(writer.result(first.ticket())).as("superseded by the later result").isNull();
        assertThat(second.ticket()).isEqualTo(secondTicket).isNotEqualTo(first.ticket());
        assertThat(second.file()).isNotEqualTo(first.file());
        try (Quarantine.Reader reader = Quarantine.read(second.file()))
        {
            assertThat(reader.header().fromOffset()).isEqualTo(50);
            assertThat(reader.header().newLeaderId()).isEqualTo(3);
        }
    }

    private QuarantineWriter startedWriter(final Path quarantineDir)
    {
        final QuarantineWriter started = new QuarantineWriter(log, quarantineDir, 1);
        final Wakeup conductor = new Wakeup();
        conductor.bind(Thread.currentThread());
        started.start(conductor);
        return started;
    }

    /** Polls as the conductor does, once a millisecond here. */
    private QuarantineWriter.Result await(final long ticket) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        QuarantineWriter.Result result = writer.result(ticket);
        while (null == result && System.nanoTime() < deadlineNs)
        {
            TimeUnit.MILLISECONDS.sleep(1);
            result = writer.result(ticket);
        }
        assertThat(result).as("the save of ticket %d ended", ticket).isNotNull();
        return result;
    }
}
