package io.logship.log;

import io.logship.format.BatchBuilder;

import io.logship.format.BatchDescriptor;

import io.logship.LogshipException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;

import static java.lang.System.Logger.Level.WARNING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Write batches, close, damage the files, reopen: each test asserts exactly what survives, or which
 * exception names which file and byte position.
 */
class LogCorruptionTest
{
    private static final long SEED = 42;

    @TempDir
    Path dir;

    private final CapturingLogger logger = new CapturingLogger();
    private final BatchBuilder builder = new BatchBuilder(64 * 1024);
    private final ByteBuffer scratch = ByteBuffer.allocate(64 * 1024);

    private LogConfig singleSegmentConfig()
    {
        return new LogConfig().directory(dir).segmentBytes(1024 * 1024).indexIntervalBytes(512).logger(logger);
    }

    /** Small segments so a few dozen batches span several of them; an index entry every 256 bytes. */
    private LogConfig multiSegmentConfig()
    {
        return new LogConfig().directory(dir).segmentBytes(4096).indexIntervalBytes(256).logger(logger);
    }

    private List<LogFiles.Appended> write(final LogConfig config, final int batches)
    {
        try (SegmentedLog log = SegmentedLog.open(config))
        {
            return LogFiles.append(log, builder, SEED, 0, batches, 1);
        }
    }

    private void assertReadsBack(final SegmentedLog log, final List<LogFiles.Appended> batches)
    {
        for (final LogFiles.Appended batch : batches)
        {
            assertThat(LogFiles.readOne(log, batch.baseOffset(), scratch)).as("batch at %d", batch.baseOffset())
                .isEqualTo(batch.bytes());
        }
    }

    /** Every offset, not only batch starts, must find the batch that holds it. */
    private void assertEveryOffsetFindsItsBatch(final SegmentedLog log, final List<LogFiles.Appended> batches)
    {
        for (final LogFiles.Appended batch : batches)
        {
            for (long offset = batch.baseOffset(); offset < batch.nextOffset(); offset++)
            {
                assertThat(LogFiles.readOne(log, offset, scratch)).as("offset %d", offset).isEqualTo(batch.bytes());
            }
        }
    }

    private static List<Long> segmentBases(final List<LogFiles.Appended> batches)
    {
        return batches.stream().map(LogFiles.Appended::segmentBase).distinct().sorted().collect(Collectors.toList());
    }

    private static List<LogFiles.Appended> inSegment(final List<LogFiles.Appended> batches, final long segmentBase)
    {
        return batches.stream().filter(b -> b.segmentBase() == segmentBase).collect(Collectors.toList());
    }

    private static long lastByte(final LogFiles.Appended batch)
    {
        return batch.position() + batch.bytes().length - 1;
    }

    @Test
    void shouldTruncateCorruptTailBatchAndKeepEveryEarlierBatchByteForByte()
    {
        final List<LogFiles.Appended> batches = write(singleSegmentConfig(), 10);
        final LogFiles.Appended tail = batches.get(9);
        final Path segment = LogFiles.logFile(dir, 0);
        LogFiles.flipByte(segment, lastByte(tail));
        logger.clear();

        try (SegmentedLog log = SegmentedLog.open(singleSegmentConfig()))
        {
            assertThat(log.logEndOffset()).isEqualTo(tail.baseOffset());
            assertThat(log.durableEndOffset()).isEqualTo(tail.baseOffset());
            assertReadsBack(log, batches.subList(0, 9));
            assertThat(LogFiles.readOne(log, log.logEndOffset(), scratch)).isNull();
            assertThat(LogFiles.size(segment)).isEqualTo(tail.position());
            assertThat(logger.messagesAt(WARNING)).anySatisfy(line -> assertThat(line)
                .contains("Truncating torn tail of " + segment)
                .contains("at byte position " + tail.position())
                .contains("dropping " + tail.bytes().length + " bytes")
                .contains("offsets from " + tail.baseOffset() + " on"));

            final List<LogFiles.Appended> more = LogFiles.append(log, builder, SEED, 100, 1, 1);
            assertThat(more.get(0).baseOffset()).isEqualTo(tail.baseOffset());
        }
    }

