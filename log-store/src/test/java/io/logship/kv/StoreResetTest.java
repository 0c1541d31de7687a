package io.logship.kv;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static io.logship.kv.StoreAssertions.assertStoreMatches;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link KeyValueStore#resetToEmpty}: the store rewinds to nothing when the log is cut below what it
 * applied (a forced leader lacked records). Nothing it held may survive, in the store or in a
 * snapshot, or the node would serve records the cluster no longer has.
 */
class StoreResetTest
{
    private static final int KEY_SPACE = 300;

    @TempDir
    Path dir;

    private final DeterministicBatches log = new DeterministicBatches(11, KEY_SPACE);

    private KeyValueStore open()
    {
        return KeyValueStore.open(dir.resolve("store"), new SnapshotStore(dir.resolve("snapshots"), 2));
    }

    @Test
    void shouldForgetEveryRecordAndSnapshotAndReapplyTheLogFromZero()
    {
        try (KeyValueStore store = open())
        {
            for (long b = 0; b < 20; b++)
            {
                assertThat(store.apply(log.batch(b), 0)).isTrue();
            }
            store.takeSnapshot();
            assertThat(store.snapshots().snapshotFiles()).isNotEmpty();

            store.resetToEmpty();

            assertThat(store.appliedOffset()).isZero();
            assertThat(store.snapshots().snapshotFiles()).as("no snapshot of the cut log survives").isEmpty();
            assertStoreMatches(store, log.modelAt(0), KEY_SPACE);
            assertThat(store.apply(log.batch(0), 0)).as("the log is applied again from offset 0").isTrue();
            for (long b = 1; b < 5; b++)
            {
                assertThat(store.apply(log.batch(b), 0)).isTrue();
            }
            assertStoreMatches(store, log.modelAt(store.appliedOffset()), KEY_SPACE);
        }
        try (KeyValueStore reopened = open())
        {
            assertThat(reopened.appliedOffset()).isEqualTo(DeterministicBatches.baseOffset(5));
            assertStoreMatches(reopened, log.modelAt(reopened.appliedOffset()), KEY_SPACE);
        }
    }
}
