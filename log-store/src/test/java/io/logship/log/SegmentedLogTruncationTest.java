package io.logship.log;

import io.logship.format.BatchBuilder;

import io.logship.LogshipException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class SegmentedLogTruncationTest
{
    private static final long SEED = 11;

    @TempDir
    Path dir;

    private final BatchBuilder builder = new BatchBuilder(64 * 1024);
    private final ByteBuffer scratch = ByteBuffer.allocate(64 * 1024);

    private LogConfig config()
    {
        return new LogConfig().directory(dir).segmentBytes(4096).indexIntervalBytes(256).logger(new CapturingLogger());
    }

    private void assertHolds(final SegmentedLog log, final List<LogFiles.Appended> batches)
    {
        for (final LogFiles.Appended batch : batches)
        {
            for (long offset = batch.baseOffset(); offset < batch.nextOffset(); offset++)
            {
                assertThat(LogFiles.readOne(log, offset, scratch)).as("offset %d", offset).isEqualTo(batch.bytes());
            }
        }
        final long end = batches.isEmpty() ? log.logStartOffset() : batches.get(batches.size() - 1).nextOffset();
        assertThat(log.logEndOffset()).isEqualTo(end);
        assertThat(LogFiles.readOne(log, end, scratch)).isNull();
    }

    private static LogFiles.Appended firstWithRecords(final List<LogFiles.Appended> batches, final int from, final int count)
    {
        return batches.subList(from, batches.size()).stream().filter(b -> b.recordCount() >= count).findFirst()
            .orElseThrow();
    }

    @Test
    void shouldTruncateInsideABatchToThatBatchStartAndContinueDensely()
    {
        try (SegmentedLog log = SegmentedLog.open(config()))
        {
            final List<LogFiles.Appended> batches = LogFiles.append(log, builder, SEED, 0, 12, 1);
            final LogFiles.Appended cut = firstWithRecords(batches, 5, 2);
            final int index = batches.indexOf(cut);

            assertThat(log.truncateTo(cut.baseOffset() + 1)).isEqualTo(cut.baseOffset());
            final List<LogFiles.Appended> kept = new ArrayList<>(batches.subList(0, index));
            assertHolds(log, kept);
            assertThat(log.durableEndOffset()).isEqualTo(cut.baseOffset());

            final List<LogFiles.Appended> more = LogFiles.append(log, builder, SEED, 100, 5, 1);
            assertThat(more.get(0).baseOffset()).isEqualTo(cut.baseOffset());
            kept.addAll(more);
            assertHolds(log, kept);
            log.close();
            try (SegmentedLog reopened = SegmentedLog.open(config()))
            {
                assertHolds(reopened, kept);
            }
        }
    }

    @Test
    void shouldTruncateAcrossSegmentsDeletingLaterSegmentFiles()
    {
        try (SegmentedLog log = SegmentedLog.open(config()))
        {
            final List<LogFiles.Appended> batches = LogFiles.append(log, builder, SEED, 0, 60, 1);
            final List<Long> bases = log.segmentBaseOffsets();
            assertThat(bases).hasSizeGreaterThanOrEqualTo(4);
            final long secondBase = bases.get(1);
            final LogFiles.Appended cut = batches.stream().filter(b -> b.segmentBase() == secondBase).skip(1)
                .findFirst().orElseThrow();

            assertThat(log.truncateTo(cut.baseOffset())).isEqualTo(cut.baseOffset());
            assertThat(log.segmentBaseOffsets()).containsExactly(0L, secondBase);
            for (final long base : bases.subList(2, bases.size()))
            {
                assertThat(LogFiles.logFile(dir, base)).doesNotExist();
                assertThat(LogFiles.indexFile(dir, base)).doesNotExist();
            }
            assertThat(LogFiles.size(LogFiles.logFile(dir, secondBase))).isEqualTo(cut.position());
            final List<LogFiles.Appended> kept = new ArrayList<>(batches.subList(0, batches.indexOf(cut)));
            assertHolds(log, kept);

            kept.addAll(LogFiles.append(log, builder, SEED, 100, 30, 1));
            assertThat(log.segmentCount()).isGreaterThan(2);
            assertHolds(log, kept);
            log.close();
            try (SegmentedLog reopened = SegmentedLog.open(config()))
            {
                assertHolds(reopened, kept);
            }
        }
    }

    @Test
    void shouldTrimEpochHistoryToTheNewLogEnd()
    {
        try (SegmentedLog log = SegmentedLog.open(config()))
        {
            LogFiles.append(log, builder, SEED, 0, 5, 1);
            final long epochTwoStart = log.logEndOffset();
            LogFiles.append(log, builder, SEED, 5, 5, 2);
            assertThat(log.truncateTo(epochTwoStart)).isEqualTo(epochTwoStart);
            assertThat(log.epochHistory().entries()).containsExactly(new EpochHistory.Entry(1, 0));
            assertThat(log.epochHistory().endOffsetFor(1, log.logEndOffset()))
                .isEqualTo(new EpochHistory.EpochEnd(1, epochTwoStart));
            LogFiles.append(log, builder, SEED, 10, 1, 3);
            assertThat(log.epochHistory().entries())
                .containsExactly(new EpochHistory.Entry(1, 0), new EpochHistory.Entry(3, epochTwoStart));
        }
    }

    @Test
    void shouldRefuseToTruncateBelowTheLogStartAndChangeNothing()
    {
        try (SegmentedLog log = SegmentedLog.open(config().retentionBytes(0)))
        {
            final List<LogFiles.Appended> batches = LogFiles.append(log, builder, SEED, 0, 40, 1);
            assertThat(log.applyRetention(0, Long.MAX_VALUE)).isGreaterThan(0);
            final long start = log.logStartOffset();
            final long end = log.logEndOffset();

            final OffsetOutOfRangeException ex = catchThrowableOfType(OffsetOutOfRangeException.class,
                () -> log.truncateTo(start - 1));
            assertThat(ex.requestedOffset()).isEqualTo(start - 1);
            assertThat(ex.logStartOffset()).isEqualTo(start);
            assertThat(ex.logEndOffset()).isEqualTo(end);
            assertThat(ex.getMessage()).isEqualTo("offset " + (start - 1) + " is outside the log [" + start + ", " + end + "]");
            assertHolds(log, batches.stream().filter(b -> b.baseOffset() >= start).toList());

            assertThat(log.truncateTo(start)).isEqualTo(start);
            assertThat(log.logEndOffset()).isEqualTo(start);
            final List<LogFiles.Appended> more = LogFiles.append(log, builder, SEED, 100, 3, 1);
            assertThat(more.get(0).baseOffset()).isEqualTo(start);
            assertHolds(log, more);
        }
    }

    @Test
    void shouldIgnoreTruncationAtOrBeyondTheLogEnd() throws Exception
    {
        try (SegmentedLog log = SegmentedLog.open(config()))
        {
            final List<LogFiles.Appended> batches = LogFiles.append(log, builder, SEED, 0, 5, 1);
            final long end = log.logEndOffset();
            final long size = Files.size(LogFiles.logFile(dir, 0));
            assertThat(log.truncateTo(end)).isEqualTo(end);
            assertThat(log.truncateTo(end + 100)).isEqualTo(end);
            assertThat(Files.size(LogFiles.logFile(dir, 0))).isEqualTo(size);
            assertHolds(log, batches);
        }
    }

    @Test
    void shouldStillOpenWhenTruncationStopsPartWayThroughDeletingLaterSegments() throws Exception
    {
        final List<LogFiles.Appended> batches;
        final List<Long> bases;
        final LogFiles.Appended cut;
        final SegmentedLog log = SegmentedLog.open(config());
        try
        {
            batches = LogFiles.append(log, builder, SEED, 0, 60, 1);
            bases = log.segmentBaseOffsets();
            assertThat(bases).hasSizeGreaterThanOrEqualTo(4);
            cut = batches.get(1);
            // the second segment's index cannot be unlinked (a directory stands in its place), as if the
            // unlink failed with EIO or the process died right there
            final Path blocked = LogFiles.indexFile(dir, bases.get(1));
            Files.deleteIfExists(blocked);
            Files.createDirectories(blocked.resolve("blocker"));

            final LogshipException ex = catchThrowableOfType(LogshipException.class, () -> log.truncateTo(cut.baseOffset()));
            assertThat(ex.category()).isEqualTo(LogshipException.Category.FATAL);
            assertThat(log.isFailed()).isTrue();
        }
        finally
        {
            log.close();
        }
        Files.delete(LogFiles.indexFile(dir, bases.get(1)).resolve("blocker"));
        Files.delete(LogFiles.indexFile(dir, bases.get(1)));

        // the node restarts: whatever the interrupted truncation left must be a whole prefix of the log
        try (SegmentedLog reopened = SegmentedLog.open(config()))
        {
            final long end = reopened.logEndOffset();
            assertThat(end).isBetween(cut.baseOffset(), batches.get(batches.size() - 1).nextOffset());
            final List<LogFiles.Appended> kept = batches.stream().filter(b -> b.baseOffset() < end).toList();
            assertThat(kept.get(kept.size() - 1).nextOffset()).isEqualTo(end);
            assertHolds(reopened, kept);
        }
    }
}
