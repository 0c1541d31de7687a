package io.logship.log;

import io.logship.format.BatchBuilder;

import io.logship.format.BatchDescriptor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Seeded random sequences of appends, truncations, rolls, retention, reopens and full resets, each
 * checked after every operation against a plain in-memory model: segments holding batches (bytes,
 * base offset, epoch) and the epoch history as a list. A failure names the seed, the operation and
 * the last operations before it, so {@code runSequence(seed)} replays it exactly.
 */
class SegmentedLogModelTest
{
    /** Fewer under mutation testing (-Pmutation sets 20), where this test runs once per mutant. */
    private static final int SEQUENCES = Integer.getInteger("logship.test.modelSequences", 200);
    private static final int OPERATIONS = 200;

    @TempDir(factory = ShmTempDirFactory.class)
    Path root;

    private final ByteBuffer scratch = ByteBuffer.allocate(64 * 1024);
    private final BatchBuilder builder = new BatchBuilder(64 * 1024);

    record ModelBatch(long baseOffset, int recordCount, int epoch, byte[] bytes)
    {
        long nextOffset()
        {
            return baseOffset + recordCount;
        }
    }

    static final class ModelSegment
    {
        final long baseOffset;
        final List<ModelBatch> batches = new ArrayList<>();

        ModelSegment(final long baseOffset)
        {
            this.baseOffset = baseOffset;
        }

        long sizeBytes()
        {
            return batches.stream().mapToLong(b -> b.bytes().length).sum();
        }

        long nextOffset()
        {
            return batches.isEmpty() ? baseOffset : batches.get(batches.size() - 1).nextOffset();
        }
    }

    /** What the log should hold, written as simply as possible. */
    static final class Model
    {
        final List<ModelSegment> segments = new ArrayList<>();
        final List<EpochHistory.Entry> epochs = new ArrayList<>();

        Model()
        {
            segments.add(new ModelSegment(0));
        }

        ModelSegment active()
        {
            return segments.get(segments.size() - 1);
        }

        long logStartOffset()
        {
            return segments.get(0).baseOffset;
        }

        long logEndOffset()
        {
            return active().nextOffset();
        }

        int latestEpoch()
        {
            return epochs.isEmpty() ? EpochHistory.UNDEFINED_EPOCH : epochs.get(epochs.size() - 1).epoch();
        }

        List<ModelBatch> batches()
        {
            return segments.stream().flatMap(s -> s.batches.stream()).toList();
        }

        long sizeBytes()
        {
            return segments.stream().mapToLong(ModelSegment::sizeBytes).sum();
        }

        void append(final ModelBatch batch, final int segmentBytes)
        {
            if (batch.epoch() > latestEpoch())
            {
                // an epoch that starts where the previous one did wrote nothing: the new one replaces it
                epochs.removeIf(entry -> entry.startOffset() >= batch.baseOffset());
                epochs.add(new EpochHistory.Entry(batch.epoch(), batch.baseOffset()));
            }
            if (!active().batches.isEmpty() && active().sizeBytes() + batch.bytes().length > segmentBytes)
            {
                roll();
            }
            active().batches.add(batch);
        }

        void roll()
        {
            if (!active().batches.isEmpty())
            {
                segments.add(new ModelSegment(logEndOffset()));
            }
        }

        long truncateTo(final long offset)
        {
            int s = segments.size() - 1;
            while (segments.get(s).baseOffset > offset)
            {
                s--;
            }
            segments.subList(s + 1, segments.size()).clear();
            final List<ModelBatch> batches = active().batches;
            int b = 0;
            while (batches.get(b).nextOffset() <= offset)
            {
                b++;
            }
            batches.subList(b, batches.size()).clear();
            final long newEnd = logEndOffset();
            epochs.removeIf(entry -> entry.startOffset() >= newEnd);
            return newEnd;
        }

        int applyRetention(final long retentionBytes, final long maxDeletableOffset)
        {
            int deleted = 0;
            while (segments.size() > 1)
            {
                final ModelSegment oldest = segments.get(0);
                if (sizeBytes() - oldest.sizeBytes() < retentionBytes || oldest.nextOffset() > maxDeletableOffset)
                {
                    break;
                }
                segments.remove(0);
                deleted++;
            }
            if (deleted > 0 && !epochs.isEmpty() && epochs.get(0).startOffset() < logStartOffset())
            {
                // drop epochs wholly before the new start, clamp the one containing it
                int keep = 0;
                for (int i = 0; i < epochs.size(); i++)
                {
                    if (epochs.get(i).startOffset() <= logStartOffset())
                    {
                        keep = i;
                    }
                }
                final EpochHistory.Entry clamped = new EpochHistory.Entry(epochs.get(keep).epoch(), logStartOffset());
                epochs.subList(0, keep + 1).clear();
                epochs.add(0, clamped);
            }
            return deleted;
        }