    @Test
    void shouldRefuseToOpenWhenMiddleBatchOfActiveSegmentIsCorrupt()
    {
        final List<LogFiles.Appended> batches = write(singleSegmentConfig(), 10);
        final LogFiles.Appended middle = batches.get(5);
        final Path segment = LogFiles.logFile(dir, 0);
        final long sizeBefore = LogFiles.size(segment);
        LogFiles.flipByte(segment, lastByte(middle));

        final CorruptLogException ex = catchThrowableOfType(CorruptLogException.class,
            () -> SegmentedLog.open(singleSegmentConfig()));
        assertThat(ex.file()).isEqualTo(segment);
        assertThat(ex.position()).isEqualTo(middle.position());
        assertThat(ex.category()).isEqualTo(LogshipException.Category.FATAL);
        assertThat(ex.getMessage()).contains("at offset " + middle.baseOffset()).contains("valid batches follow it");
        // nothing was cut, and the lock was released: a second attempt fails the same way
        assertThat(LogFiles.size(segment)).isEqualTo(sizeBefore);
        assertThatThrownBy(() -> SegmentedLog.open(singleSegmentConfig())).isInstanceOf(CorruptLogException.class)
            .hasMessageContaining("at byte position " + middle.position());
    }

    @Test
    void shouldOpenWithCorruptSealedSegmentButFailTheCopyingReadOfThatBatch()
    {
        final List<LogFiles.Appended> batches = write(multiSegmentConfig(), 40);
        assertThat(segmentBases(batches)).hasSizeGreaterThanOrEqualTo(3);
        final LogFiles.Appended damaged = inSegment(batches, 0).get(2);
        final Path segment = LogFiles.logFile(dir, 0);
        LogFiles.flipByte(segment, lastByte(damaged));

        try (SegmentedLog log = SegmentedLog.open(multiSegmentConfig()))
        {
            assertThat(log.logEndOffset()).isEqualTo(batches.get(39).nextOffset());
            final CorruptLogException ex = catchThrowableOfType(CorruptLogException.class,
                () -> LogFiles.readOne(log, damaged.baseOffset(), scratch));
            assertThat(ex.file()).isEqualTo(segment);
            assertThat(ex.position()).isEqualTo(damaged.position());
            assertThat(ex.getMessage()).contains("CRC32C stored");
            assertReadsBack(log, batches.stream().filter(b -> b != damaged).collect(Collectors.toList()));
        }
    }

    @Test
    void shouldValidateEverySegmentWhenTheRecoveryPointIsMissing()
    {
        final List<LogFiles.Appended> batches = write(multiSegmentConfig(), 40);
        final LogFiles.Appended damaged = inSegment(batches, 0).get(2);
        final Path segment = LogFiles.logFile(dir, 0);
        LogFiles.flipByte(segment, lastByte(damaged));
        deleteFile(dir.resolve(SegmentedLog.RECOVERY_POINT_FILE));

        final CorruptLogException ex = catchThrowableOfType(CorruptLogException.class,
            () -> SegmentedLog.open(multiSegmentConfig()));
        assertThat(ex.file()).isEqualTo(segment);
        assertThat(ex.position()).isEqualTo(damaged.position());
    }

    @Test
    void shouldValidateEverySegmentWhenTheRecoveryPointFailsItsChecksum() throws IOException
    {
        final List<LogFiles.Appended> batches = write(multiSegmentConfig(), 40);
        final LogFiles.Appended damaged = inSegment(batches, 0).get(2);
        LogFiles.flipByte(LogFiles.logFile(dir, 0), lastByte(damaged));
        final Path recoveryPoint = dir.resolve(SegmentedLog.RECOVERY_POINT_FILE);
        Files.writeString(recoveryPoint, Files.readString(recoveryPoint).replaceFirst("^\\d", "9"));

        final CorruptLogException ex = catchThrowableOfType(CorruptLogException.class,
            () -> SegmentedLog.open(multiSegmentConfig()));
        assertThat(ex.file()).isEqualTo(LogFiles.logFile(dir, 0));
        assertThat(ex.position()).isEqualTo(damaged.position());
        assertThat(logger.messagesAt(WARNING)).anySatisfy(line -> assertThat(line)
            .contains(recoveryPoint.toString()).contains("validating every segment"));
    }

    @Test
    void shouldOpenHealthyLogWithoutRecoveryPointAndLoseNothing()
    {
        final List<LogFiles.Appended> batches = write(multiSegmentConfig(), 40);
        deleteFile(dir.resolve(SegmentedLog.RECOVERY_POINT_FILE));
        try (SegmentedLog log = SegmentedLog.open(multiSegmentConfig()))
        {
            assertThat(log.logEndOffset()).isEqualTo(batches.get(39).nextOffset());
            assertEveryOffsetFindsItsBatch(log, batches);
        }
    }

