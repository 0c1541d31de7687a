package io.logship.kv;

import io.logship.LogshipException;
import io.logship.format.BatchDescriptor;
import io.logship.log.LogConfig;
import io.logship.log.SegmentedLog;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static io.logship.kv.StoreAssertions.assertStoreMatches;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StoreRecoveryTest
{
    private static final int KEY_SPACE = 300;

    @TempDir
    Path dir;

    private final DeterministicBatches batches = new DeterministicBatches(11, KEY_SPACE);

    private SegmentedLog openLog()
    {
        return SegmentedLog.open(new LogConfig().directory(dir.resolve("log")).segmentBytes(64 * 1024));
    }

    private void append(final SegmentedLog log, final long fromBatch, final long toBatchExclusive)
    {
        for (long b = fromBatch; b < toBatchExclusive; b++)
        {
            final UnsafeBuffer batch = batches.batch(b);
            assertThat(log.appendAsLeader(batch, 0, BatchDescriptor.length(batch, 0)))
                .isEqualTo(DeterministicBatches.baseOffset(b));
        }
    }

    @Test
    void replaysOnlyBatchesWhollyBelowTheCommitOffset()
    {
        try (SegmentedLog log = openLog();
            KeyValueStore store = KeyValueStore.open(dir.resolve("store"), new SnapshotStore(dir.resolve("snapshots"), 2)))
        {
            append(log, 0, 80);
            final long commitOffset = DeterministicBatches.baseOffset(30) + 5;
            assertThat(StoreRecovery.replay(store, log, commitOffset)).isEqualTo(DeterministicBatches.baseOffset(30));
            assertStoreMatches(store, batches.modelAt(store.appliedOffset()), KEY_SPACE);

            // A commit offset beyond the log end (a follower that has not received it all) stops at the end.
            assertThat(StoreRecovery.replay(store, log, Long.MAX_VALUE)).isEqualTo(log.logEndOffset());
            assertStoreMatches(store, batches.modelAt(log.logEndOffset()), KEY_SPACE);
            assertThat(StoreRecovery.replay(store, log, Long.MAX_VALUE)).isEqualTo(log.logEndOffset());
        }
    }

    @Test
    void snapshotPlusLogRebuildsAfterAnUncleanStop() throws Exception
    {
        try (SegmentedLog log = openLog())
        {
            append(log, 0, 60);
            try (KeyValueStore store = KeyValueStore.open(dir.resolve("store"), new SnapshotStore(dir.resolve("snapshots"), 2)))
            {
                StoreRecovery.replay(store, log, DeterministicBatches.baseOffset(25));
                store.takeSnapshot();
                StoreRecovery.replay(store, log, log.logEndOffset());
            }
            java.nio.file.Files.delete(dir.resolve("store").resolve(KeyValueStore.CLEAN_SHUTDOWN_MARKER));
            try (KeyValueStore store = KeyValueStore.open(dir.resolve("store"), new SnapshotStore(dir.resolve("snapshots"), 2)))
            {
                assertThat(store.appliedOffset()).isEqualTo(DeterministicBatches.baseOffset(25));
                StoreRecovery.replay(store, log, log.logEndOffset());
                assertThat(store.appliedOffset()).isEqualTo(log.logEndOffset());
                assertStoreMatches(store, batches.modelAt(log.logEndOffset()), KEY_SPACE);
            }
        }
    }

    @Test
    void storeBelowTheLogStartNeedsASnapshot()
    {
        try (SegmentedLog log = openLog();
            KeyValueStore store = KeyValueStore.open(dir.resolve("store"), new SnapshotStore(dir.resolve("snapshots"), 2)))
        {
            log.truncateFullyAndStartAt(DeterministicBatches.baseOffset(10));
            append(log, 10, 12);
            assertThatThrownBy(() -> StoreRecovery.replay(store, log, log.logEndOffset()))
                .isInstanceOf(LogshipException.class)
                .hasMessageContaining("below the log start offset " + DeterministicBatches.baseOffset(10));
        }
    }
}
