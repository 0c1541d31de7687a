package io.logship.log;

import io.logship.format.BatchBuilder;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The leader-epoch checkpoint checked against the batches recovery scans on open. The checkpoint is
 * written apart from the log, so after a crash it can lag (an epoch began after its last write), run
 * ahead (it names an epoch whose batches were a torn tail) or disagree. Reconciliation trusts this
 * history to find where two logs diverge, so each case must end with the history the batches say.
 */
class EpochCheckpointRecoveryTest
{
    private static final long SEED = 5;

    @TempDir
    Path dir;

    private final CapturingLogger logger = new CapturingLogger();
    private final BatchBuilder builder = new BatchBuilder(64 * 1024);

    /** One segment: every batch lies above the recovery point, so recovery scans them all. */
    private LogConfig config(final Path directory)
    {
        return new LogConfig().directory(directory).segmentBytes(1024 * 1024).indexIntervalBytes(512).logger(logger);
    }

    private Path checkpoint(final Path directory)
    {
        return directory.resolve(SegmentedLog.EPOCH_CHECKPOINT_FILE);
    }

    @Test
    void shouldAddAnEpochTheCheckpointMissedFromTheScannedBatches() throws IOException
    {
        final byte[] beforeEpoch3;
        final List<EpochHistory.Entry> expected;
        try (SegmentedLog log = SegmentedLog.open(config(dir)))
        {
            LogFiles.append(log, builder, SEED, 0, 5, 1);
            LogFiles.append(log, builder, SEED, 5, 5, 2);
            beforeEpoch3 = Files.readAllBytes(checkpoint(dir));
            LogFiles.append(log, builder, SEED, 10, 5, 3);
            expected = log.epochHistory().entries();
        }
        assertThat(expected).extracting(EpochHistory.Entry::epoch).containsExactly(1, 2, 3);
        Files.write(checkpoint(dir), beforeEpoch3); // the crash came before the checkpoint learned of epoch 3

        try (SegmentedLog log = SegmentedLog.open(config(dir)))
        {
            assertThat(log.epochHistory().entries()).isEqualTo(expected);
        }
        assertThat(EpochHistory.load(checkpoint(dir)).entries()).as("written back").isEqualTo(expected);
        assertThat(logger.messagesAt(System.Logger.Level.WARNING)).as("a lagging checkpoint is extended, not rebuilt")
            .noneMatch(m -> m.startsWith("Rebuilding "));
    }

    @Test
    void shouldDropAnEpochWhoseOnlyBatchesWereATornTail() throws IOException
    {
        final long epoch2Start;
        final List<EpochHistory.Entry> expected;
        try (SegmentedLog log = SegmentedLog.open(config(dir)))
        {
            LogFiles.append(log, builder, SEED, 0, 5, 1);
            expected = log.epochHistory().entries();
            epoch2Start = log.logEndOffset();
            final List<LogFiles.Appended> torn = LogFiles.append(log, builder, SEED, 5, 1, 2);
            assertThat(torn.get(0).baseOffset()).isEqualTo(epoch2Start);
        }
        final Path segment = LogFiles.logFile(dir, 0);
        LogFiles.truncate(segment, LogFiles.size(segment) - 3); // the epoch-2 batch is cut short

        try (SegmentedLog log = SegmentedLog.open(config(dir)))
        {
            assertThat(log.logEndOffset()).isEqualTo(epoch2Start);
            assertThat(log.epochHistory().entries()).isEqualTo(expected);
            assertThat(log.epochHistory().latestEpoch()).isEqualTo(1);
        }
    }

    @Test
    void shouldRebuildACheckpointThatPutsAnEpochStartWhereTheBatchesDoNot() throws IOException
    {
        // The same epochs, but epoch 2 starting three batches later: a checkpoint from another history.
        final Path other = Files.createDirectory(dir.resolve("other"));
        try (SegmentedLog log = SegmentedLog.open(config(other)))
        {
            LogFiles.append(log, builder, SEED, 0, 8, 1);
            LogFiles.append(log, builder, SEED, 8, 4, 2);
        }
        final Path logDir = Files.createDirectory(dir.resolve("log"));
        final List<EpochHistory.Entry> expected;
        try (SegmentedLog log = SegmentedLog.open(config(logDir)))
        {
            LogFiles.append(log, builder, SEED, 0, 5, 1);
            LogFiles.append(log, builder, SEED, 5, 7, 2);
            expected = log.epochHistory().entries();
        }
        assertThat(EpochHistory.load(checkpoint(other)).entries()).isNotEqualTo(expected);
        Files.copy(checkpoint(other), checkpoint(logDir), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        try (SegmentedLog log = SegmentedLog.open(config(logDir)))
        {
            assertThat(log.epochHistory().entries()).isEqualTo(expected);
        }
        assertThat(logger.messagesAt(System.Logger.Level.WARNING))
            .anyMatch(m -> m.startsWith("Rebuilding " + checkpoint(logDir) + " from the batch headers: "));
        assertThat(EpochHistory.load(checkpoint(logDir)).entries()).isEqualTo(expected);
    }

    @Test
    void shouldReopenACleanlyClosedLogWithoutRebuildingOrCuttingAnything() throws IOException
    {
        final LogConfig config = config(dir).segmentBytes(4096).indexIntervalBytes(256);
        final List<EpochHistory.Entry> expected;
        final long end;
        try (SegmentedLog log = SegmentedLog.open(config))
        {
            LogFiles.append(log, builder, SEED, 0, 20, 1);
            LogFiles.append(log, builder, SEED, 20, 20, 4);
            LogFiles.append(log, builder, SEED, 40, 5, 6);
            expected = log.epochHistory().entries();
            end = log.logEndOffset();
            assertThat(log.segmentCount()).as("sealed segments and an active one").isGreaterThanOrEqualTo(2);
        }
        final byte[] checkpointBytes = Files.readAllBytes(checkpoint(dir));
        final int infoBefore = logger.messagesAt(System.Logger.Level.INFO).size(); // the first open's own lines

        try (SegmentedLog log = SegmentedLog.open(config))
        {
            assertThat(log.logEndOffset()).isEqualTo(end);
            assertThat(log.epochHistory().entries()).isEqualTo(expected);
        }
        assertThat(logger.messagesAt(System.Logger.Level.WARNING)).as("nothing to repair").isEmpty();
        final List<String> info = logger.messagesAt(System.Logger.Level.INFO);
        assertThat(info.subList(infoBefore, info.size())).noneMatch(m -> m.startsWith("Rebuilding "));
        assertThat(Files.readAllBytes(checkpoint(dir))).isEqualTo(checkpointBytes);
    }
}
