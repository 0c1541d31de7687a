package io.logship.log;

import io.logship.format.BatchBuilder;

import io.logship.format.BatchDescriptor;
import io.logship.format.RecordDescriptor;
import io.logship.format.RecordType;

import io.logship.LogshipException;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class QuarantineTest
{
    private static final int NODE_ID = 1;
    private static final int NEW_LEADER_ID = 2;
    private static final int NEW_LEADER_EPOCH = 7;
    private static final String REASON = "diverged from leader 2 at epoch 3 — cut for epoch 7";
    private static final long CLIENT_ID = 0x1234_5678_9abcL;

    @TempDir
    Path dir;

    private final BatchBuilder builder = new BatchBuilder(64 * 1024);

    /** A record as appended, to compare with what a quarantine file gives back. */
    private record Expected(long offset, int epoch, long timestampMs, RecordType type, byte[] key, byte[] value,
        boolean idempotent, long clientId, long sequence)
    {
    }

    /** A batch as appended: its base offset and length (its position in a quarantine file follows from them). */
    private record Batch(long baseOffset, int length, List<Expected> records)
    {
    }

    private LogConfig config()
    {
        return new LogConfig().directory(dir.resolve("log")).segmentBytes(4096).indexIntervalBytes(256)
            .logger(new CapturingLogger());
    }

    /**
     * Appends {@code count} batches of 1 to 4 records mixing PUT, DELETE, idempotent PUT and non-UTF-8 keys;
     * batch {@code n} opens with an epoch-start NOOP batch when it is the first of its epoch.
     */
    private List<Batch> append(final SegmentedLog log, final long seed, final int first, final int count,
        final int epoch)
    {
        final Random random = new Random(seed);
        final List<Batch> batches = new ArrayList<>();
        long sequence = first * 10L;
        for (int n = first; n < first + count; n++)
        {
            final long timestamp = 1_700_000_000_000L + n;
            builder.reset(epoch, timestamp);
            final boolean epochStart = n == first;
            final List<RecordSpec> specs = new ArrayList<>();
            if (epochStart)
            {
                builder.flags(BatchDescriptor.FLAG_EPOCH_START);
                builder.noop();
                specs.add(new RecordSpec(RecordType.NOOP, new byte[0], new byte[0], false, 0));
            }
            else
            {
                final int records = 1 + random.nextInt(4);
                for (int i = 0; i < records; i++)
                {
                    final int kind = random.nextInt(4);
                    final byte[] key = 3 == kind ? new byte[]{ (byte)0xff, (byte)n, 0, (byte)i } :
                        ("key-" + n + "-" + i).getBytes(StandardCharsets.UTF_8);
                    final byte[] value = new byte[1 == kind ? 0 : random.nextInt(300)];
                    random.nextBytes(value);
                    final RecordType type = 1 == kind ? RecordType.DELETE : RecordType.PUT;
                    final boolean idempotent = 2 == kind;
                    final long seq = idempotent ? ++sequence : 0;
                    builder.append(type, idempotent, idempotent ? CLIENT_ID : 0, seq, new UnsafeBuffer(key), 0,
                        key.length, new UnsafeBuffer(value), 0, value.length);
                    specs.add(new RecordSpec(type, key, value, idempotent, seq));
                }
            }
            final int length = builder.build();
            final long base = log.appendAsLeader(builder.buffer(), 0, length);
            final List<Expected> records = new ArrayList<>();
            for (int i = 0; i < specs.size(); i++)
            {
                final RecordSpec spec = specs.get(i);
                records.add(new Expected(base + i, epoch, timestamp, spec.type(), spec.key(), spec.value(),
                    spec.idempotent(), spec.idempotent() ? CLIENT_ID : 0, spec.sequence()));
            }
            batches.add(new Batch(base, length, records));
        }
        return batches;
    }

    private record RecordSpec(RecordType type, byte[] key, byte[] value, boolean idempotent, long sequence)
    {
    }

    private static Path save(final SegmentedLog log, final long fromOffset, final Path quarantineDir)
    {
        return save(log, fromOffset, quarantineDir, REASON);
    }

    private static Path save(final SegmentedLog log, final long fromOffset, final Path quarantineDir,
        final String reason)
    {
        return Quarantine.save(log, fromOffset, quarantineDir, NODE_ID, NEW_LEADER_ID, NEW_LEADER_EPOCH, reason);
    }

    private static List<Expected> records(final List<Batch> batches)
    {
        return batches.stream().flatMap((b) -> b.records().stream()).toList();
    }

    private static void assertRecord(final Quarantine.Record actual, final Expected expected)
    {
        final String at = "offset " + expected.offset();
        assertThat(actual).as(at).isNotNull();
        assertThat(actual.offset()).as(at).isEqualTo(expected.offset());
        assertThat(actual.epoch()).as(at).isEqualTo(expected.epoch());
        assertThat(actual.batchTimestampMs()).as(at).isEqualTo(expected.timestampMs());
        assertThat(actual.type()).as(at).isEqualTo(expected.type());
        assertThat(actual.key()).as(at).isEqualTo(expected.key());
        assertThat(actual.value()).as(at).isEqualTo(expected.value());
        assertThat(actual.idempotent()).as(at).isEqualTo(expected.idempotent());
        assertThat(actual.clientId()).as(at).isEqualTo(expected.clientId());
        assertThat(actual.sequence()).as(at).isEqualTo(expected.sequence());
    }

    /** Reads every record of {@code file}, checking it against {@code expected} in order, and the end. */
    private static void assertHolds(final Path file, final List<Expected> expected)
    {
        try (Quarantine.Reader reader = Quarantine.read(file))
        {
            for (final Expected record : expected)
            {
                assertRecord(reader.next(), record);
            }
            assertThat(reader.next()).isNull();
            assertThat(reader.next()).isNull();
        }
    }

    private static List<Path> filesIn(final Path directory) throws IOException
    {
        if (!Files.exists(directory))
        {
            return List.of();
        }
        try (Stream<Path> stream = Files.list(directory))
        {
            return stream.toList();
        }
    }

    @Test
    void shouldKeepTheCutSuffixRecordByRecordAcrossSegmentsAndEpochs() throws IOException
    {
        final Path quarantineDir = dir.resolve("data/quarantine");
        try (SegmentedLog log = SegmentedLog.open(config()))
        {
            final List<Batch> batches = new ArrayList<>(append(log, 1, 0, 40, 1));
            batches.addAll(append(log, 2, 40, 30, 3));
            assertThat(log.segmentCount()).isGreaterThan(3);
            final int cutIndex = 25;
            final long cut = batches.get(cutIndex).baseOffset();
            final long end = log.logEndOffset();

            final long before = System.currentTimeMillis();
            final Path file = save(log, cut, quarantineDir);
            final long after = System.currentTimeMillis();
            assertThat(log.truncateTo(cut)).isEqualTo(cut);

            assertThat(file.getParent()).isEqualTo(quarantineDir);
            assertThat(file.getFileName().toString())
                .matches("quarantine-\\d{8}T\\d{9}Z-" + cut + "-" + end + "\\.qlog");
            assertThat(filesIn(quarantineDir)).containsExactly(file);
            assertThat(Quarantine.list(quarantineDir)).containsExactly(file);
            final List<Batch> suffix = batches.subList(cutIndex, batches.size());
            final int headerLength = Quarantine.FIXED_HEADER_LENGTH + REASON.getBytes(StandardCharsets.UTF_8).length;
            final long batchBytes = suffix.stream().mapToLong(Batch::length).sum();
            assertThat(Files.size(file)).isEqualTo(headerLength + batchBytes);
            try (Quarantine.Reader reader = Quarantine.read(file))
            {
                final Quarantine.Header header = reader.header();
                assertThat(header.formatVersion()).isEqualTo(1);
                assertThat(header.nodeId()).isEqualTo(NODE_ID);
                assertThat(header.newLeaderId()).isEqualTo(NEW_LEADER_ID);
                assertThat(header.newLeaderEpoch()).isEqualTo(NEW_LEADER_EPOCH);
                assertThat(header.requestedOffset()).isEqualTo(cut);
                assertThat(header.fromOffset()).isEqualTo(cut);
                assertThat(header.requestedInsideBatch()).isFalse();
                assertThat(header.endOffset()).isEqualTo(end);
                assertThat(header.recordCount()).isEqualTo(end - cut);
                assertThat(header.batchBytes()).isEqualTo(batchBytes);
                assertThat(header.headerLength()).isEqualTo(headerLength);
                assertThat(header.createdAtMillis()).isBetween(before, after);
                assertThat(header.reason()).isEqualTo(REASON);
            }
            final List<Expected> expected = records(suffix);
            assertThat(expected).extracting(Expected::type)
                .contains(RecordType.PUT, RecordType.DELETE, RecordType.NOOP);
            assertThat(expected).anyMatch(Expected::idempotent);
            assertThat(expected).extracting(Expected::epoch).contains(1, 3);
            assertHolds(file, expected);
        }
    }

    @Test
    void shouldStartAtTheBatchHoldingAnOffsetInsideItAndSaySo()
    {
        final Path quarantineDir = dir.resolve("quarantine");
        try (SegmentedLog log = SegmentedLog.open(config()))
        {
            final List<Batch> batches = append(log, 3, 0, 20, 1);
            int index = 5;
            while (batches.get(index).records().size() < 2)
            {
                index++;
            }
            final Batch cut = batches.get(index);

            final Path file = save(log, cut.baseOffset() + 1, quarantineDir);

            assertThat(file.getFileName().toString()).contains("-" + cut.baseOffset() + "-" + log.logEndOffset() + ".");
            try (Quarantine.Reader reader = Quarantine.read(file))
            {
                assertThat(reader.header().requestedOffset()).isEqualTo(cut.baseOffset() + 1);
                assertThat(reader.header().fromOffset()).isEqualTo(cut.baseOffset());
                assertThat(reader.header().requestedInsideBatch()).isTrue();
            }
            assertThat(Quarantine.FLAG_REQUESTED_INSIDE_BATCH & readShort(file, Quarantine.FLAGS_OFFSET)).isEqualTo(1);
            assertHolds(file, records(batches.subList(index, batches.size())));
        }
    }

    @Test
    void shouldWriteNothingForAnEmptyRange() throws IOException
    {
        final Path quarantineDir = dir.resolve("quarantine");
        try (SegmentedLog log = SegmentedLog.open(config()))
        {
            assertThat(save(log, 0, quarantineDir)).isNull();
            append(log, 4, 0, 3, 1);
            final long end = log.logEndOffset();

            assertThat(save(log, end, quarantineDir)).isNull();
            assertThat(save(log, end + 10, quarantineDir)).isNull();
        }
        assertThat(quarantineDir).doesNotExist();
        assertThat(Quarantine.list(quarantineDir)).isEmpty();
    }

    @Test
    void shouldRefuseAnOffsetBelowTheLogStartAndAnOverlongReasonWritingNothing() throws IOException
    {
        final Path quarantineDir = dir.resolve("quarantine");
        try (SegmentedLog log = SegmentedLog.open(config()))
        {
            log.truncateFullyAndStartAt(100);
            append(log, 5, 0, 3, 1);

            assertThatThrownBy(() -> save(log, 99, quarantineDir)).isInstanceOf(OffsetOutOfRangeException.class)
                .hasMessageContaining("99");
            final String overlong = "x".repeat(Quarantine.MAX_REASON_BYTES + 1);
            assertThatThrownBy(() -> save(log, 100, quarantineDir, overlong))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(Integer.toString(Quarantine.MAX_REASON_BYTES + 1));
        }
        assertThat(filesIn(quarantineDir)).isEmpty();
    }

    @Test
    void shouldCopyABatchLargerThanTheCopyChunk()
    {
        final Path quarantineDir = dir.resolve("quarantine");
        final LogConfig config = new LogConfig().directory(dir.resolve("log")).segmentBytes(8 * 1024 * 1024)
            .logger(new CapturingLogger());
        final BatchBuilder big = new BatchBuilder(4 * 1024 * 1024);
        try (SegmentedLog log = SegmentedLog.open(config))
        {
            append(log, 6, 0, 3, 1);
            final long cut = log.logEndOffset();
            final Random random = new Random(6);
            final List<Expected> expected = new ArrayList<>();
            big.reset(1, 42);
            for (int i = 0; i < 3; i++)
            {
                final byte[] value = new byte[RecordDescriptor.MAX_VALUE_LENGTH];
                random.nextBytes(value);
                final byte[] key = ("big-" + i).getBytes(StandardCharsets.UTF_8);
                assertThat(big.put(key, value)).isTrue();
                expected.add(new Expected(cut + i, 1, 42, RecordType.PUT, key, value, false, 0, 0));
            }
            final int length = big.build();
            assertThat(length).isGreaterThan(Quarantine.COPY_CHUNK_BYTES);
            log.appendAsLeader(big.buffer(), 0, length);
            final List<Batch> tail = append(log, 7, 3, 2, 1);
            expected.addAll(records(tail));

            final Path file = save(log, cut, quarantineDir);

            assertHolds(file, expected);
        }
    }

    @Test
    void shouldNameThePositionOfAFlippedByteInABatchAfterReturningTheIntactBatchesBeforeIt()
    {
        final Path quarantineDir = dir.resolve("quarantine");
        try (SegmentedLog log = SegmentedLog.open(config()))
        {
            final List<Batch> batches = append(log, 8, 0, 12, 1);
            final int cutIndex = 2;
            final Path file = save(log, batches.get(cutIndex).baseOffset(), quarantineDir);
            final List<Batch> suffix = batches.subList(cutIndex, batches.size());
            final int damaged = 4;
            long position = Quarantine.FIXED_HEADER_LENGTH + REASON.getBytes(StandardCharsets.UTF_8).length;
            for (int i = 0; i < damaged; i++)
            {
                position += suffix.get(i).length();
            }
            LogFiles.flipByte(file, position + BatchDescriptor.HEADER_LENGTH + 3);

            try (Quarantine.Reader reader = Quarantine.read(file))
            {
                for (final Expected record : records(suffix.subList(0, damaged)))
                {
                    assertRecord(reader.next(), record);
                }
                final CorruptLogException ex = catchThrowableOfType(CorruptLogException.class, reader::next);
                assertThat(ex).isNotNull();
                assertThat(ex.file()).isEqualTo(file);
                assertThat(ex.position()).isEqualTo(position);
                assertThat(ex.getMessage()).contains(file.toString()).contains("byte position " + position)
                    .contains("CRC32C");
            }
        }
    }

    @Test
    void shouldNameTheHeaderWhenAHeaderByteIsFlipped()
    {
        final Path quarantineDir = dir.resolve("quarantine");
        try (SegmentedLog log = SegmentedLog.open(config()))
        {
            append(log, 9, 0, 5, 1);
            final Path file = save(log, 2, quarantineDir);
            for (final int at : new int[]{ Quarantine.NODE_ID_OFFSET, Quarantine.END_OFFSET_OFFSET + 1,
                Quarantine.REASON_OFFSET + 2 })
            {
                LogFiles.flipByte(file, at);

                final CorruptLogException ex =
                    catchThrowableOfType(CorruptLogException.class, () -> Quarantine.read(file));
                assertThat(ex).as("byte %d flipped", at).isNotNull();
                assertThat(ex.position()).isZero();
                assertThat(ex.getMessage()).contains(file.toString()).contains("byte position 0")
                    .contains("header").contains("CRC32C");
                LogFiles.flipByte(file, at); // flipped back: the next round damages only its own byte
            }
            LogFiles.flipByte(file, Quarantine.MAGIC_OFFSET);
            assertThatThrownBy(() -> Quarantine.read(file)).isInstanceOf(CorruptLogException.class)
                .hasMessageContaining(file + " at byte position 0").hasMessageContaining("not a quarantine file");
        }
    }

    @Test
    void shouldReportATruncatedFileWithTheBatchItEndsIn()
    {
        final Path quarantineDir = dir.resolve("quarantine");
        try (SegmentedLog log = SegmentedLog.open(config()))
        {
            final List<Batch> batches = append(log, 10, 0, 8, 1);
            final Path file = save(log, 0, quarantineDir);
            final long size = LogFiles.size(file);
            final long lastBatch = size - batches.get(batches.size() - 1).length();

            for (final long cutAt : new long[]{ size - 1, lastBatch + 5, lastBatch })
            {
                LogFiles.truncate(file, cutAt);
                try (Quarantine.Reader reader = Quarantine.read(file))
                {
                    for (final Expected record : records(batches.subList(0, batches.size() - 1)))
                    {
                        assertRecord(reader.next(), record);
                    }
                    final CorruptLogException ex = catchThrowableOfType(CorruptLogException.class, reader::next);
                    assertThat(ex).as("cut at %d", cutAt).isNotNull();
                    assertThat(ex.position()).isEqualTo(lastBatch);
                    assertThat(ex.getMessage()).contains(file.toString()).contains("truncated")
                        .contains("ends at byte " + cutAt).contains("run to byte " + size);
                }
            }

            LogFiles.truncate(file, Quarantine.FIXED_HEADER_LENGTH);
            assertThatThrownBy(() -> Quarantine.read(file)).isInstanceOf(CorruptLogException.class)
                .hasMessageContaining(file + " at byte position 0").hasMessageContaining("truncated");
            LogFiles.truncate(file, 10);
            assertThatThrownBy(() -> Quarantine.read(file)).isInstanceOf(CorruptLogException.class)
                .hasMessageContaining(file + " at byte position 0").hasMessageContaining("truncated");
        }
    }

    @Test
    void shouldReportBytesAfterTheLastBatch()
    {
        final Path quarantineDir = dir.resolve("quarantine");
        try (SegmentedLog log = SegmentedLog.open(config()))
        {
            final List<Batch> batches = append(log, 11, 0, 4, 1);
            final Path file = save(log, 0, quarantineDir);
            final long size = LogFiles.size(file);
            LogFiles.appendBytes(file, new byte[]{ 1, 2, 3 });

            try (Quarantine.Reader reader = Quarantine.read(file))
            {
                for (final Expected record : records(batches))
                {
                    assertRecord(reader.next(), record);
                }
                assertThatThrownBy(reader::next).isInstanceOf(CorruptLogException.class)
                    .hasMessageContaining("byte position " + size).hasMessageContaining("3 bytes after the last batch");
            }
        }
    }

    @Test
    void shouldFailNamingTheFileAndLeaveNothingWhenTheDirectoryCannotBeCreated() throws IOException
    {
        // Root ignores permissions, so a read-only directory proves nothing here; a parent that is a file does.
        final Path notADirectory = Files.writeString(dir.resolve("plain-file"), "x");
        final Path quarantineDir = notADirectory.resolve("quarantine");
        try (SegmentedLog log = SegmentedLog.open(config()))
        {
            append(log, 12, 0, 5, 1);
            final long end = log.logEndOffset();

            final LogshipException ex = catchThrowableOfType(LogshipException.class,
                () -> save(log, 1, quarantineDir));

            assertThat(ex).isNotNull();
            assertThat(ex.category()).isEqualTo(LogshipException.Category.ERROR);
            assertThat(ex.getMessage()).contains(quarantineDir.toString()).contains("[1, " + end + ")")
                .contains("must not be truncated");
            assertThat(log.logEndOffset()).isEqualTo(end);
        }
        assertThat(Files.readString(notADirectory)).isEqualTo("x");
        assertThat(filesIn(dir)).containsExactlyInAnyOrder(notADirectory, dir.resolve("log"));
    }

    @Test
    void shouldFailNamingTheFileAndLeaveNoPartialFileWhenTheLogFailsMidCopy() throws IOException
    {
        final Path quarantineDir = dir.resolve("quarantine");
        try (SegmentedLog log = SegmentedLog.open(config()))
        {
            append(log, 13, 0, 40, 1);
            final List<Long> segments = log.segmentBaseOffsets();
            assertThat(segments).hasSizeGreaterThan(2);
            // Damage the newest segment: the save has written the older ones when it reads this one.
            LogFiles.flipByte(LogFiles.logFile(dir.resolve("log"), segments.get(segments.size() - 1)),
                BatchDescriptor.HEADER_LENGTH + 2);

            final LogshipException ex = catchThrowableOfType(LogshipException.class,
                () -> save(log, 0, quarantineDir));

            assertThat(ex).isNotNull();
            assertThat(ex.getMessage()).contains(quarantineDir.resolve("quarantine-").toString())
                .contains("CRC32C").contains("must not be truncated");
            assertThat(ex.getCause()).isInstanceOf(CorruptLogException.class);
        }
        assertThat(filesIn(quarantineDir)).isEmpty();
    }

    @Test
    void shouldFailOnAFullDiskNamingTheFileAndLeaveNoPartialFile() throws Exception
    {
        final Path mount = Files.createDirectory(dir.resolve("tiny"));
        final String mountOutput = run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mount.toString());
        RequiredEnvironment.require(null == mountOutput || mountOutput.isEmpty(), "tmpfs",
            () -> "cannot mount a 1 MiB tmpfs here (" + mountOutput + ") for the full-disk quarantine test");
        try
        {
            final Path quarantineDir = mount.resolve("quarantine");
            final LogConfig config = new LogConfig().directory(dir.resolve("log")).segmentBytes(1024 * 1024)
                .logger(new CapturingLogger());
            try (SegmentedLog log = SegmentedLog.open(config))
            {
                final byte[] value = new byte[60 * 1024];
                new Random(14).nextBytes(value);
                for (int i = 0; i < 40; i++)
                {
                    builder.reset(1, i);
                    builder.put(("k" + i).getBytes(StandardCharsets.UTF_8), value);
                    log.appendAsLeader(builder.buffer(), 0, builder.build());
                }
                final long end = log.logEndOffset();

                final LogshipException ex = catchThrowableOfType(LogshipException.class,
                    () -> save(log, 0, quarantineDir));

                assertThat(ex).isNotNull();
                assertThat(ex.category()).isEqualTo(LogshipException.Category.ERROR);
                assertThat(ex.getMessage()).contains(quarantineDir.resolve("quarantine-").toString())
                    .contains("No space left on device").contains("must not be truncated");
                assertThat(filesIn(quarantineDir)).isEmpty();
                assertThat(log.logEndOffset()).isEqualTo(end);
            }
        }
        finally
        {
            final String unmountOutput = run("umount", mount.toString());
            assertThat(unmountOutput).as("umount " + mount).isEmpty();
        }
    }

    @Test
    void shouldListOldestFirstNeverCollideAndRemoveStaleTempFiles() throws IOException
    {
        final Path quarantineDir = dir.resolve("quarantine");
        try (SegmentedLog log = SegmentedLog.open(config()))
        {
            append(log, 15, 0, 6, 1);
            Files.createDirectories(quarantineDir);
            final Path stale = quarantineDir.resolve("quarantine-20200101T000000000Z-0-9.qlog.tmp");
            Files.writeString(stale, "half a save");
            final Path foreign = Files.writeString(quarantineDir.resolve("notes.txt"), "operator notes");

            final List<Path> saved = new ArrayList<>();
            for (int i = 0; i < 5; i++)
            {
                // Same range each time, most within one millisecond: names must still differ.
                saved.add(save(log, 3, quarantineDir, "save " + i));
            }

            assertThat(saved).doesNotHaveDuplicates();
            final long millis = 1_700_000_000_000L;
            final Path taken = Files.writeString(Quarantine.freeName(quarantineDir, millis, 3, 9), "taken");
            assertThat(taken.getFileName().toString()).isEqualTo("quarantine-20231114T221320000Z-3-9.qlog");
            assertThat(Quarantine.freeName(quarantineDir, millis, 3, 9).getFileName().toString())
                .isEqualTo("quarantine-20231114T221320001Z-3-9.qlog");
            Files.delete(taken);
            assertThat(Quarantine.list(quarantineDir)).containsExactlyElementsOf(saved);
            assertThat(stale).doesNotExist();
            assertThat(foreign).exists();
            for (int i = 0; i < saved.size(); i++)
            {
                try (Quarantine.Reader reader = Quarantine.read(saved.get(i)))
                {
                    assertThat(reader.header().reason()).isEqualTo("save " + i);
                }
            }
        }
    }

    @Test
    void shouldNameAMissingFile()
    {
        final Path missing = dir.resolve("quarantine-20200101T000000000Z-0-1.qlog");

        assertThatThrownBy(() -> Quarantine.read(missing)).isInstanceOf(LogshipException.class)
            .hasMessageContaining(missing.toString());
    }

    private static int readShort(final Path file, final int at)
    {
        try
        {
            return ByteBuffer.wrap(Files.readAllBytes(file)).order(Quarantine.BYTE_ORDER).getShort(at);
        }
        catch (final IOException ex)
        {
            throw new java.io.UncheckedIOException(ex);
        }
    }

    /** Runs a command; "" on success, else its exit status and output. */
    private static String run(final String... command) throws InterruptedException
    {
        try
        {
            final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            final int status = process.waitFor();
            return 0 == status ? "" : "exit " + status + ": " + output;
        }
        catch (final IOException ex)
        {
            return String.join(" ", command) + " could not run: " + ex.getMessage();
        }
    }
}
