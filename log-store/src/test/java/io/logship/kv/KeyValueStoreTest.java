package io.logship.kv;

import io.logship.LogshipException;
import io.logship.format.BatchBuilder;
import io.logship.format.BatchDescriptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.Serializer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;

import static io.logship.kv.StoreAssertions.assertStoreMatches;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KeyValueStoreTest
{
    private static final int KEY_SPACE = 500;

    @TempDir
    Path dir;

    private final DeterministicBatches log = new DeterministicBatches(7, KEY_SPACE);

    private KeyValueStore open(final Path root)
    {
        return KeyValueStore.open(root.resolve("store"), new SnapshotStore(root.resolve("snapshots"), 2));
    }

    private void applyBatches(final KeyValueStore store, final long fromBatch, final long toBatchExclusive)
    {
        for (long b = fromBatch; b < toBatchExclusive; b++)
        {
            assertThat(store.apply(log.batch(b), 0)).isTrue();
        }
    }

    @Test
    void applyCloseReopenKeepsDataAndAppliedOffsetAndSkipsReplayedBatches() throws IOException
    {
        try (KeyValueStore store = open(dir))
        {
            assertThat(store.appliedOffset()).isZero();
            applyBatches(store, 0, 40);
            assertThat(store.appliedOffset()).isEqualTo(DeterministicBatches.baseOffset(40));
        }
        final Path marker = dir.resolve("store").resolve(KeyValueStore.CLEAN_SHUTDOWN_MARKER);
        assertThat(marker).exists();
        assertThat(Files.readString(marker).trim()).isEqualTo(Long.toString(DeterministicBatches.baseOffset(40)));

        try (KeyValueStore store = open(dir))
        {
            assertThat(store.rebuiltOnOpen()).as(store.openReport()).isFalse();
            assertThat(marker).as("marker consumed on open").doesNotExist();
            assertThat(store.appliedOffset()).isEqualTo(DeterministicBatches.baseOffset(40));
            assertStoreMatches(store, log.modelAt(store.appliedOffset()), KEY_SPACE);

            for (long b = 0; b < 40; b++)
            {
                assertThat(store.apply(log.batch(b), 0)).as("replayed batch %d", b).isFalse();
            }
            assertStoreMatches(store, log.modelAt(store.appliedOffset()), KEY_SPACE);
            applyBatches(store, 40, 45);
            assertStoreMatches(store, log.modelAt(DeterministicBatches.baseOffset(45)), KEY_SPACE);
        }
    }

    @Test
    void batchAboveAppliedOffsetIsAFatalGap()
    {
        try (KeyValueStore store = open(dir))
        {
            applyBatches(store, 0, 1);
            assertThatThrownBy(() -> store.apply(log.batch(2), 0))
                .isInstanceOfSatisfying(LogshipException.class,
                    ex -> assertThat(ex.category()).isEqualTo(LogshipException.Category.FATAL))
                .hasMessageContaining(Long.toString(DeterministicBatches.baseOffset(2)))
                .hasMessageContaining(Long.toString(DeterministicBatches.baseOffset(1)));
            assertThat(store.appliedOffset()).isEqualTo(DeterministicBatches.baseOffset(1));
        }
    }

    @Test
    void idempotentRecordsFillTheDeduplicationTable()
    {
        try (KeyValueStore store = open(dir))
        {
            applyBatches(store, 0, 30);
            final DeterministicBatches.Model model = log.modelAt(store.appliedOffset());
            assertThat(model.dedup).as("generator produced idempotent writes").isNotEmpty();
            assertStoreMatches(store, model, KEY_SPACE);
            assertThat(store.lastSequence(12345)).isEqualTo(-1);
            assertThat(store.offsetOfLastSequence(12345)).isEqualTo(-1);
        }
    }

    @Test
    void snapshotRoundTripsIntoAFreshStoreAndThroughChunkedStreaming()
    {
        final SnapshotInfo info;
        try (KeyValueStore store = open(dir.resolve("a")))
        {
            applyBatches(store, 0, 60);
            info = store.takeSnapshot();
            assertThat(info.file().getFileName().toString()).isEqualTo(String.format("%020d.snap", store.appliedOffset()));
            assertThat(info.appliedOffset()).isEqualTo(store.appliedOffset());
        }
        final DeterministicBatches.Model model = log.modelAt(info.appliedOffset());
        assertThat(info.entryCount()).isEqualTo(model.values.size());
        assertThat(info.dedupCount()).isEqualTo(model.dedup.size());

        // Fresh store directory whose snapshots/ holds the file: open rebuilds from it.
        final Path fresh = dir.resolve("b");
        copyInto(info.file(), fresh.resolve("snapshots"));
        try (KeyValueStore store = open(fresh))
        {
            assertThat(store.rebuiltOnOpen()).isTrue();
            assertThat(store.appliedOffset()).isEqualTo(info.appliedOffset());
            assertStoreMatches(store, model, KEY_SPACE);
        }

        // Streaming: chunks sent out of order (last first), then installed over a store with other content.
        try (KeyValueStore target = open(dir.resolve("c"));
            SnapshotReader reader = new SnapshotStore(dir.resolve("a").resolve("snapshots"), 2).openReader(info.file()))
        {
            applyBatches(target, 0, 70);
            final SnapshotInfo received;
            try (SnapshotReceiver receiver = target.snapshots().beginReceive())
            {
                final int chunkBytes = 4096;
                final long chunks = (reader.sizeBytes() + chunkBytes - 1) / chunkBytes;
                for (long c = chunks - 1; c >= 0; c--)
                {
                    final ByteBuffer chunk = ByteBuffer.allocate(chunkBytes);
                    final int read = reader.read(c * chunkBytes, chunk);
                    assertThat(read).isPositive();
                    receiver.write(c * chunkBytes, chunk.flip());
                }
                received = receiver.complete();
            }
            assertThat(received.appliedOffset()).isEqualTo(info.appliedOffset());
            target.installSnapshot(received.file());
            assertThat(target.appliedOffset()).isEqualTo(info.appliedOffset());
            assertStoreMatches(target, model, KEY_SPACE);
            assertThat(target.snapshots().snapshotFiles()).containsExactly(received.file());
            applyBatches(target, 60, 70);
            assertStoreMatches(target, log.modelAt(DeterministicBatches.baseOffset(70)), KEY_SPACE);
        }
    }

    @Test
    void receivedSnapshotThatDoesNotVerifyIsRejectedAndRemoved() throws IOException
    {
        final SnapshotInfo info;
        try (KeyValueStore store = open(dir.resolve("a")))
        {
            applyBatches(store, 0, 10);
            info = store.takeSnapshot();
        }
        final SnapshotStore target = new SnapshotStore(dir.resolve("b"), 2);
        final byte[] bytes = Files.readAllBytes(info.file());
        try (SnapshotReceiver receiver = target.beginReceive())
        {
            // One chunk missing in the middle: the hole reads as zeros.
            receiver.write(0, ByteBuffer.wrap(bytes, 0, 100));
            receiver.write(200, ByteBuffer.wrap(bytes, 200, bytes.length - 200));
            assertThatThrownBy(receiver::complete).isInstanceOf(CorruptSnapshotException.class);
        }
        try (var files = Files.list(dir.resolve("b")))
        {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void shouldKnowTheNewestVerifiedSnapshotWithoutReadingItAndForgetItWhenItIsDeleted() throws IOException
    {
        // The leader's duty thread picks the snapshot it streams to a lagging follower from here: it must be the
        // newest one written, and never a file retention or a rewind has deleted.
        final SnapshotStore snapshots = new SnapshotStore(dir.resolve("snapshots"), 1);
        try (KeyValueStore store = KeyValueStore.open(dir.resolve("store"), snapshots))
        {
            assertThat(snapshots.newestVerifiedSnapshot()).isEmpty();
            applyBatches(store, 0, 10);
            final SnapshotInfo first = store.takeSnapshot();
            assertThat(snapshots.newestVerifiedSnapshot()).map(SnapshotInfo::file).contains(first.file());
            applyBatches(store, 10, 20);
            final SnapshotInfo second = store.takeSnapshot();
            assertThat(first.file()).doesNotExist(); // retention keeps 1
            assertThat(snapshots.newestVerifiedSnapshot()).map(SnapshotInfo::file).contains(second.file());

            snapshots.deleteNewerThan(second.appliedOffset() - 1);
            assertThat(second.file()).doesNotExist();
            assertThat(snapshots.newestVerifiedSnapshot()).isEmpty();
        }

        // A new process knows nothing until it verifies; verifying fills it.
        final SnapshotStore reopened = new SnapshotStore(dir.resolve("snapshots2"), 2);
        try (KeyValueStore store = KeyValueStore.open(dir.resolve("store2"), reopened))
        {
            applyBatches(store, 0, 10);
            store.takeSnapshot();
        }
        final SnapshotStore fresh = new SnapshotStore(dir.resolve("snapshots2"), 2);
        assertThat(fresh.newestVerifiedSnapshot()).isEmpty();
        final SnapshotInfo verified = fresh.newestValidSnapshot().orElseThrow();
        assertThat(fresh.newestVerifiedSnapshot()).contains(verified);
    }

    @Test
    void corruptOrTruncatedSnapshotIsSkippedForThePreviousValidOne() throws IOException
    {
        final SnapshotInfo older;
        final SnapshotInfo newer;
        try (KeyValueStore store = open(dir))
        {
            applyBatches(store, 0, 20);
            older = store.takeSnapshot();
            applyBatches(store, 20, 40);
            newer = store.takeSnapshot();
        }
        final SnapshotStore snapshots = new SnapshotStore(dir.resolve("snapshots"), 2);
        assertThat(snapshots.newestValidSnapshot()).map(SnapshotInfo::file).contains(newer.file());

        final byte[] original = Files.readAllBytes(newer.file());
        final byte[] flipped = original.clone();
        flipped[flipped.length / 2] ^= 0x10;
        Files.write(newer.file(), flipped);
        assertThatThrownBy(() -> SnapshotStore.verify(newer.file())).isInstanceOf(CorruptSnapshotException.class)
            .hasMessageContaining(newer.file().toString()).hasMessageContaining("CRC32C");
        assertThat(snapshots.newestValidSnapshot()).map(SnapshotInfo::file).contains(older.file());

        try (FileChannel channel = FileChannel.open(newer.file(), StandardOpenOption.WRITE))
        {
            Files.write(newer.file(), original);
            channel.truncate(original.length - 7);
        }
        assertThatThrownBy(() -> SnapshotStore.verify(newer.file())).isInstanceOf(CorruptSnapshotException.class);
        assertThat(snapshots.newestValidSnapshot()).map(SnapshotInfo::file).contains(older.file());

        // A header bit flip is caught by the header CRC.
        final byte[] badHeader = original.clone();
        badHeader[SnapshotDescriptor.APPLIED_OFFSET_OFFSET] ^= 1;
        Files.write(newer.file(), badHeader);
        assertThatThrownBy(() -> SnapshotStore.verify(newer.file())).hasMessageContaining("header CRC32C");

        // Unclean stop with the newest snapshot corrupt: rebuilt from the older one, then the log replays.
        Files.delete(dir.resolve("store").resolve(KeyValueStore.CLEAN_SHUTDOWN_MARKER));
        try (KeyValueStore store = open(dir))
        {
            assertThat(store.rebuiltOnOpen()).isTrue();
            assertThat(store.appliedOffset()).isEqualTo(older.appliedOffset());
            assertStoreMatches(store, log.modelAt(older.appliedOffset()), KEY_SPACE);
            applyBatches(store, 20, 40);
            assertStoreMatches(store, log.modelAt(DeterministicBatches.baseOffset(40)), KEY_SPACE);
        }
    }

    @Test
    void retentionKeepsTheNewestSnapshots()
    {
        try (KeyValueStore store = open(dir))
        {
            for (int i = 0; i < 4; i++)
            {
                applyBatches(store, i * 5L, i * 5L + 5);
                store.takeSnapshot();
            }
            assertThat(store.snapshots().snapshotFiles()).extracting(p -> p.getFileName().toString())
                .containsExactly(SnapshotDescriptor.fileName(DeterministicBatches.baseOffset(20)),
                    SnapshotDescriptor.fileName(DeterministicBatches.baseOffset(15)));
        }
    }

    @Test
    void uncleanStopDiscardsTheStoreFileAndRebuildsFromTheSnapshot() throws IOException
    {
        final long snapshotOffset;
        try (KeyValueStore store = open(dir))
        {
            applyBatches(store, 0, 25);
            snapshotOffset = store.takeSnapshot().appliedOffset();
            applyBatches(store, 25, 50);
        }
        // What a crash leaves: no marker (the file itself may be intact or not; it is not trusted).
        Files.delete(dir.resolve("store").resolve(KeyValueStore.CLEAN_SHUTDOWN_MARKER));
        try (KeyValueStore store = open(dir))
        {
            assertThat(store.rebuiltOnOpen()).isTrue();
            assertThat(store.openReport()).contains("no clean-shutdown marker").contains("discarded");
            assertThat(store.appliedOffset()).isEqualTo(snapshotOffset);
            assertStoreMatches(store, log.modelAt(snapshotOffset), KEY_SPACE);
            applyBatches(store, 25, 50);
            assertStoreMatches(store, log.modelAt(DeterministicBatches.baseOffset(50)), KEY_SPACE);
        }
    }

    @Test
    void uncleanStopWithoutSnapshotStartsEmptyAtOffsetZero() throws IOException
    {
        try (KeyValueStore store = open(dir))
        {
            applyBatches(store, 0, 5);
        }
        Files.delete(dir.resolve("store").resolve(KeyValueStore.CLEAN_SHUTDOWN_MARKER));
        try (KeyValueStore store = open(dir))
        {
            assertThat(store.rebuiltOnOpen()).isTrue();
            assertThat(store.appliedOffset()).isZero();
            assertThat(store.get(DeterministicBatches.key(1))).isNull();
            applyBatches(store, 0, 5);
            assertStoreMatches(store, log.modelAt(DeterministicBatches.baseOffset(5)), KEY_SPACE);
        }
    }

    @Test
    void garbageStoreFileIsDiscardedAndRebuilt() throws IOException
    {
        final long snapshotOffset;
        try (KeyValueStore store = open(dir))
        {
            applyBatches(store, 0, 25);
            snapshotOffset = store.takeSnapshot().appliedOffset();
            applyBatches(store, 25, 30);
        }
        final Path dbFile = dir.resolve("store").resolve(KeyValueStore.DB_FILE_NAME);
        final byte[] garbage = new byte[(int)Math.min(Files.size(dbFile), 4 << 20)];
        new SplittableRandom(3).nextBytes(garbage);
        Files.write(dbFile, garbage);
        assertThat(dir.resolve("store").resolve(KeyValueStore.CLEAN_SHUTDOWN_MARKER)).exists();
        try (KeyValueStore store = open(dir))
        {
            assertThat(store.rebuiltOnOpen()).as(store.openReport()).isTrue();
            assertThat(store.openReport()).contains("failed to open");
            assertThat(store.appliedOffset()).isEqualTo(snapshotOffset);
            assertStoreMatches(store, log.modelAt(snapshotOffset), KEY_SPACE);
        }
    }

    @Test
    void markerNamingAnotherOffsetIsNotTrusted() throws IOException
    {
        try (KeyValueStore store = open(dir))
        {
            applyBatches(store, 0, 5);
        }
        Files.writeString(dir.resolve("store").resolve(KeyValueStore.CLEAN_SHUTDOWN_MARKER), "12\n");
        try (KeyValueStore store = open(dir))
        {
            assertThat(store.rebuiltOnOpen()).isTrue();
            assertThat(store.openReport()).contains("expected 12");
        }
    }

    @Test
    void installingAnOlderSnapshotRollsBackAndDeletesNewerSnapshots()
    {
        try (KeyValueStore store = open(dir))
        {
            applyBatches(store, 0, 10);
            final SnapshotInfo older = store.takeSnapshot();
            applyBatches(store, 10, 20);
            store.takeSnapshot();
            applyBatches(store, 20, 25);
            store.installSnapshot(older.file());
            assertThat(store.appliedOffset()).isEqualTo(older.appliedOffset());
            assertStoreMatches(store, log.modelAt(older.appliedOffset()), KEY_SPACE);
            assertThat(store.snapshots().snapshotFiles()).containsExactly(older.file());
        }
    }

    @Test
    void shouldReuseAFileWrittenWithInlineValuesAndTheDefaultLayoutAfterACleanShutdown() throws IOException
    {
        // The file as earlier versions wrote it: values inline in the leaves, MapDB's default index layout.
        // Map names and the stored value layout (offset int64 LE, then the value) are the store's.
        final Path storeDir = Files.createDirectories(dir.resolve("store"));
        final DB old = DBMaker.fileDB(storeDir.resolve(KeyValueStore.DB_FILE_NAME).toFile())
            .fileMmapEnableIfSupported().cleanerHackEnable().make();
        old.hashMap("data", Serializer.BYTE_ARRAY, Serializer.BYTE_ARRAY).valueInline().create()
            .put(bytes("kept"), storedValue(4, "old-value"));
        old.hashMap("dedup", Serializer.LONG, Serializer.LONG_ARRAY).create().put(7L, new long[] {3, 4});
        old.atomicLong("appliedOffset", 10L).create();
        old.commit();
        old.close();
        Files.writeString(storeDir.resolve(KeyValueStore.CLEAN_SHUTDOWN_MARKER), "10\n");

        try (KeyValueStore store = open(dir))
        {
            assertThat(store.rebuiltOnOpen()).as(store.openReport()).isFalse();
            assertThat(store.appliedOffset()).isEqualTo(10);
            assertThat(store.getValue(bytes("kept")).offset()).isEqualTo(4);
            assertThat(store.get(bytes("kept"))).isEqualTo(bytes("old-value"));
            assertThat(store.lastSequence(7)).isEqualTo(3);
            assertThat(store.offsetOfLastSequence(7)).isEqualTo(4);

            final BatchBuilder builder = new BatchBuilder(1024).reset(1, 0);
            builder.put(bytes("kept"), bytes("new-value"));
            builder.put(bytes("added"), bytes("added-value"));
            builder.build();
            BatchDescriptor.baseOffset(builder.buffer(), 0, 10);
            assertThat(store.apply(builder.buffer(), 0)).isTrue();
        }

        try (KeyValueStore store = open(dir))
        {
            assertThat(store.rebuiltOnOpen()).as(store.openReport()).isFalse();
            assertThat(store.appliedOffset()).isEqualTo(12);
            assertThat(store.getValue(bytes("kept")).offset()).isEqualTo(10);
            assertThat(store.get(bytes("kept"))).isEqualTo(bytes("new-value"));
            assertThat(store.getValue(bytes("added")).offset()).isEqualTo(11);
            assertThat(store.get(bytes("added"))).isEqualTo(bytes("added-value"));
            assertThat(store.lastSequence(7)).isEqualTo(3);
        }
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] storedValue(final long offset, final String value)
    {
        final byte[] bytes = bytes(value);
        return ByteBuffer.allocate(Long.BYTES + bytes.length).order(ByteOrder.LITTLE_ENDIAN)
            .putLong(offset).put(bytes).array();
    }

    private static void copyInto(final Path file, final Path directory)
    {
        try
        {
            Files.createDirectories(directory);
            Files.copy(file, directory.resolve(file.getFileName()));
        }
        catch (final IOException ex)
        {
            throw new java.io.UncheckedIOException(ex);
        }
    }
}
