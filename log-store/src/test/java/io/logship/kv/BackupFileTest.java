package io.logship.kv;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static io.logship.kv.StoreAssertions.assertStoreMatches;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BackupFileTest
{
    private static final int KEY_SPACE = 300;

    @TempDir
    Path dir;

    private final DeterministicBatches log = new DeterministicBatches(11, KEY_SPACE);
    private SnapshotInfo snapshot;

    @BeforeEach
    void takeSnapshot()
    {
        try (KeyValueStore store = KeyValueStore.open(dir.resolve("source/store"),
            new SnapshotStore(dir.resolve("source/snapshots"), 2)))
        {
            for (long b = 0; b < 30; b++)
            {
                store.apply(log.batch(b), 0);
            }
            snapshot = store.takeSnapshot();
        }
    }

    @Test
    void shouldWriteHeaderThatVerifiesAndExtractIntoAStoreThatServesEveryKey()
    {
        final Path backup = dir.resolve("backup.lsb");
        final BackupInfo written = BackupFile.write(backup, snapshot.file(), 7, 2, 1_700_000_000_000L);
        assertThat(backup.resolveSibling("backup.lsb.tmp")).doesNotExist();

        final BackupInfo read = BackupFile.verify(backup);
        assertThat(read.snapshotOffset()).isEqualTo(snapshot.appliedOffset());
        assertThat(read.epoch()).isEqualTo(7);
        assertThat(read.nodeId()).isEqualTo(2);
        assertThat(read.entryCount()).isEqualTo(snapshot.entryCount());
        assertThat(read.dedupCount()).isEqualTo(snapshot.dedupCount());
        assertThat(read.createdMs()).isEqualTo(1_700_000_000_000L);
        assertThat(read.sizeBytes()).isEqualTo(snapshot.sizeBytes() + BackupFile.HEADER_LENGTH + BackupFile.TRAILER_LENGTH);
        assertThat(read.bodyCrc32c()).isEqualTo(written.bodyCrc32c());

        final Path restored = dir.resolve("restored");
        final SnapshotInfo extracted = BackupFile.extractSnapshot(backup, restored.resolve("snapshots"));
        assertThat(extracted.file().getFileName().toString()).isEqualTo(SnapshotDescriptor.fileName(snapshot.appliedOffset()));
        try (KeyValueStore store = KeyValueStore.open(restored.resolve("store"),
            new SnapshotStore(restored.resolve("snapshots"), 2)))
        {
            assertThat(store.appliedOffset()).isEqualTo(snapshot.appliedOffset());
            assertStoreMatches(store, log.modelAt(snapshot.appliedOffset()), KEY_SPACE);
        }
    }

    @Test
    void shouldRefuseATruncatedFile() throws IOException
    {
        final Path backup = written();
        try (FileChannel channel = FileChannel.open(backup, StandardOpenOption.WRITE))
        {
            channel.truncate(channel.size() - 5);
        }
        assertThatThrownBy(() -> BackupFile.verify(backup)).isInstanceOf(CorruptSnapshotException.class)
            .hasMessageContaining("truncated");
    }

    @Test
    void shouldRefuseAFlippedByteInTheBodyAndExtractNothing() throws IOException
    {
        final Path backup = written();
        flip(backup, BackupFile.HEADER_LENGTH + (Files.size(backup) - BackupFile.HEADER_LENGTH) / 2);
        assertThatThrownBy(() -> BackupFile.verify(backup)).isInstanceOf(CorruptSnapshotException.class)
            .hasMessageContaining("body CRC32C");
        final Path snapshots = dir.resolve("restored/snapshots");
        assertThatThrownBy(() -> BackupFile.extractSnapshot(backup, snapshots))
            .isInstanceOf(CorruptSnapshotException.class);
        assertThat(snapshots).doesNotExist();
    }

    @Test
    void shouldRefuseAFlippedByteInTheHeader() throws IOException
    {
        final Path backup = written();
        flip(backup, 20); // inside the snapshot offset
        assertThatThrownBy(() -> BackupFile.verify(backup)).isInstanceOf(CorruptSnapshotException.class)
            .hasMessageContaining("header CRC32C");
    }

    @Test
    void shouldRefuseAFileWithTheWrongMagic() throws IOException
    {
        final Path backup = written();
        flip(backup, 0);
        assertThatThrownBy(() -> BackupFile.verify(backup)).isInstanceOf(CorruptSnapshotException.class)
            .hasMessageContaining("not a logship backup");
        // A bare store snapshot is not a backup either.
        assertThatThrownBy(() -> BackupFile.verify(snapshot.file())).isInstanceOf(CorruptSnapshotException.class)
            .hasMessageContaining("magic");
    }

    @Test
    void shouldLeaveNoFileWhenTheSourceSnapshotIsCorrupt() throws IOException
    {
        final Path copy = dir.resolve("copy.snap");
        Files.copy(snapshot.file(), copy);
        flip(copy, SnapshotDescriptor.HEADER_LENGTH + 3);
        final Path backup = dir.resolve("bad.lsb");
        assertThatThrownBy(() -> BackupFile.write(backup, copy, 1, 1, 0)).isInstanceOf(CorruptSnapshotException.class);
        assertThat(backup).doesNotExist();
        assertThat(backup.resolveSibling("bad.lsb.tmp")).doesNotExist();
    }

    private Path written()
    {
        final Path backup = dir.resolve("backup.lsb");
        BackupFile.write(backup, snapshot.file(), 3, 1, System.currentTimeMillis());
        return backup;
    }

    private static void flip(final Path file, final long position) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, position);
            one.put(0, (byte)(one.get(0) ^ 0x5A)).rewind();
            channel.write(one, position);
        }
    }
}
