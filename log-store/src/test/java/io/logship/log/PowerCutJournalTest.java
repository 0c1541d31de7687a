package io.logship.log;

import io.logship.format.BatchBuilder;

import io.logship.kv.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class PowerCutJournalTest
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

    /** A log under {@code data}/log: small segments, fsync {@code interval} whose clock never lets a flush fall due. */
    private static LogConfig intervalLogIn(final Path data)
    {
        return new LogConfig().directory(data.resolve("log")).segmentBytes(4096)
            .fsyncPolicy(FsyncPolicy.INTERVAL).fsyncIntervalMs(60_000).epochClockMs(() -> 0)
            .logger(new CapturingLogger());
    }

    private void assertOpensOnExactlyTheForcedPrefix(final LogConfig config, final List<LogFiles.Appended> appended,
        final long durableEnd)
    {
        try (SegmentedLog reopened = SegmentedLog.open(config))
        {
            assertThat(reopened.logEndOffset()).as("exactly the forced prefix survives").isEqualTo(durableEnd);
            for (final LogFiles.Appended batch : appended.stream().filter(b -> b.nextOffset() <= durableEnd).toList())
            {
                assertThat(LogFiles.readOne(reopened, batch.baseOffset(), scratch)).isEqualTo(batch.bytes());
            }
        }
    }

    @Test
    void shouldBeOffWhenNoSystemPropertyNamesAJournal()
    {
        assertThat(System.getProperty(PowerCutJournal.PROPERTY)).isNull();
        assertThat(PowerCutJournal.installed()).isNull();
    }

    @Test
    void shouldCutTheLogBackToWhatWasForcedAndDropTheStore() throws IOException
    {
        final Path data = work.resolve("data");
        final Path journal = work.resolve("journal");
        PowerCutJournal.install(journal);
        final LogConfig config = intervalLogIn(data);
        final SegmentedLog log = SegmentedLog.open(config);
        final List<LogFiles.Appended> appended = new java.util.ArrayList<>(LogFiles.append(log, builder, 7, 0, 30, 1));
        log.flush();
        assertThat(log.segmentCount()).as("rolled, so sealed segments are part of the test").isGreaterThan(1);
        appended.addAll(LogFiles.append(log, builder, 7, 30, 5, 1));
        final long durableEnd = log.durableEndOffset();
        assertThat(log.logEndOffset()).as("an unforced tail").isGreaterThan(durableEnd);
        final Path store = Files.createDirectories(data.resolve("store")).resolve(PowerCutJournal.MAPDB_FILE_PREFIX);
        Files.write(store, new byte[4096]);
        // Power goes now: whatever close() would force is never recorded.
        PowerCutJournal.uninstall();
        log.close();

        final List<String> report = PowerCutJournal.simulatePowerCut(journal, data);

        assertThat(report).anyMatch(line -> line.startsWith("cut ") && line.contains("its last forced length"));
        assertThat(store).doesNotExist();
        assertOpensOnExactlyTheForcedPrefix(config, appended, durableEnd);
    }

    /**
     * With the names kept ({@link PowerCutJournal.PendingNames#KEPT}) a cut after rolls the last flush did not cover
     * leaves new segments on disk (empty: never forced) beyond the older segment's forced end, a gap; the log opens
     * on exactly its forced prefix all the same (docs/DESIGN.md#unflushed-segments).
     */
    @Test
    void shouldKeepNamesNotYetDurableWhenAskedAndStillOpenTheLogOnItsForcedPrefix() throws IOException
    {
        final Path data = work.resolve("data");
        final Path journal = work.resolve("journal");
        PowerCutJournal.install(journal);
        final LogConfig config = intervalLogIn(data);
        final SegmentedLog log = SegmentedLog.open(config);
        final List<LogFiles.Appended> appended = new java.util.ArrayList<>(LogFiles.append(log, builder, 7, 0, 30, 1));
        log.flush();
        final int segmentsAtFlush = log.segmentCount();
        appended.addAll(LogFiles.append(log, builder, 7, 30, 40, 1));
        assertThat(log.segmentCount()).as("rolled since the flush").isGreaterThan(segmentsAtFlush);
        final long durableEnd = log.durableEndOffset();
        final List<Long> newer = log.segmentBaseOffsets().stream().filter(base -> base > durableEnd).toList();
        assertThat(newer).isNotEmpty();
        // Power goes now. close() below must release the files but would also move the recovery point past the new
        // segments, unrecorded (a killed node never gets that far): put back what the disk held at the cut.
        final Path recoveryPoint = config.directory().resolve(SegmentedLog.RECOVERY_POINT_FILE);
        final byte[] recoveryPointAtCut = Files.readAllBytes(recoveryPoint);
        PowerCutJournal.uninstall();
        log.close();
        Files.write(recoveryPoint, recoveryPointAtCut);

        final List<String> report = PowerCutJournal.simulatePowerCut(journal, data, PowerCutJournal.PendingNames.KEPT);

        assertThat(report).anyMatch(line -> line.startsWith("kept C ")).noneMatch(line -> line.startsWith("removed "));
        assertThat(LogFiles.logFile(config.directory(), newer.get(0))).exists();
        assertOpensOnExactlyTheForcedPrefix(config, appended, durableEnd);
        assertThat(LogFiles.logFile(config.directory(), newer.get(0))).doesNotExist();
    }

    @Test
    void shouldRollBackARenameThatNoDirectoryFsyncMadeDurable() throws IOException
    {
        final Path data = Files.createDirectories(work.resolve("data"));
        final Path journal = work.resolve("journal");
        PowerCutJournal.install(journal);
        final Path target = data.resolve("node-state");
        AtomicFile.write(target, "epoch 1".getBytes(StandardCharsets.UTF_8));
        final Path temp = data.resolve("node-state.tmp");
        writeAndForce(temp, "epoch 2");
        DurableFiles.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        assertThat(Files.readString(target)).isEqualTo("epoch 2");
        PowerCutJournal.uninstall();

        final List<String> report = PowerCutJournal.simulatePowerCut(journal, data);

        assertThat(Files.readString(target)).as("the old file is what a power cut leaves").isEqualTo("epoch 1");
        assertThat(Files.readString(temp)).as("the new one is back under its temporary name").isEqualTo("epoch 2");
        assertThat(report).anyMatch(line -> line.startsWith("rolled back rename"));
    }

    /** The last forced overwrite of {@link #nodeStateForcedInPlace}, and a state written after it, unforced. */
    private static final NodeStateFile.State FORCED = new NodeStateFile.State(4, NodeStateFile.NONE, 1);
    private static final NodeStateFile.State UNFORCED = new NodeStateFile.State(5, NodeStateFile.NONE, 2);

    /**
     * With a journal installed in {@code journal}: {@code data}/node-state written whole once, then overwritten in
     * place (forced) with {@link #FORCED}, as a node's first two node-state writes of a run.
     */
    private static Path nodeStateForcedInPlace(final Path data, final Path journal) throws IOException
    {
        PowerCutJournal.install(journal);
        final Path path = data.resolve("node-state");
        final NodeStateFile file = new NodeStateFile(path);
        file.write(new NodeStateFile.State(3, NodeStateFile.NONE, 3)); // whole: temp, force, rename, directory fsync
        file.write(FORCED); // in place, forced
        return path;
    }

    /** Overwrites node-state in place without a force: the page cache holds it, the disk does not. */
    private static void overwriteUnforced(final Path path, final NodeStateFile.State state) throws IOException
    {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.WRITE))
        {
            channel.write(ByteBuffer.wrap(NodeStateFile.format(state)), 0);
        }
    }

    @Test
    void shouldRevertAnOverwriteInPlaceThatWasNotForcedToTheLastThatWas() throws IOException
    {
        final Path data = Files.createDirectories(work.resolve("data"));
        final Path journal = work.resolve("journal");
        final Path path = nodeStateForcedInPlace(data, journal);
        overwriteUnforced(path, UNFORCED); // the power went before its force
        PowerCutJournal.uninstall();

        final List<String> report = PowerCutJournal.simulatePowerCut(journal, data);

        assertThat(new NodeStateFile(path).read()).isEqualTo(FORCED);
        assertThat(report).anyMatch(line -> line.startsWith("reverted " + path));
        assertThat(Files.size(path)).isEqualTo(NodeStateFile.FILE_LENGTH);
    }

    @Test
    void shouldMakeAStateItsLastRunWroteButNeverForcedDurableWhenANodeReadsItAtStart() throws IOException
    {
        final Path data = Files.createDirectories(work.resolve("data"));
        final Path journal = work.resolve("journal");
        final Path path = nodeStateForcedInPlace(data, journal);
        overwriteUnforced(path, UNFORCED); // killed before the force: the page cache serves the vote as if on disk

        final NodeStateFile.State atStart = new NodeStateFile(path).recover(); // the restarted node, before it acts
        PowerCutJournal.uninstall();
        PowerCutJournal.simulatePowerCut(journal, data);

        assertThat(atStart).isEqualTo(UNFORCED);
        assertThat(new NodeStateFile(path).read()).as("a power cut after the restart keeps the vote it may act on")
            .isEqualTo(atStart);
    }

    @Test
    void shouldPutBackTheLastForcedOverwriteOfAFileARolledBackRenameRestores() throws IOException
    {
        final Path data = Files.createDirectories(work.resolve("data"));
        final Path journal = work.resolve("journal");
        final Path path = nodeStateForcedInPlace(data, journal);
        overwriteUnforced(path, UNFORCED);
        // A whole write over it whose rename no directory fsync made durable.
        final Path temp = data.resolve("node-state.tmp");
        writeAndForce(temp, new String(NodeStateFile.format(new NodeStateFile.State(6, 6, 6)), StandardCharsets.UTF_8));
        DurableFiles.move(temp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        PowerCutJournal.uninstall();

        PowerCutJournal.simulatePowerCut(journal, data);

        assertThat(new NodeStateFile(path).read()).as("the old file is back, as last forced").isEqualTo(FORCED);
        assertThat(new NodeStateFile(temp).read()).isEqualTo(new NodeStateFile.State(6, 6, 6));
    }

    @Test
    void shouldKeepTheLastForcedOverwriteInPlace() throws IOException
    {
        final Path data = Files.createDirectories(work.resolve("data"));
        final Path journal = work.resolve("journal");
        final Path path = nodeStateForcedInPlace(data, journal);
        PowerCutJournal.uninstall();

        final List<String> report = PowerCutJournal.simulatePowerCut(journal, data);

        assertThat(new NodeStateFile(path).read()).isEqualTo(FORCED);
        assertThat(report).noneMatch(line -> line.contains(path.toString()));
    }

    @Test
    void shouldKeepARenameOnceItsDirectoryWasSynced() throws IOException
    {
        final Path data = Files.createDirectories(work.resolve("data"));
        final Path journal = work.resolve("journal");
        PowerCutJournal.install(journal);
        final Path target = data.resolve("node-state");
        AtomicFile.write(target, "epoch 1".getBytes(StandardCharsets.UTF_8));
        AtomicFile.write(target, "epoch 2".getBytes(StandardCharsets.UTF_8));
        PowerCutJournal.uninstall();

        PowerCutJournal.simulatePowerCut(journal, data);

        assertThat(Files.readString(target)).isEqualTo("epoch 2");
        try (var saved = Files.list(journal.resolve(PowerCutJournal.SAVED_DIRECTORY)))
        {
            assertThat(saved.toList()).as("copies kept for rollback are gone").isEmpty();
        }
    }

    @Test
    void shouldRestoreADeletionAndDropACreationThatNoDirectoryFsyncMadeDurable() throws IOException
    {
        final Path data = Files.createDirectories(work.resolve("data"));
        final Path journal = work.resolve("journal");
        PowerCutJournal.install(journal);
        final Path old = data.resolve("00000000000000000000.log");
        writeAndForce(old, "sealed batches");
        DurableFiles.fsyncDirectory(data);
        DurableFiles.deleteIfExists(old);
        final Path created = data.resolve("00000000000000000100.log");
        writeAndForce(created, "forced, but its name is not durable");
        DurableFiles.onCreated(created);
        PowerCutJournal.uninstall();

        PowerCutJournal.simulatePowerCut(journal, data);

        assertThat(Files.readString(old)).isEqualTo("sealed batches");
        assertThat(created).doesNotExist();
    }

    @Test
    void shouldCountTheSurvivorsAsDurableSoANodeCanBeCutAgain() throws IOException
    {
        final Path data = Files.createDirectories(work.resolve("data"));
        final Path journal = work.resolve("journal");
        PowerCutJournal.install(journal);
        final Path file = data.resolve("segment");
        writeAndForce(file, "0123456789");
        appendUnforced(file, "lost");
        PowerCutJournal.uninstall();
        PowerCutJournal.simulatePowerCut(journal, data);
        assertThat(Files.readString(file)).isEqualTo("0123456789");

        PowerCutJournal.install(journal);
        appendUnforced(file, "lost again");
        PowerCutJournal.uninstall();
        PowerCutJournal.simulatePowerCut(journal, data);

        assertThat(Files.readString(file)).isEqualTo("0123456789");
    }

    @Test
    void shouldNameMapDbFilesAsTheStoreDoes()
    {
        assertThat(KeyValueStore.DB_FILE_NAME).startsWith(PowerCutJournal.MAPDB_FILE_PREFIX);
    }

    private static void writeAndForce(final Path file, final String text) throws IOException
    {
        final byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING))
        {
            channel.write(ByteBuffer.wrap(bytes));
            DurableFiles.force(channel, file, bytes.length, true);
        }
    }

    private static void appendUnforced(final Path file, final String text) throws IOException
    {
        Files.writeString(file, text, StandardOpenOption.APPEND);
    }
}