        void reopened()
        {
            // recovery trims epochs that start at or after the log end: no batch of theirs survived
            final long end = logEndOffset();
            epochs.removeIf(entry -> entry.startOffset() >= end);
        }

        void truncateFullyAndStartAt(final long offset)
        {
            segments.clear();
            segments.add(new ModelSegment(offset));
            epochs.clear();
        }

        /** The largest epoch ≤ {@code epoch} with where it ended, per {@link EpochHistory#endOffsetFor}. */
        EpochHistory.EpochEnd endOffsetFor(final int epoch)
        {
            final EpochHistory.EpochEnd undefined =
                new EpochHistory.EpochEnd(EpochHistory.UNDEFINED_EPOCH, EpochHistory.UNDEFINED_OFFSET);
            if (epochs.isEmpty() || epoch > latestEpoch())
            {
                return undefined;
            }
            if (epoch == latestEpoch())
            {
                return new EpochHistory.EpochEnd(epoch, logEndOffset());
            }
            for (int i = epochs.size() - 1; i >= 0; i--)
            {
                if (epochs.get(i).epoch() <= epoch)
                {
                    return new EpochHistory.EpochEnd(epochs.get(i).epoch(), epochs.get(i + 1).startOffset());
                }
            }
            return undefined;
        }
    }

    @Test
    void shouldMatchTheModelAfterEveryOperationOfSeededRandomSequences()
    {
        for (long seed = 1; seed <= SEQUENCES; seed++)
        {
            runSequence(seed);
        }
    }

    private void runSequence(final long seed)
    {
        final Random random = new Random(seed);
        final int segmentBytes = (4 + random.nextInt(13)) * 1024;
        // 0 in some sequences: retention may then delete every sealed segment and leave the log empty
        final long retentionBytes = random.nextInt(5) == 0 ? 0 : segmentBytes * (1L + random.nextInt(4));
        final Path dir = root.resolve("seed-" + seed);
        final LogConfig config = new LogConfig().directory(dir).segmentBytes(segmentBytes)
            .indexIntervalBytes(128 + random.nextInt(1024)).retentionBytes(retentionBytes)
            .logger(new CapturingLogger());
        final Model model = new Model();
        final ArrayDeque<String> recent = new ArrayDeque<>();
        SegmentedLog log = SegmentedLog.open(config);
        long batchNumber = 0;
        int epoch = 1;
        String op = "open";
        int step = 0;
        try
        {
            verify(log, model, random);
            for (step = 0; step < OPERATIONS; step++)
            {
                final int dice = random.nextInt(100);
                if (dice < 55)
                {
                    if (random.nextInt(20) == 0)
                    {
                        epoch += 1 + random.nextInt(2);
                    }
                    final boolean asFollower = random.nextInt(8) == 0;
                    final long n = batchNumber++;
                    final int length = TestBatches.build(builder, seed, n, epoch, 4, 120);
                    final long base = model.logEndOffset();
                    op = (asFollower ? "appendAsFollower" : "appendAsLeader") + "(batch " + n + ", epoch " + epoch +
                        ", " + length + " bytes) at " + base;
                    if (asFollower)
                    {
                        BatchDescriptor.baseOffset(builder.buffer(), 0, base);
                        assertThat(log.appendAsFollower(builder.buffer(), 0, length)).isEqualTo(base);
                    }
                    else
                    {
                        assertThat(log.appendAsLeader(builder.buffer(), 0, length)).isEqualTo(base);
                    }
                    model.append(new ModelBatch(base, builder.recordCount(), epoch,
                        TestBatches.copy(builder.buffer(), length)), segmentBytes);
                }
                else if (dice < 58 && model.latestEpoch() > 1)
                {
                    final int stale = model.latestEpoch() - 1;
                    op = "appendAsLeader with stale epoch " + stale;
                    final int length = TestBatches.build(builder, seed, batchNumber, stale, 4, 120);
                    final SegmentedLog current = log;
                    assertThatThrownBy(() -> current.appendAsLeader(builder.buffer(), 0, length))
                        .isInstanceOf(InvalidBatchException.class)
                        .hasMessageContaining("batch epoch " + stale + " is older than the log's latest epoch");
                }
                else if (dice < 68)
                {
                    final long start = model.logStartOffset();
                    final long end = model.logEndOffset();
                    final long offset = start - 2 + (long)random.nextInt((int)(end - start) + 5);
                    op = "truncateTo(" + offset + ") of [" + start + ", " + end + ")";
                    if (offset >= end)
                    {
                        assertThat(log.truncateTo(offset)).isEqualTo(end);
                    }
                    else if (offset < start)
                    {
                        final SegmentedLog current = log;
                        assertThatThrownBy(() -> current.truncateTo(offset))
                            .isInstanceOf(OffsetOutOfRangeException.class)
                            .hasMessageContaining("offset " + offset + " is outside the log [" + start + ", " + end + "]");
                    }
                    else
                    {
                        final long expectedEnd = model.truncateTo(offset);
                        assertThat(log.truncateTo(offset)).isEqualTo(expectedEnd);
                    }
                }
                else if (dice < 76)
                {
                    op = "roll";
                    log.roll();
                    model.roll();
                }
                else if (dice < 86)
                {
                    final long start = model.logStartOffset();
                    final long end = model.logEndOffset();
                    final long maxDeletable = random.nextInt(4) == 0 ? Long.MAX_VALUE :
                        start + (long)random.nextInt((int)(end - start) + 2);
                    op = "applyRetention(maxDeletableOffset " + maxDeletable + ")";
                    final int expected = model.applyRetention(retentionBytes, maxDeletable);
                    assertThat(log.applyRetention(0, maxDeletable)).isEqualTo(expected);
                }
                else if (dice < 97)
                {
                    op = "close and reopen";
                    log.close();
                    log = SegmentedLog.open(config);
                    model.reopened();
                }
                else
                {
                    final long offset = random.nextBoolean() ? model.logEndOffset() + random.nextInt(100) :
                        random.nextInt(1000);
                    op = "truncateFullyAndStartAt(" + offset + ")";
                    log.truncateFullyAndStartAt(offset);
                    model.truncateFullyAndStartAt(offset);
                }
                recent.addLast(step + ": " + op);
                if (recent.size() > 12)
                {
                    recent.removeFirst();
                }
                verify(log, model, random);
            }
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("model mismatch with seed " + seed + " at operation " + step + " (" + op +
                "), segmentBytes " + segmentBytes + ", retentionBytes " + retentionBytes + "; recent operations: " +
                recent, ex);
        }
        finally
        {
            log.close();
            deleteRecursively(dir);
        }
    }