    @Test
    void shouldTruncateActiveSegmentCutInsideItsLastBatch()
    {
        final List<LogFiles.Appended> batches = write(multiSegmentConfig(), 40);
        final List<Long> bases = segmentBases(batches);
        final long activeBase = bases.get(bases.size() - 1);
        final List<LogFiles.Appended> active = inSegment(batches, activeBase);
        final LogFiles.Appended tail = active.get(active.size() - 1);
        final Path segment = LogFiles.logFile(dir, activeBase);
        LogFiles.truncate(segment, tail.position() + BatchDescriptor.HEADER_LENGTH + 3);

        try (SegmentedLog log = SegmentedLog.open(multiSegmentConfig()))
        {
            assertThat(log.logEndOffset()).isEqualTo(tail.baseOffset());
            assertThat(LogFiles.size(segment)).isEqualTo(tail.position());
            assertReadsBack(log, batches.subList(0, batches.size() - 1));
            assertThat(LogFiles.readOne(log, tail.baseOffset(), scratch)).isNull();
            assertThat(logger.messagesAt(WARNING)).anySatisfy(line -> assertThat(line)
                .contains(segment.toString()).contains("at byte position " + tail.position()));
        }
    }

    @Test
    void shouldTruncateActiveSegmentCutInsideTheHeaderOfItsLastBatch()
    {
        final List<LogFiles.Appended> batches = write(singleSegmentConfig(), 10);
        final LogFiles.Appended tail = batches.get(9);
        final Path segment = LogFiles.logFile(dir, 0);
        LogFiles.truncate(segment, tail.position() + 5);

        try (SegmentedLog log = SegmentedLog.open(singleSegmentConfig()))
        {
            assertThat(log.logEndOffset()).isEqualTo(tail.baseOffset());
            assertThat(LogFiles.size(segment)).isEqualTo(tail.position());
            assertReadsBack(log, batches.subList(0, 9));
        }
    }

    @Test
    void shouldRefuseToOpenWhenSealedSegmentIsCutInsideABatch()
    {
        final List<LogFiles.Appended> batches = write(multiSegmentConfig(), 40);
        final List<LogFiles.Appended> first = inSegment(batches, 0);
        final LogFiles.Appended last = first.get(first.size() - 1);
        final Path segment = LogFiles.logFile(dir, 0);
        LogFiles.truncate(segment, last.position() + BatchDescriptor.HEADER_LENGTH + 3);

        final CorruptLogException ex = catchThrowableOfType(CorruptLogException.class,
            () -> SegmentedLog.open(multiSegmentConfig()));
        assertThat(ex.file()).isEqualTo(segment);
        assertThat(ex.position()).isEqualTo(last.position());
    }

    @Test
    void shouldRefuseToOpenWhenSealedSegmentIsCutInsideABatchAndEverySegmentIsScanned()
    {
        final List<LogFiles.Appended> batches = write(multiSegmentConfig(), 40);
        final List<LogFiles.Appended> first = inSegment(batches, 0);
        final LogFiles.Appended last = first.get(first.size() - 1);
        final Path segment = LogFiles.logFile(dir, 0);
        LogFiles.truncate(segment, last.position() + BatchDescriptor.HEADER_LENGTH + 3);
        deleteFile(dir.resolve(SegmentedLog.RECOVERY_POINT_FILE));

        final CorruptLogException ex = catchThrowableOfType(CorruptLogException.class,
            () -> SegmentedLog.open(multiSegmentConfig()));
        assertThat(ex.file()).isEqualTo(segment);
        assertThat(ex.position()).isEqualTo(last.position());
        assertThat(ex.getMessage()).contains("later segments hold data");
        assertThat(LogFiles.size(segment)).isEqualTo(last.position() + BatchDescriptor.HEADER_LENGTH + 3);
    }

