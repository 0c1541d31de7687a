package io.logship.log;

import io.logship.format.BatchBuilder;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Recovery of sealed segments whose index is lost or stale: the log must not only read correctly
 * (a header walk from the segment start always finds the data) but also write the index back, or
 * every later open and read pays a full scan, and a stale index stays on disk to mislead the next
 * recovery. Written to kill the mutants PIT found surviving in {@code Segment.loadSealed}.
 */
class SegmentRecoveryTest
{
    private static final long SEED = 77;

    @TempDir
    Path dir;

    private final CapturingLogger logger = new CapturingLogger();
    private final BatchBuilder builder = new BatchBuilder(64 * 1024);
    private final ByteBuffer scratch = ByteBuffer.allocate(64 * 1024);

    /** Small segments so a few dozen batches seal several of them; an index entry every 256 bytes. */
    private LogConfig config()
    {
        return new LogConfig().directory(dir).segmentBytes(4096).indexIntervalBytes(256).logger(logger);
    }

    private List<LogFiles.Appended> writeSealedSegments()
    {
        try (SegmentedLog log = SegmentedLog.open(config()))
        {
            final List<LogFiles.Appended> appended = LogFiles.append(log, builder, SEED, 0, 60, 1);
            assertThat(log.segmentCount()).as("sealed segments to recover").isGreaterThanOrEqualTo(3);
            return appended;
        }
    }

    @Test
    void shouldWriteBackAMissingIndexOfASealedSegmentIdenticalToTheLostOne() throws IOException
    {
        final List<LogFiles.Appended> batches = writeSealedSegments();
        final Path index = LogFiles.indexFile(dir, 0);
        final byte[] original = Files.readAllBytes(index);
        assertThat(original).as("segment 0's index has entries").hasSizeGreaterThan(SegmentIndex.ENTRY_LENGTH);
        Files.delete(index);

        try (SegmentedLog log = SegmentedLog.open(config()))
        {
            assertThat(Files.readAllBytes(index)).as("index rebuilt and flushed on open").isEqualTo(original);
            assertThat(logger.messagesAt(System.Logger.Level.WARNING))
                .anyMatch(m -> m.startsWith("Rebuilding index " + index));
            assertEveryOffsetReadsItsBatch(log, batches);
        }
    }

    @Test
    void shouldRewriteAStaleLastIndexEntryOfASealedSegment() throws IOException
    {
        final List<LogFiles.Appended> batches = writeSealedSegments();
        final Path index = LogFiles.indexFile(dir, 0);
        final byte[] original = Files.readAllBytes(index);
        final int entries = original.length / SegmentIndex.ENTRY_LENGTH;
        assertThat(entries).isGreaterThanOrEqualTo(2);
        // The last entry now points 8 bytes into a batch header: still increasing, so it loads, but the
        // header walk from it does not chain up to the end of the file.
        final ByteBuffer damaged = ByteBuffer.wrap(original.clone()).order(ByteOrder.LITTLE_ENDIAN);
        final int at = (entries - 1) * SegmentIndex.ENTRY_LENGTH + Integer.BYTES;
        damaged.putInt(at, damaged.getInt(at) + 8);
        Files.write(index, damaged.array());

        try (SegmentedLog log = SegmentedLog.open(config()))
        {
            assertThat(Files.readAllBytes(index)).as("stale index replaced on open").isEqualTo(original);
            assertThat(logger.messagesAt(System.Logger.Level.WARNING))
                .anyMatch(m -> m.equals("Rebuilding index " + index + ": its last entry does not match the batch headers"));
            assertEveryOffsetReadsItsBatch(log, batches);
        }
    }

    private void assertEveryOffsetReadsItsBatch(final SegmentedLog log, final List<LogFiles.Appended> batches)
    {
        assertThat(log.logEndOffset()).isEqualTo(batches.get(batches.size() - 1).nextOffset());
        for (final LogFiles.Appended batch : batches)
        {
            for (long offset = batch.baseOffset(); offset < batch.nextOffset(); offset++)
            {
                assertThat(LogFiles.readOne(log, offset, scratch)).as("offset %d", offset).isEqualTo(batch.bytes());
            }
        }
    }
}