    private void verify(final SegmentedLog log, final Model model, final Random random)
    {
        assertThat(log.logStartOffset()).as("logStartOffset").isEqualTo(model.logStartOffset());
        assertThat(log.logEndOffset()).as("logEndOffset").isEqualTo(model.logEndOffset());
        assertThat(log.durableEndOffset()).as("durableEndOffset").isEqualTo(model.logEndOffset());
        assertThat(log.segmentBaseOffsets()).as("segment base offsets")
            .isEqualTo(model.segments.stream().map(s -> s.baseOffset).toList());
        assertThat(log.sizeBytes()).as("sizeBytes").isEqualTo(model.sizeBytes());

        for (final ModelSegment segment : model.segments)
        {
            long segmentRemaining = segment.sizeBytes();
            for (final ModelBatch batch : segment.batches)
            {
                final long inside = batch.baseOffset() + random.nextInt(batch.recordCount());
                assertThat(LogFiles.readOne(log, inside, scratch)).as("batch read at offset %d", inside)
                    .isEqualTo(batch.bytes());
                final LogSlice slice = log.slice(batch.baseOffset(), Integer.MAX_VALUE);
                assertThat(slice.firstBatchOffset()).as("slice from %d", batch.baseOffset()).isEqualTo(batch.baseOffset());
                assertThat(slice.lengthBytes()).as("slice from %d", batch.baseOffset()).isEqualTo(segmentRemaining);
                assertThat(slice.nextOffset()).as("slice from %d", batch.baseOffset()).isEqualTo(segment.nextOffset());
                segmentRemaining -= batch.bytes().length;
            }
        }
        assertThat(LogFiles.readOne(log, model.logEndOffset(), scratch)).as("read at the log end").isNull();
        assertThatThrownBy(() -> log.slice(model.logEndOffset() + 1, 100)).isInstanceOf(OffsetOutOfRangeException.class);
        if (model.logStartOffset() > 0)
        {
            assertThatThrownBy(() -> log.slice(model.logStartOffset() - 1, 100))
                .isInstanceOf(OffsetOutOfRangeException.class);
        }

        assertThat(log.epochHistory().entries()).as("epoch history").isEqualTo(model.epochs);
        for (int e = -1; e <= model.latestEpoch() + 1; e++)
        {
            assertThat(log.epochHistory().endOffsetFor(e, log.logEndOffset())).as("endOffsetFor(%d)", e)
                .isEqualTo(model.endOffsetFor(e));
        }
    }

    private static void deleteRecursively(final Path dir)
    {
        if (!Files.exists(dir))
        {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir))
        {
            for (final Path path : paths.sorted(Comparator.reverseOrder()).toList())
            {
                Files.delete(path);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