    @Test
    void shouldRefuseToOpenWhenSealedSegmentLostItsLastWholeBatch()
    {
        final List<LogFiles.Appended> batches = write(multiSegmentConfig(), 40);
        final List<Long> bases = segmentBases(batches);
        final List<LogFiles.Appended> first = inSegment(batches, 0);
        final LogFiles.Appended last = first.get(first.size() - 1);
        LogFiles.truncate(LogFiles.logFile(dir, 0), last.position());

        final CorruptLogException ex = catchThrowableOfType(CorruptLogException.class,
            () -> SegmentedLog.open(multiSegmentConfig()));
        assertThat(ex.file()).isEqualTo(LogFiles.logFile(dir, bases.get(1)));
        assertThat(ex.position()).isZero();
        assertThat(ex.getMessage()).contains("segment starts at offset " + bases.get(1) + " but the previous segment " +
            LogFiles.logFile(dir, 0).getFileName() + " ends at offset " + last.baseOffset());
    }

    /**
     * 40 batches written and closed, then the state a power cut after the last roll leaves: the segment before the
     * newest was the active one at the last completed flush (the recovery point names it, unless {@code recoveryPoint}
     * is false: then the file is gone) and is cut to {@code keptBytesOfLastBatch} bytes into its last batch, which it
     * loses (0: cut at the batch's start, a clean gap).
     */
    private record CutAfterRoll(List<LogFiles.Appended> batches, long newest, LogFiles.Appended lost)
    {
    }

    private CutAfterRoll cutAfterRoll(final int keptBytesOfLastBatch, final boolean recoveryPoint) throws IOException
    {
        final List<LogFiles.Appended> batches = write(multiSegmentConfig(), 40);
        final List<Long> bases = segmentBases(batches);
        final long flushedActive = bases.get(bases.size() - 2);
        final List<LogFiles.Appended> inFlushed = inSegment(batches, flushedActive);
        final LogFiles.Appended lost = inFlushed.get(inFlushed.size() - 1);
        if (recoveryPoint)
        {
            new RecoveryPointFile(dir).write(flushedActive);
        }
        else
        {
            deleteFile(dir.resolve(SegmentedLog.RECOVERY_POINT_FILE));
        }
        LogFiles.truncate(LogFiles.logFile(dir, flushedActive), lost.position() + keptBytesOfLastBatch);
        return new CutAfterRoll(batches, bases.get(bases.size() - 1), lost);
    }

    /**
     * A power cut after a roll and before the next flush completed, under fsync {@code interval}: the old segment's
     * unforced tail is lost while the new segment's creation (and some of its pages) reached the disk, which ext4
     * allows (another file's fsync commits the directory entry). The recovery point still names the old segment, so
     * the new one was created after the last completed flush and nothing in it was ever durable: the open drops it
     * and the log ends where the old segment does, as after a torn tail, instead of refusing to start.
     */
    @Test
    void shouldDropSegmentsCreatedAfterTheLastFlushWhenAPowerCutTookTheTailOfTheSegmentBeforeThem() throws IOException
    {
        final CutAfterRoll cut = cutAfterRoll(0, true);
        final List<LogFiles.Appended> batches = cut.batches();
        final LogFiles.Appended lost = cut.lost();
        final long newest = cut.newest();

        try (SegmentedLog log = SegmentedLog.open(multiSegmentConfig()))
        {
            assertThat(log.logEndOffset()).isEqualTo(lost.baseOffset());
            assertReadsBack(log, batches.subList(0, batches.indexOf(lost)));
            assertThat(log.segmentBaseOffsets()).doesNotContain(newest);
        }
        assertThat(LogFiles.logFile(dir, newest)).doesNotExist();
        assertThat(LogFiles.indexFile(dir, newest)).doesNotExist();
        assertThat(logger.messagesAt(WARNING)).anyMatch(m -> m.contains("created after the last completed flush"));
    }

    /** The same with the old segment cut inside its last batch, and the later segment holding data. */
    @Test
    void shouldDropSegmentsCreatedAfterTheLastFlushWhenATornTailPrecedesThem() throws IOException
    {
        final CutAfterRoll cut = cutAfterRoll(BatchDescriptor.HEADER_LENGTH + 3, true);
        final LogFiles.Appended torn = cut.lost();

        try (SegmentedLog log = SegmentedLog.open(multiSegmentConfig()))
        {
            assertThat(log.logEndOffset()).isEqualTo(torn.baseOffset());
            assertReadsBack(log, cut.batches().subList(0, cut.batches().indexOf(torn)));
        }
        assertThat(LogFiles.logFile(dir, cut.newest())).doesNotExist();
    }

