package io.logship.kv;

import io.logship.LogshipException;
import io.logship.log.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.logship.kv.StoreAssertions.assertStoreMatches;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code logship.node.store=memory}: the store keeps nothing on disk but its snapshots, so every open is a rebuild
 * from the newest snapshot (the node then replays its log from there), a store file left by the file medium is never
 * reused, and running out of direct memory stops apply with an error that says what to change.
 */
class StoreInMemoryTest
{
    private static final int KEY_SPACE = 500;

    @TempDir
    Path dir;

    private final DeterministicBatches log = new DeterministicBatches(11, KEY_SPACE);

    private KeyValueStore open(final KeyValueStore.Medium medium)
    {
        return KeyValueStore.open(dir.resolve("store"), new SnapshotStore(dir.resolve("snapshots"), 2), medium);
    }

    private void applyBatches(final KeyValueStore store, final long fromBatch, final long toBatchExclusive)
    {
        for (long b = fromBatch; b < toBatchExclusive; b++)
        {
            assertThat(store.apply(log.batch(b), 0)).isTrue();
        }
    }

    private List<Path> storeFiles() throws IOException
    {
        try (Stream<Path> files = Files.list(dir.resolve("store")))
        {
            return files.toList();
        }
    }

    @Test
    void writesNothingButSnapshotsAndRebuildsFromTheNewestOnEveryOpen() throws IOException
    {
        final long snapshotOffset;
        try (KeyValueStore store = open(KeyValueStore.Medium.MEMORY))
        {
            assertThat(store.rebuiltOnOpen()).isTrue();
            applyBatches(store, 0, 25);
            snapshotOffset = store.takeSnapshot().appliedOffset();
            applyBatches(store, 25, 50);
            assertStoreMatches(store, log.modelAt(DeterministicBatches.baseOffset(50)), KEY_SPACE);
        }
        assertThat(storeFiles()).as("no store file and no clean-shutdown marker: nothing to write back").isEmpty();

        try (KeyValueStore store = open(KeyValueStore.Medium.MEMORY))
        {
            assertThat(store.rebuiltOnOpen()).isTrue();
            assertThat(store.openReport()).contains("in memory").contains("snapshot");
            assertThat(store.appliedOffset()).isEqualTo(snapshotOffset);
            assertStoreMatches(store, log.modelAt(snapshotOffset), KEY_SPACE);
            // The node's replay of its log from the snapshot's offset.
            applyBatches(store, 25, 50);
            assertStoreMatches(store, log.modelAt(DeterministicBatches.baseOffset(50)), KEY_SPACE);
        }
    }

    @Test
    void aFileLeftByTheFileMediumIsDeletedAndNeverReusedLater() throws IOException
    {
        try (KeyValueStore store = open(KeyValueStore.Medium.FILE))
        {
            applyBatches(store, 0, 10);
        }
        assertThat(dir.resolve("store").resolve(KeyValueStore.CLEAN_SHUTDOWN_MARKER)).exists();

        try (KeyValueStore store = open(KeyValueStore.Medium.MEMORY))
        {
            assertThat(store.rebuiltOnOpen()).isTrue();
            assertThat(store.appliedOffset()).as("no snapshot: empty, whatever the old file held").isZero();
            assertThat(store.get(DeterministicBatches.key(1))).isNull();
            applyBatches(store, 0, 30);
        }
        assertThat(storeFiles()).as("the old file and its marker are gone").isEmpty();

        // Back to the file medium: the old file at offset 10 batches must not come back as if it were current.
        try (KeyValueStore store = open(KeyValueStore.Medium.FILE))
        {
            assertThat(store.rebuiltOnOpen()).as(store.openReport()).isTrue();
            assertThat(store.appliedOffset()).isZero();
        }
    }

    @Test
    void installsAnOlderSnapshotAndResetsToEmptyInMemory()
    {
        try (KeyValueStore store = open(KeyValueStore.Medium.MEMORY))
        {
            applyBatches(store, 0, 15);
            final SnapshotInfo older = store.takeSnapshot();
            applyBatches(store, 15, 40);

            store.installSnapshot(older.file());
            assertThat(store.appliedOffset()).isEqualTo(older.appliedOffset());
            assertStoreMatches(store, log.modelAt(older.appliedOffset()), KEY_SPACE);

            store.resetToEmpty();
            assertThat(store.appliedOffset()).isZero();
            assertThat(store.get(DeterministicBatches.key(1))).isNull();
            applyBatches(store, 0, 20);
            assertStoreMatches(store, log.modelAt(DeterministicBatches.baseOffset(20)), KEY_SPACE);
        }
    }

    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void runningOutOfDirectMemoryStopsApplyWithAnErrorThatSaysWhatToChange() throws Exception
    {
        // MapDB unpacks a native library into java.io.tmpdir: keep it in this test's directory.
        final List<String> command = ChildJvm.command(List.of("-Xmx256m", "-XX:MaxDirectMemorySize=8m",
            "-XX:TieredStopAtLevel=1", "-Djava.io.tmpdir=" + dir), StoreFullChild.class, dir.toString(), "3", "100000000");
        final Path stdout = dir.resolve("child.out");
        final Path stderr = dir.resolve("child.err");
        final Process child = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile())
            .start();
        try
        {
            assertThat(child.waitFor(100, TimeUnit.SECONDS)).as("child finished").isTrue();
        }
        finally
        {
            child.destroyForcibly();
            child.waitFor();
        }
        final List<String> lines = Files.readAllLines(stdout, StandardCharsets.UTF_8);
        assertThat(lines).as("stdout; stderr:\n%s", Files.readString(stderr)).hasSizeGreaterThanOrEqualTo(5);
        assertThat(lines.get(0)).isEqualTo(StoreFullChild.FULL);
        assertThat(lines.get(1)).isEqualTo(LogshipException.Category.FATAL.name());
        assertThat(Long.parseLong(lines.get(2))).as("records applied before memory ran out").isPositive();
        assertThat(lines.get(3)).as("the failed batch did not move the applied offset").isEqualTo(lines.get(2));
        assertThat(lines.get(4)).contains("in-memory store is full").contains("MaxDirectMemorySize")
            .contains("logship.node.store=file").contains("log is intact");
    }
}
