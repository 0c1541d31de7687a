package io.logship.node.dedup;

import io.logship.kv.KeyValueStore;
import io.logship.kv.SnapshotStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link StoreSequences} over a real {@link KeyValueStore} fed from a real log. */
class StoreSequencesTest
{
    private static final long CLIENT = 42;
    private static final long OTHER = -9;

    @TempDir
    Path dir;

    private IdempotentLogFixture fixture;
    private KeyValueStore store;
    private StoreSequences sequences;

    @BeforeEach
    void open()
    {
        fixture = new IdempotentLogFixture(dir.resolve("log"));
        store = KeyValueStore.open(dir.resolve("store"), new SnapshotStore(dir.resolve("snapshots"), 2));
        sequences = new StoreSequences(store);
    }

    @AfterEach
    void close()
    {
        store.close();
        fixture.close();
    }

    @Test
    void shouldKnowNoSequenceOfAClientNeverApplied()
    {
        fixture.appendBatch(OTHER, 1);
        fixture.applyTo(store, fixture.log.logEndOffset());

        assertThat(sequences.lastSequence(CLIENT)).isEqualTo(-1);
        assertThat(sequences.offsetOfLastSequence(CLIENT)).isEqualTo(-1);
        assertThat(sequences.appliedOffset()).isEqualTo(1);
    }

    @Test
    void shouldAnswerTheNewestAppliedSequenceAndTheOffsetThatCarriedIt()
    {
        for (long sequence = 1; sequence <= 100; sequence++)
        {
            fixture.appendBatch(CLIENT, sequence, OTHER, 500 + sequence);
        }
        assertThat(fixture.log.segmentCount()).as("segments").isGreaterThan(1);
        final long halfway = fixture.offsetOf(CLIENT, 51); // a batch's base: apply stops just before it
        fixture.applyTo(store, halfway);

        assertThat(sequences.appliedOffset()).isEqualTo(halfway);
        assertThat(sequences.lastSequence(CLIENT)).isEqualTo(50);
        assertThat(sequences.offsetOfLastSequence(CLIENT)).isEqualTo(fixture.offsetOf(CLIENT, 50));
        assertThat(sequences.lastSequence(OTHER)).isEqualTo(550);

        fixture.applyTo(store, fixture.log.logEndOffset());
        assertThat(sequences.appliedOffset()).isEqualTo(fixture.log.logEndOffset());
        assertThat(sequences.lastSequence(CLIENT)).isEqualTo(100);
        assertThat(sequences.offsetOfLastSequence(CLIENT)).isEqualTo(fixture.offsetOf(CLIENT, 100));
        assertThat(sequences.offsetOfLastSequence(OTHER)).isEqualTo(fixture.offsetOf(OTHER, 600));
    }

    @Test
    void shouldKeepTheHighestSequenceOfABatchWhateverItsOrder()
    {
        fixture.appendBatch(CLIENT, 7, CLIENT, 9, CLIENT, 8);
        fixture.applyTo(store, fixture.log.logEndOffset());

        assertThat(sequences.lastSequence(CLIENT)).isEqualTo(9);
        assertThat(sequences.offsetOfLastSequence(CLIENT)).isEqualTo(fixture.offsetOf(CLIENT, 9));
    }

    @Test
    void shouldKeepItsTableAcrossAReopenOfTheStore()
    {
        for (long sequence = 1; sequence <= 20; sequence++)
        {
            fixture.appendBatch(CLIENT, sequence);
        }
        fixture.applyTo(store, fixture.log.logEndOffset());
        store.close();
        store = KeyValueStore.open(dir.resolve("store"), new SnapshotStore(dir.resolve("snapshots"), 2));
        sequences = new StoreSequences(store);

        assertThat(sequences.appliedOffset()).isEqualTo(20);
        assertThat(sequences.lastSequence(CLIENT)).isEqualTo(20);
        assertThat(sequences.offsetOfLastSequence(CLIENT)).isEqualTo(19);
    }
}