    /**
     * Without a recovery point the loader cannot tell a segment created after the last flush from one that was
     * forced: the same gap is refused, as any gap below a trusted recovery point is
     * ({@link #shouldRefuseToOpenWhenSealedSegmentLostItsLastWholeBatch}).
     */
    @Test
    void shouldStillRefuseThatGapWhenTheRecoveryPointIsMissing() throws IOException
    {
        final CutAfterRoll cut = cutAfterRoll(0, false);

        final CorruptLogException ex = catchThrowableOfType(CorruptLogException.class,
            () -> SegmentedLog.open(multiSegmentConfig()));
        assertThat(ex.getMessage()).contains("a segment is missing or truncated");
        assertThat(LogFiles.logFile(dir, cut.newest())).exists();
    }

    /**
     * A recovery point that could not advance (a full disk) must not make the segments flushed since look unflushed:
     * before, it kept its old value, and a damaged segment below them (a second fault) made the open delete them as
     * created after the last flush, durable writes with them. Now the failed write removes the file, so the open
     * validates every segment and refuses the gap, and the segments after it are kept.
     */
    @Test
    void shouldRefuseAGapBelowSegmentsFlushedAfterTheRecoveryPointFailedToAdvance() throws IOException
    {
        final List<LogFiles.Appended> batches;
        // A directory where AtomicFile puts its temp file: every later write of the recovery point fails.
        final Path blocker = dir.resolve(SegmentedLog.RECOVERY_POINT_FILE + ".tmp");
        try (SegmentedLog log = SegmentedLog.open(multiSegmentConfig()))
        {
            Files.createDirectory(blocker);
            batches = LogFiles.append(log, builder, SEED, 0, 40, 1);
        }
        Files.delete(blocker);
        final List<Long> bases = segmentBases(batches);
        assertThat(bases).hasSizeGreaterThanOrEqualTo(3);
        final List<LogFiles.Appended> inSecond = inSegment(batches, bases.get(1));
        final LogFiles.Appended lost = inSecond.get(inSecond.size() - 1);
        LogFiles.truncate(LogFiles.logFile(dir, bases.get(1)), lost.position());

        final CorruptLogException ex = catchThrowableOfType(CorruptLogException.class,
            () -> SegmentedLog.open(multiSegmentConfig()));
        assertThat(ex).as("the open must refuse, not drop the segments after the gap").isNotNull();
        assertThat(ex.getMessage()).contains("a segment is missing or truncated");
        for (final long base : bases.subList(2, bases.size()))
        {
            assertThat(LogFiles.logFile(dir, base)).exists();
        }
        assertThat(logger.messagesAt(WARNING)).anyMatch(m -> m.contains("Could not advance") &&
            m.contains("removed it: the next open validates every segment"));
    }

    @Test
    void shouldRefuseToOpenWhenAMiddleSegmentIsDeleted()
    {
        final List<LogFiles.Appended> batches = write(multiSegmentConfig(), 40);
        final List<Long> bases = segmentBases(batches);
        assertThat(bases).hasSizeGreaterThanOrEqualTo(3);
        deleteFile(LogFiles.logFile(dir, bases.get(1)));
        deleteFile(LogFiles.indexFile(dir, bases.get(1)));

        final CorruptLogException ex = catchThrowableOfType(CorruptLogException.class,
            () -> SegmentedLog.open(multiSegmentConfig()));
        assertThat(ex.file()).isEqualTo(LogFiles.logFile(dir, bases.get(2)));
        assertThat(ex.position()).isZero();
        assertThat(ex.getMessage()).contains("segment starts at offset " + bases.get(2) + " but the previous segment " +
            LogFiles.logFile(dir, 0).getFileName() + " ends at offset " + bases.get(1))
            .contains("a segment is missing or truncated");
    }

    @Test
    void shouldTruncateGarbageAppendedAfterTheLastBatchAndLoseNothing()
    {
        final List<LogFiles.Appended> batches = write(multiSegmentConfig(), 40);
        final List<Long> bases = segmentBases(batches);
        final Path active = LogFiles.logFile(dir, bases.get(bases.size() - 1));
        final long sizeBefore = LogFiles.size(active);
        final byte[] garbage = new byte[333];
        new Random(7).nextBytes(garbage);
        LogFiles.appendBytes(active, garbage);

        try (SegmentedLog log = SegmentedLog.open(multiSegmentConfig()))
        {
            assertThat(log.logEndOffset()).isEqualTo(batches.get(39).nextOffset());
            assertThat(LogFiles.size(active)).isEqualTo(sizeBefore);
            assertEveryOffsetFindsItsBatch(log, batches);
            assertThat(logger.messagesAt(WARNING)).anySatisfy(line -> assertThat(line)
                .contains(active.toString()).contains("at byte position " + sizeBefore)
                .contains("dropping " + garbage.length + " bytes"));
        }
    }

