package io.logship.kv;

import io.logship.log.FileReaper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import static io.logship.kv.StoreAssertions.assertStoreMatches;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Snapshots retention drops leave by name at once and are freed in steps by the apply thread; one still being
 * streamed to a follower stays whole for its reader (docs/DESIGN.md#deleting-in-steps). The store's own snapshots
 * here are smaller than a step; the in-use rule is tested with multi-MiB files and 1 MiB steps.
 */
class SnapshotRetirementTest
{
    private static final int KEY_SPACE = 500;

    @TempDir
    Path dir;

    private final DeterministicBatches log = new DeterministicBatches(11, KEY_SPACE);

    private void applyBatches(final KeyValueStore store, final long fromBatch, final long toBatchExclusive)
    {
        for (long b = fromBatch; b < toBatchExclusive; b++)
        {
            assertThat(store.apply(log.batch(b), 0)).isTrue();
        }
    }

    @Test
    void shouldStreamASnapshotToTheEndAfterRetentionDroppedItAndFreeEveryRetiredFile() throws IOException
    {
        final SnapshotStore snapshots = new SnapshotStore(dir.resolve("snapshots"), 1);
        try (KeyValueStore store = KeyValueStore.open(dir.resolve("store"), snapshots))
        {
            applyBatches(store, 0, 30);
            final SnapshotInfo streamed = store.takeSnapshot();
            final byte[] expected = Files.readAllBytes(streamed.file());
            try (SnapshotReader reader = snapshots.openReader(streamed.file()))
            {
                applyBatches(store, 30, 40);
                final SnapshotInfo newer = store.takeSnapshot(); // retention keeps 1: the streamed one is retired

                assertThat(streamed.file()).doesNotExist();
                assertThat(snapshots.snapshotFiles()).containsExactly(newer.file());
                assertThat(snapshots.retiredFilesPending()).isEqualTo(1);
                assertThat(snapshots.deleteRetiredStep()).isTrue();
                assertThat(snapshots.retiredFilesPending()).isZero();
                assertThat(retired()).isZero();

                assertThat(readWhole(reader, expected.length)).isEqualTo(expected);
            }

            applyBatches(store, 40, 50);
            final SnapshotInfo third = store.takeSnapshot(); // no reader on the one it retires now
            assertThat(snapshots.retiredFilesPending()).isEqualTo(1);
            assertThat(retired()).isEqualTo(1);
            while (snapshots.deleteRetiredStep())
            {
                assertThat(snapshots.snapshotFiles()).containsExactly(third.file());
            }
            assertThat(retired()).isZero();
            assertStoreMatches(store, log.modelAt(DeterministicBatches.baseOffset(50)), KEY_SPACE);
        }
    }

    @Test
    void shouldUnlinkASnapshotBeingReadWholeAndTruncateTheOthersStepByStep() throws IOException
    {
        final int mib = 1024 * 1024;
        final Path directory = dir.resolve("snapshots");
        final SnapshotStore snapshots =
            new SnapshotStore(directory, 1, SnapshotStore.DEFAULT_FLUSH_BEHIND_BYTES, mib);
        // Retention goes by name only, so plain files stand in for multi-MiB snapshots.
        final byte[] content = new byte[3 * mib];
        new java.util.SplittableRandom(5).nextBytes(content);
        final Path read = Files.write(directory.resolve(SnapshotDescriptor.fileName(100)), content);
        final Path notRead = Files.write(directory.resolve(SnapshotDescriptor.fileName(200)), content);
        final Path newest = Files.write(directory.resolve(SnapshotDescriptor.fileName(300)), content);
        try (SnapshotReader reader = snapshots.openReader(read))
        {
            snapshots.retain();
            assertThat(snapshots.snapshotFiles()).containsExactly(newest);

            // Oldest first: the one being read goes whole in one step, its reader unaffected.
            assertThat(snapshots.deleteRetiredStep()).isTrue();
            assertThat(snapshots.retiredFilesPending()).isEqualTo(1);
            final Path notReadRetired = directory.resolve(notRead.getFileName() + FileReaper.SUFFIX);
            assertThat(Files.size(notReadRetired)).isEqualTo(3L * mib);
            assertThat(snapshots.deleteRetiredStep()).isTrue();
            assertThat(Files.size(notReadRetired)).isEqualTo(2L * mib);
            int steps = 1;
            while (snapshots.deleteRetiredStep())
            {
                steps++;
            }
            assertThat(steps).isEqualTo(3);
            assertThat(retired()).isZero();

            assertThat(readWhole(reader, content.length)).isEqualTo(content);
        }
    }

    @Test
    void shouldDeleteRetiredSnapshotsACrashLeftWhenTheStoreOpensAgain() throws IOException
    {
        final Path directory = dir.resolve("snapshots");
        final SnapshotInfo kept;
        try (KeyValueStore store = KeyValueStore.open(dir.resolve("store"), new SnapshotStore(directory, 1)))
        {
            applyBatches(store, 0, 20);
            kept = store.takeSnapshot();
        }
        // As if the process died after retention renamed a snapshot aside and before the last step freed it.
        Files.copy(kept.file(), directory.resolve(kept.file().getFileName() + FileReaper.SUFFIX));

        final SnapshotStore reopened = new SnapshotStore(directory, 1);

        assertThat(retired()).isZero();
        assertThat(reopened.snapshotFiles()).containsExactly(kept.file());
        assertThat(reopened.newestValidSnapshot()).map(SnapshotInfo::appliedOffset).contains(kept.appliedOffset());
    }

    /** The bytes the reader gives from the start, up to {@code length}: fewer if the file was cut. */
    private static byte[] readWhole(final SnapshotReader reader, final int length)
    {
        final ByteBuffer all = ByteBuffer.allocate(length);
        long position = 0;
        int read;
        while (all.hasRemaining() && (read = reader.read(position, all)) > 0)
        {
            position += read;
        }
        final byte[] bytes = new byte[all.flip().remaining()];
        all.get(bytes);
        return bytes;
    }

    private long retired() throws IOException
    {
        try (var files = Files.list(dir.resolve("snapshots")))
        {
            return files.filter(f -> f.getFileName().toString().endsWith(FileReaper.SUFFIX)).count();
        }
    }
}
