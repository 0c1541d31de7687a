package io.logship.log;

import io.logship.format.BatchBuilder;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A roll never waits for the disk (docs/DESIGN.md#segment-roll): a follower appends on its duty thread, and a roll
 * that forced there held its acks past the leader's lease. What the roll leaves is forced by the next flush, and
 * nothing of it counts as durable before.
 */
class SegmentedLogRollTest
{
    @TempDir
    Path work;

    private final BatchBuilder builder = new BatchBuilder(64 * 1024);
    private final ByteBuffer scratch = ByteBuffer.allocate(64 * 1024);

    @AfterEach
    void uninstall()
    {
        PowerCutJournal.uninstall();
    }

    private static LogConfig config(final Path directory)
    {
        return new LogConfig().directory(directory).segmentBytes(4096).fsyncPolicy(FsyncPolicy.INTERVAL)
            .fsyncIntervalMs(60_000).epochClockMs(() -> 0).logger(new CapturingLogger());
    }

    @Test
    void shouldRollWhileAFlushIsStillForcing() throws Exception
    {
        PowerCutJournal.install(work.resolve("journal"), 1_000); // every force takes a second longer: a stalled disk
        try (SegmentedLog log = SegmentedLog.open(config(work.resolve("log"))))
        {
            final long firstEnd = LogFiles.append(log, builder, 3, 0, 1, 1).get(0).nextOffset();
            final Thread flusher = new Thread(log::flush, "flusher");
            flusher.start();
            awaitForcing(flusher);

            final int segments = log.segmentCount();
            long batch = 1;
            while (log.segmentCount() == segments)
            {
                LogFiles.append(log, builder, 3, batch++, 1, 1);
            }

            assertThat(flusher.isAlive()).as("the append that rolled did not wait for the flush's force").isTrue();
            flusher.join();
            assertThat(log.durableEndOffset()).as("the flush counts only what it read before forcing").isEqualTo(firstEnd);
            log.flush();
            assertThat(log.durableEndOffset()).as("the next flush forces the sealed segment and the new one")
                .isEqualTo(log.logEndOffset());
        }
    }

    @Test
    void shouldKeepWhatWasReportedDurableWhenPowerFailsBetweenARollAndTheNextFlush() throws IOException
    {
        final Path data = work.resolve("data");
        final Path journal = work.resolve("journal");
        PowerCutJournal.install(journal);
        final LogConfig config = config(data.resolve("log"));
        final SegmentedLog log = SegmentedLog.open(config);
        final List<LogFiles.Appended> appended = new ArrayList<>(LogFiles.append(log, builder, 5, 0, 80, 1));
        assertThat(log.segmentCount()).as("rolled, more than once").isGreaterThan(2);
        assertThat(log.durableEndOffset()).as("a roll makes nothing durable by itself").isZero();
        log.flush();
        final long durableEnd = log.durableEndOffset();
        assertThat(durableEnd).isEqualTo(log.logEndOffset());
        appended.addAll(LogFiles.append(log, builder, 5, 80, 80, 1)); // rolls again; power goes before the next flush
        assertThat(log.durableEndOffset()).isEqualTo(durableEnd);
        PowerCutJournal.uninstall();
        log.close();

        PowerCutJournal.simulatePowerCut(journal, data);

        try (SegmentedLog reopened = SegmentedLog.open(config))
        {
            assertThat(reopened.logEndOffset()).as("the flushed prefix, sealed segments included").isEqualTo(durableEnd);
            for (final LogFiles.Appended batch : appended.stream().filter(b -> b.nextOffset() <= durableEnd).toList())
            {
                assertThat(LogFiles.readOne(reopened, batch.baseOffset(), scratch)).isEqualTo(batch.bytes());
            }
        }
    }

    @Test
    void shouldLetRetentionDeleteASealedSegmentBeforeItIsForced()
    {
        try (SegmentedLog log = SegmentedLog.open(config(work.resolve("log")).retentionBytes(0).retentionMs(0)))
        {
            LogFiles.append(log, builder, 7, 0, 30, 1);
            final int segments = log.segmentCount();
            assertThat(log.applyRetention(Long.MAX_VALUE / 2, Long.MAX_VALUE)).isEqualTo(segments - 1);
            log.flush(); // must not force the deleted segments' closed files
            assertThat(log.isFailed()).isFalse();
            assertThat(log.durableEndOffset()).isEqualTo(log.logEndOffset());
        }
    }

    @Test
    void shouldOpenAnEpochInMemoryAndWriteItsCheckpointInTheNextFlush()
    {
        final LogConfig config = config(work.resolve("log"));
        try (SegmentedLog log = SegmentedLog.open(config))
        {
            LogFiles.append(log, builder, 9, 0, 3, 1);
            log.flush();
            final long epochTwoStart = log.logEndOffset();
            LogFiles.append(log, builder, 9, 3, 3, 2);
            final List<EpochHistory.Entry> both = List.of(new EpochHistory.Entry(1, 0),
                new EpochHistory.Entry(2, epochTwoStart));
            assertThat(log.epochHistory().entries()).isEqualTo(both);
            assertThat(EpochHistory.load(log.epochHistory().file()).entries())
                .as("the append that opened epoch 2 wrote no file").containsExactly(new EpochHistory.Entry(1, 0));
            log.flush();
            assertThat(EpochHistory.load(log.epochHistory().file()).entries()).isEqualTo(both);
        }
    }

    /** Waits until {@code flusher} is parked in its delayed force. */
    private static void awaitForcing(final Thread flusher)
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (flusher.getState() != Thread.State.TIMED_WAITING)
        {
            assertThat(System.nanoTime()).as("the flusher never reached its force").isLessThan(deadlineNs);
            Thread.onSpinWait();
        }
    }
}