    @Test
    void shouldTruncateZeroFilledTailAndLoseNothing()
    {
        final List<LogFiles.Appended> batches = write(singleSegmentConfig(), 10);
        final Path segment = LogFiles.logFile(dir, 0);
        final long sizeBefore = LogFiles.size(segment);
        LogFiles.appendBytes(segment, new byte[4096]); // a file extended before its data landed

        try (SegmentedLog log = SegmentedLog.open(singleSegmentConfig()))
        {
            assertThat(log.logEndOffset()).isEqualTo(batches.get(9).nextOffset());
            assertThat(LogFiles.size(segment)).isEqualTo(sizeBefore);
            assertReadsBack(log, batches);
        }
    }

    enum IndexDamage
    {
        MISSING, RANDOM_BYTES, ODD_LENGTH, EVERY_ENTRY_SHIFTED, ONE_MIDDLE_ENTRY_SHIFTED, EMPTY
    }

    @ParameterizedTest
    @EnumSource(IndexDamage.class)
    void shouldRebuildDamagedIndexesSoEveryOffsetFindsItsBatch(final IndexDamage damage) throws IOException
    {
        final List<LogFiles.Appended> batches = write(multiSegmentConfig(), 60);
        final List<Long> bases = segmentBases(batches);
        assertThat(bases).hasSizeGreaterThanOrEqualTo(4);
        final Random random = new Random(damage.ordinal());
        for (final long base : bases)
        {
            final Path index = LogFiles.indexFile(dir, base);
            final byte[] original = Files.readAllBytes(index);
            assertThat(original.length / SegmentIndex.ENTRY_LENGTH).as("entries in %s", index).isGreaterThanOrEqualTo(3);
            switch (damage)
            {
                case MISSING -> Files.delete(index);
                case RANDOM_BYTES ->
                {
                    final byte[] noise = new byte[original.length];
                    random.nextBytes(noise);
                    Files.write(index, noise);
                }
                case ODD_LENGTH -> LogFiles.truncate(index, original.length - 3);
                case EVERY_ENTRY_SHIFTED -> Files.write(index, shiftEntries(original, 1, original.length / 8));
                case ONE_MIDDLE_ENTRY_SHIFTED -> Files.write(index, shiftEntries(original, 1, 2));
                case EMPTY -> Files.write(index, new byte[0]);
                default -> throw new IllegalStateException();
            }
        }

        try (SegmentedLog log = SegmentedLog.open(multiSegmentConfig()))
        {
            assertThat(log.segmentBaseOffsets()).isEqualTo(bases);
            assertThat(log.logEndOffset()).isEqualTo(batches.get(59).nextOffset());
            assertEveryOffsetFindsItsBatch(log, batches);
        }
        try (SegmentedLog log = SegmentedLog.open(multiSegmentConfig()))
        {
            assertEveryOffsetFindsItsBatch(log, batches);
        }
    }

