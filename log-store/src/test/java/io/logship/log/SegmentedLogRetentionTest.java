package io.logship.log;

import io.logship.format.BatchBuilder;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SegmentedLogRetentionTest
{
    private static final long SEED = 23;
    /** TestBatches stamps batch n with this timestamp plus n. */
    private static final long FIRST_TIMESTAMP = 1_700_000_000_000L;

    @TempDir
    Path dir;

    private final BatchBuilder builder = new BatchBuilder(64 * 1024);
    private final ByteBuffer scratch = ByteBuffer.allocate(64 * 1024);

    private LogConfig config()
    {
        return new LogConfig().directory(dir).segmentBytes(4096).indexIntervalBytes(256).logger(new CapturingLogger());
    }

    private static List<LogFiles.Appended> inSegment(final List<LogFiles.Appended> batches, final long base)
    {
        return batches.stream().filter(b -> b.segmentBase() == base).toList();
    }

    private static long segmentSize(final List<LogFiles.Appended> batches, final long base)
    {
        return inSegment(batches, base).stream().mapToLong(b -> b.bytes().length).sum();
    }

    private void assertStartsAt(final SegmentedLog log, final List<LogFiles.Appended> batches, final long start,
        final List<Long> deletedBases)
    {
        assertThat(log.logStartOffset()).isEqualTo(start);
        assertThat(log.segmentBaseOffsets().get(0)).isEqualTo(start);
        for (final long base : deletedBases)
        {
            assertThat(LogFiles.logFile(dir, base)).doesNotExist();
            assertThat(LogFiles.indexFile(dir, base)).doesNotExist();
        }
        for (final LogFiles.Appended batch : batches)
        {
            if (batch.baseOffset() >= start)
            {
                assertThat(LogFiles.readOne(log, batch.baseOffset(), scratch)).isEqualTo(batch.bytes());
            }
        }
        if (start > 0)
        {
            assertThatThrownBy(() -> log.read(start - 1, 1, scratch.clear())).isInstanceOf(OffsetOutOfRangeException.class);
        }
        assertThat(log.epochHistory().entries().get(0).startOffset()).isEqualTo(start);
    }

    /** 90 batches over several segments, written and closed; the size limit that the newest two make exactly. */
    private record Written(List<LogFiles.Appended> batches, List<Long> bases, long newestTwoBytes)
    {
    }

    private Written writeSegmentsOf90Batches()
    {
        try (SegmentedLog log = SegmentedLog.open(config()))
        {
            final List<LogFiles.Appended> batches = LogFiles.append(log, builder, SEED, 0, 90, 1);
            final List<Long> bases = log.segmentBaseOffsets();
            final int k = bases.size();
            assertThat(k).isGreaterThanOrEqualTo(5);
            return new Written(batches, bases,
                segmentSize(batches, bases.get(k - 1)) + segmentSize(batches, bases.get(k - 2)));
        }
    }

    @Test
    void shouldDeleteOldestSegmentsWhileTheRestStillReachesTheSizeLimit()
    {
        final Written written = writeSegmentsOf90Batches();
        final List<LogFiles.Appended> batches = written.batches();
        final List<Long> bases = written.bases();
        final int k = bases.size();
        // exactly the newest two segments make the limit: deleting any more would go under it
        final long limit = written.newestTwoBytes();
        try (SegmentedLog log = SegmentedLog.open(config().retentionBytes(limit)))
        {
            assertThat(log.applyRetention(0, Long.MAX_VALUE)).isEqualTo(k - 2);
            assertThat(log.sizeBytes()).isEqualTo(limit);
            assertStartsAt(log, batches, bases.get(k - 2), bases.subList(0, k - 2));
            assertThat(log.applyRetention(0, Long.MAX_VALUE)).isZero();
        }
    }

    /**
     * Retention takes a segment's names at once (renamed aside, the directory synced) and frees its blocks only in
     * {@link SegmentedLog#deleteRetiredStep()}s, outside the log's locks; a crash before the last step leaves retired
     * files that the next open deletes, never a segment it would load.
     */
    @Test
    void shouldRetireSegmentsAtOnceAndFreeTheirFilesInStepsThatTheNextOpenFinishes() throws Exception
    {
        final Written written = writeSegmentsOf90Batches();
        final List<LogFiles.Appended> batches = written.batches();
        final List<Long> bases = written.bases();
        final int k = bases.size();
        final long limit = written.newestTwoBytes();
        final Path stillRetired;
        try (SegmentedLog log = SegmentedLog.open(config().retentionBytes(limit)))
        {
            assertThat(log.applyRetention(0, Long.MAX_VALUE)).isEqualTo(k - 2);

            assertStartsAt(log, batches, bases.get(k - 2), bases.subList(0, k - 2));
            assertThat(log.retiredFilesPending()).isEqualTo(2 * (k - 2));
            assertThat(retiredFiles()).hasSize(2 * (k - 2));
            assertThat(log.deleteRetiredStep()).isTrue();
            assertThat(log.retiredFilesPending()).isEqualTo(2 * (k - 2) - 1);
            while (log.deleteRetiredStep())
            {
                assertStartsAt(log, batches, bases.get(k - 2), List.of());
            }
            assertThat(retiredFiles()).isEmpty();

            // As if the process died between a retirement and its last step: a retired copy of a live segment.
            stillRetired = dir.resolve(LogFiles.logFile(dir, bases.get(k - 2)).getFileName() + FileReaper.SUFFIX);
            Files.copy(LogFiles.logFile(dir, bases.get(k - 2)), stillRetired);
        }
        try (SegmentedLog log = SegmentedLog.open(config()))
        {
            assertThat(stillRetired).doesNotExist();
            assertStartsAt(log, batches, bases.get(k - 2), List.of());
            assertThat(log.logEndOffset()).isEqualTo(batches.get(89).nextOffset());
        }
    }

    /**
     * Retention writes the epoch checkpoint (two forces) after it drops a segment. It used to write it inside the
     * history's monitor, which every append takes to read the latest epoch, so every append of the node waited for
     * those forces. With each force 2 s slow, an append during retention must not wait for them.
     */
    @Test
    void shouldAppendWithoutWaitingForTheCheckpointRetentionWrites(@TempDir final Path journal) throws Exception
    {
        final LogConfig config = config().fsyncPolicy(FsyncPolicy.INTERVAL).fsyncIntervalMs(60_000).epochClockMs(() -> 0);
        final long forceDelayMs = 2_000;
        try (SegmentedLog log = SegmentedLog.open(config))
        {
            LogFiles.append(log, builder, SEED, 0, 90, 1);
            log.flush();
        }
        final List<LogFiles.Appended> more;
        try (SegmentedLog log = SegmentedLog.open(config.retentionBytes(16 * 1024)))
        {
            PowerCutJournal.install(journal, forceDelayMs);
            final java.util.concurrent.CompletableFuture<Integer> retention =
                java.util.concurrent.CompletableFuture.supplyAsync(() -> log.applyRetention(0, Long.MAX_VALUE));
            // The checkpoint's temp file exists from its creation to its rename, which waits for its slow force.
            final Path checkpointTemp = dir.resolve(SegmentedLog.EPOCH_CHECKPOINT_FILE + ".tmp");
            final long deadlineNs = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
            while (!Files.exists(checkpointTemp))
            {
                assertThat(System.nanoTime() - deadlineNs).as("retention to start writing the checkpoint").isNegative();
                assertThat(retention).as("retention ended before writing the checkpoint").isNotDone();
                java.util.concurrent.locks.LockSupport.parkNanos(100_000);
            }

            final long startNs = System.nanoTime();
            more = LogFiles.append(log, builder, SEED + 1, log.logEndOffset(), 1, 1);
            final long appendMs = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);

            assertThat(appendMs).as("the append waited for retention's checkpoint").isLessThan(forceDelayMs / 2);
            assertThat(retention.get()).isPositive();
            PowerCutJournal.uninstall();
            assertThat(LogFiles.readOne(log, more.get(0).baseOffset(), scratch)).isEqualTo(more.get(0).bytes());
        }
        finally
        {
            PowerCutJournal.uninstall();
        }
    }

    private List<Path> retiredFiles() throws java.io.IOException
    {
        try (var files = Files.list(dir))
        {
            return files.filter(f -> f.getFileName().toString().endsWith(FileReaper.SUFFIX)).toList();
        }
    }

    @Test
    void shouldNeverDeleteTheActiveSegment()
    {
        try (SegmentedLog log = SegmentedLog.open(config().retentionBytes(0).retentionMs(0)))
        {
            final List<LogFiles.Appended> batches = LogFiles.append(log, builder, SEED, 0, 40, 1);
            final List<Long> bases = log.segmentBaseOffsets();
            final long activeBase = bases.get(bases.size() - 1);
            assertThat(log.applyRetention(Long.MAX_VALUE / 2, Long.MAX_VALUE)).isEqualTo(bases.size() - 1);
            assertThat(log.segmentBaseOffsets()).containsExactly(activeBase);
            assertStartsAt(log, batches, activeBase, bases.subList(0, bases.size() - 1));
            assertThat(log.logEndOffset()).isEqualTo(batches.get(39).nextOffset());

            log.roll();
            assertThat(log.applyRetention(Long.MAX_VALUE / 2, Long.MAX_VALUE)).isEqualTo(1);
            assertThat(log.logStartOffset()).isEqualTo(log.logEndOffset());
            assertThat(log.segmentCount()).isEqualTo(1);
            assertThat(LogFiles.readOne(log, log.logEndOffset(), scratch)).isNull();
        }
    }

    @Test
    void shouldNeverDeleteASegmentHoldingOffsetsAtOrAboveMaxDeletableOffset()
    {
        try (SegmentedLog log = SegmentedLog.open(config().retentionBytes(0)))
        {
            final List<LogFiles.Appended> batches = LogFiles.append(log, builder, SEED, 0, 60, 1);
            final List<Long> bases = log.segmentBaseOffsets();
            // segment 2 holds offset bases[2]; segments 0 and 1 end at or below it
            assertThat(log.applyRetention(0, bases.get(2))).isEqualTo(2);
            assertStartsAt(log, batches, bases.get(2), bases.subList(0, 2));
            assertThat(log.applyRetention(0, bases.get(3) - 1)).isZero();
            assertThat(log.applyRetention(0, bases.get(3))).isEqualTo(1);
            assertStartsAt(log, batches, bases.get(3), bases.subList(0, 3));
        }
    }

    @Test
    void shouldDeleteSegmentsWhoseNewestBatchIsOlderThanTheAgeLimit()
    {
        final List<LogFiles.Appended> batches;
        final List<Long> bases;
        try (SegmentedLog log = SegmentedLog.open(config()))
        {
            batches = LogFiles.append(log, builder, SEED, 0, 60, 1);
            bases = log.segmentBaseOffsets();
        }
        final List<LogFiles.Appended> second = inSegment(batches, bases.get(1));
        final long newestInSecond = FIRST_TIMESTAMP + batches.indexOf(second.get(second.size() - 1));
        final long retentionMs = 1000;
        // reopened, so the sealed segments' timestamps come from recovery, not from the appends
        try (SegmentedLog log = SegmentedLog.open(config().retentionMs(retentionMs)))
        {
            assertThat(log.applyRetention(newestInSecond + retentionMs, Long.MAX_VALUE)).as("exactly at the limit")
                .isEqualTo(1);
            assertStartsAt(log, batches, bases.get(1), bases.subList(0, 1));
            assertThat(log.applyRetention(newestInSecond + retentionMs + 1, Long.MAX_VALUE)).isEqualTo(1);
            assertStartsAt(log, batches, bases.get(2), bases.subList(0, 2));
        }
    }

    @Test
    void shouldClampEpochHistoryToTheNewLogStart()
    {
        try (SegmentedLog log = SegmentedLog.open(config().retentionBytes(0)))
        {
            final List<LogFiles.Appended> first = LogFiles.append(log, builder, SEED, 0, 20, 1);
            final List<LogFiles.Appended> second = LogFiles.append(log, builder, SEED, 20, 40, 2);
            final long epochTwoStart = second.get(0).baseOffset();
            final long maxDeletable = epochTwoStart + 1;
            log.applyRetention(0, maxDeletable);
            final long start = log.logStartOffset();
            assertThat(start).isGreaterThan(first.get(0).baseOffset()).isLessThanOrEqualTo(epochTwoStart);
            assertThat(log.epochHistory().entries()).containsExactly(
                new EpochHistory.Entry(1, start), new EpochHistory.Entry(2, epochTwoStart));
        }
    }

    @Test
    void shouldKeepAValidEpochHistoryWhenANewEpochStartsOnALogEmptiedByRetention()
    {
        final LogConfig config = config().retentionBytes(0);
        final List<EpochHistory.Entry> before;
        final long start;
        try (SegmentedLog log = SegmentedLog.open(config))
        {
            LogFiles.append(log, builder, SEED, 0, 20, 1);
            log.roll();
            log.applyRetention(0, Long.MAX_VALUE);
            start = log.logEndOffset();
            assertThat(log.logStartOffset()).isEqualTo(start);
            LogFiles.append(log, builder, SEED, 20, 3, 2);
            before = log.epochHistory().entries();
        }
        assertThat(before).containsExactly(new EpochHistory.Entry(2, start));
        final EpochHistory onDisk = EpochHistory.load(dir.resolve(SegmentedLog.EPOCH_CHECKPOINT_FILE));
        assertThat(onDisk.loadProblem()).isNull();
        try (SegmentedLog log = SegmentedLog.open(config))
        {
            assertThat(log.epochHistory().entries()).isEqualTo(before);
        }
    }
}