    /** Moves the position of entries [from, to) 8 bytes forward: still increasing, but into the middle of a header. */
    private static byte[] shiftEntries(final byte[] index, final int from, final int to)
    {
        final ByteBuffer buffer = ByteBuffer.wrap(index.clone()).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = from; i < to; i++)
        {
            final int at = i * SegmentIndex.ENTRY_LENGTH + Integer.BYTES;
            buffer.putInt(at, buffer.getInt(at) + 8);
        }
        return buffer.array();
    }

    enum CheckpointDamage
    {
        MISSING, FLIPPED_DIGIT, NO_CRC_LINE, GARBAGE, EMPTY
    }

    @ParameterizedTest
    @EnumSource(CheckpointDamage.class)
    void shouldRebuildDamagedEpochCheckpointFromBatchHeaders(final CheckpointDamage damage) throws IOException
    {
        final List<EpochHistory.Entry> before;
        try (SegmentedLog log = SegmentedLog.open(multiSegmentConfig()))
        {
            LogFiles.append(log, builder, SEED, 0, 10, 1);
            LogFiles.append(log, builder, SEED, 10, 10, 3);
            LogFiles.append(log, builder, SEED, 20, 10, 4);
            LogFiles.append(log, builder, SEED, 30, 10, 7);
            before = log.epochHistory().entries();
            assertThat(log.segmentCount()).isGreaterThanOrEqualTo(3);
        }
        assertThat(before).extracting(EpochHistory.Entry::epoch).containsExactly(1, 3, 4, 7);
        damageCheckpoint(damage);

        try (SegmentedLog log = SegmentedLog.open(multiSegmentConfig()))
        {
            assertThat(log.epochHistory().entries()).isEqualTo(before);
            assertThat(log.epochHistory().endOffsetFor(3, log.logEndOffset()).endOffset())
                .isEqualTo(before.get(2).startOffset());
        }
        final EpochHistory reloaded = EpochHistory.load(dir.resolve(SegmentedLog.EPOCH_CHECKPOINT_FILE));
        assertThat(reloaded.loadProblem()).isNull();
        assertThat(reloaded.entries()).isEqualTo(before);
    }

    @Test
    void shouldRebuildMissingEpochCheckpointAfterRetentionMovedTheLogStart() throws IOException
    {
        final List<EpochHistory.Entry> before;
        final LogConfig config = multiSegmentConfig().retentionBytes(6000);
        try (SegmentedLog log = SegmentedLog.open(config))
        {
            LogFiles.append(log, builder, SEED, 0, 15, 2);
            LogFiles.append(log, builder, SEED, 15, 15, 5);
            LogFiles.append(log, builder, SEED, 30, 15, 6);
            assertThat(log.applyRetention(0, Long.MAX_VALUE)).isGreaterThan(0);
            before = log.epochHistory().entries();
            assertThat(before.get(0).startOffset()).isEqualTo(log.logStartOffset());
        }
        damageCheckpoint(CheckpointDamage.MISSING);
        try (SegmentedLog log = SegmentedLog.open(config))
        {
            assertThat(log.epochHistory().entries()).isEqualTo(before);
        }
    }

    private void damageCheckpoint(final CheckpointDamage damage) throws IOException
    {
        final Path checkpoint = dir.resolve(SegmentedLog.EPOCH_CHECKPOINT_FILE);
        final String text = Files.readString(checkpoint, StandardCharsets.UTF_8);
        switch (damage)
        {
            case MISSING -> Files.delete(checkpoint);
            case FLIPPED_DIGIT -> Files.writeString(checkpoint, text.replaceFirst("\n3 ", "\n2 "));
            case NO_CRC_LINE -> Files.writeString(checkpoint, text.substring(0, text.indexOf("crc32c")));
            case GARBAGE -> Files.writeString(checkpoint, "\u0000\u0001garbage\n");
            case EMPTY -> Files.writeString(checkpoint, "");
            default -> throw new IllegalStateException();
        }
    }

    @Test
    void shouldRefuseToReadNodeStateThatFailsItsChecksumNamingTheFile() throws IOException
    {
        final NodeStateFile nodeState = new NodeStateFile(dir.resolve("node-state"));
        nodeState.write(new NodeStateFile.State(7, 2, 2));
        Files.writeString(nodeState.file(), Files.readString(nodeState.file()).replace("epoch=7", "epoch=8"));

        final LogshipException ex = catchThrowableOfType(LogshipException.class, nodeState::read);
        assertThat(ex.getMessage()).contains(nodeState.file().toString()).contains("is corrupt").contains("crc32c");
        assertThat(ex.category()).isEqualTo(LogshipException.Category.FATAL);
    }

    @Test
    void shouldRefuseToReadTornNodeStateNamingTheFile() throws IOException
    {
        final NodeStateFile nodeState = new NodeStateFile(dir.resolve("node-state"));
        nodeState.write(new NodeStateFile.State(7, 2, 2));
        LogFiles.truncate(nodeState.file(), 12);

        assertThatThrownBy(nodeState::read).isInstanceOf(LogshipException.class)
            .hasMessageContaining(nodeState.file().toString()).hasMessageContaining("no crc32c line");
    }

    private static void deleteFile(final Path file)
    {
        try
        {
            Files.delete(file);
        }
        catch (final IOException ex)
        {
            throw new java.io.UncheckedIOException(ex);
        }
    }
}
