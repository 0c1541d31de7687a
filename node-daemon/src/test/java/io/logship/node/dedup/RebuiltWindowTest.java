package io.logship.node.dedup;

import io.logship.kv.KeyValueStore;
import io.logship.kv.SnapshotStore;
import io.logship.node.read.LogReadBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every way a client's window can begin after the client already wrote (the new leader's rebuild from the
 * log's tail, a client first met after the rebuild, a client evicted and met again) and the window sliding
 * past old sequences: a retry of an older write must get its original offset, never be appended again.
 * Real {@link io.logship.log.SegmentedLog} and {@link KeyValueStore}, real {@link DuplicateCheck}.
 */
class RebuiltWindowTest
{
    private static final long CLIENT = -7163069878638840765L;
    private static final long OTHER = 99;
    private static final long THIRD = 1234;

    @TempDir
    Path dir;

    private IdempotentLogFixture fixture;
    private KeyValueStore store;
    private DedupWindow window;
    private DuplicateCheck check;

    @BeforeEach
    void open()
    {
        fixture = new IdempotentLogFixture(dir.resolve("log"));
        store = KeyValueStore.open(dir.resolve("store"), new SnapshotStore(dir.resolve("snapshots"), 2));
        useWindow(new DedupWindow(8, 512, 16));
    }

    @AfterEach
    void close()
    {
        store.close();
        fixture.close();
    }

    /**
     * The reported bug: the client wrote 1..300 (30 never reached the log); the new leader rebuilt from 7
     * records before the end and so met only 294..300. Sequence 5 lies inside the presence span, its bit is
     * clear because the rebuild never saw it, yet it is stored: it must be answered, not appended again.
     */
    @Test
    void shouldAnswerAnOlderRetryOfAClientTheRebuildMetInTheTailWithItsOriginalOffset()
    {
        for (long sequence = 1; sequence <= 300; sequence++)
        {
            if (sequence != 30)
            {
                fixture.appendBatch(CLIENT, sequence);
            }
        }
        fixture.applyTo(store, fixture.log.logEndOffset());
        rebuildFrom(fixture.log.logEndOffset() - 7);
        assertThat(window.highestSequence(CLIENT)).isEqualTo(300);

        assertThat(check.check(CLIENT, 5)).isEqualTo(fixture.offsetOf(CLIENT, 5));
        assertThat(check.check(CLIENT, 293)).isEqualTo(fixture.offsetOf(CLIENT, 293)); // just below the tail
        assertThat(check.check(CLIENT, 296)).isEqualTo(fixture.offsetOf(CLIENT, 296)); // in the tail
        assertThat(check.check(CLIENT, 30)).isEqualTo(DuplicateCheck.NEW); // never stored: the log was searched
        assertThat(check.check(CLIENT, 301)).isEqualTo(DuplicateCheck.NEW);
    }

    /** The same while the store has not applied the client's older writes yet (a new leader's store lags). */
    @Test
    void shouldFindAnOlderRetryInTheLogWhileTheStoreLagsBehindTheRebuild()
    {
        for (long sequence = 1; sequence <= 100; sequence++)
        {
            fixture.appendBatch(CLIENT, sequence);
        }
        fixture.applyTo(store, fixture.offsetOf(CLIENT, 20));
        rebuildFrom(fixture.log.logEndOffset() - 5);

        assertThat(check.check(CLIENT, 50)).isEqualTo(fixture.offsetOf(CLIENT, 50));
        assertThat(check.check(CLIENT, 10)).isEqualTo(fixture.offsetOf(CLIENT, 10));
        assertThat(check.check(CLIENT, 101)).isEqualTo(DuplicateCheck.NEW);
    }

    /** A client that wrote only below the rebuilt window and then writes a new sequence through this leader. */
    @Test
    void shouldAnswerAnOlderRetryOfAClientFirstMetAfterTheRebuild()
    {
        for (long sequence = 1; sequence <= 100; sequence++)
        {
            fixture.appendBatch(CLIENT, sequence);
        }
        for (long sequence = 1; sequence <= 20; sequence++)
        {
            fixture.appendBatch(OTHER, sequence);
        }
        fixture.applyTo(store, fixture.log.logEndOffset());
        rebuildFrom(fixture.log.logEndOffset() - 20);
        assertThat(window.knows(CLIENT)).isFalse();

        writeThroughLeader(CLIENT, 101);

        assertThat(check.check(CLIENT, 50)).isEqualTo(fixture.offsetOf(CLIENT, 50));
        assertThat(check.check(CLIENT, 100)).isEqualTo(fixture.offsetOf(CLIENT, 100));
        assertThat(check.check(CLIENT, 101)).isEqualTo(fixture.offsetOf(CLIENT, 101));
        assertThat(check.check(CLIENT, 102)).isEqualTo(DuplicateCheck.NEW);
    }

    /** A client evicted by others and met again with a new write: its writes before the eviction stay known. */
    @Test
    void shouldAnswerAnOlderRetryOfAClientEvictedAndMetAgain()
    {
        useWindow(new DedupWindow(8, 512, 2));
        rebuildFrom(0);
        for (long sequence = 1; sequence <= 50; sequence++)
        {
            if (sequence != 25)
            {
                writeThroughLeader(CLIENT, sequence);
            }
        }
        writeThroughLeader(OTHER, 1);
        writeThroughLeader(THIRD, 1); // evicts CLIENT
        assertThat(window.knows(CLIENT)).isFalse();

        writeThroughLeader(CLIENT, 51);

        assertThat(check.check(CLIENT, 10)).isEqualTo(fixture.offsetOf(CLIENT, 10));
        assertThat(check.check(CLIENT, 50)).isEqualTo(fixture.offsetOf(CLIENT, 50));
        assertThat(check.check(CLIENT, 25)).isEqualTo(DuplicateCheck.NEW);
        assertThat(check.check(CLIENT, 51)).isEqualTo(fixture.offsetOf(CLIENT, 51));
    }

    /**
     * The window slides: after a jump past the presence span, old sequences leave it (their retry is searched
     * for) and the groups it moves onto start clear (sequences the client never wrote are new).
     */
    @Test
    void shouldAnswerRetriesTheSlidingWindowLeftBehindAndAppendSequencesNeverWritten()
    {
        rebuildFrom(0);
        for (long sequence = 1; sequence <= 50; sequence++)
        {
            writeThroughLeader(CLIENT, sequence);
        }
        for (long sequence = 2000; sequence <= 2010; sequence++)
        {
            writeThroughLeader(CLIENT, sequence);
        }

        assertThat(check.check(CLIENT, 5)).isEqualTo(fixture.offsetOf(CLIENT, 5));
        assertThat(check.check(CLIENT, 50)).isEqualTo(fixture.offsetOf(CLIENT, 50));
        assertThat(check.check(CLIENT, 1800)).isEqualTo(DuplicateCheck.NEW);
        assertThat(check.check(CLIENT, 2005)).isEqualTo(fixture.offsetOf(CLIENT, 2005));
    }

    private void useWindow(final DedupWindow newWindow)
    {
        window = newWindow;
        check = new DuplicateCheck(window, new StoreSequences(store), new LogSearch(fixture.log, new LogReadBuffer()),
            64 * IdempotentLogFixture.SEGMENT_BYTES);
        check.onDutyCycle();
    }

    /** What {@link Deduplication}'s rebuild does (all its slices), from {@code from} instead of 16 MiB below the end. */
    private void rebuildFrom(final long from)
    {
        window.reset(from);
        for (final long[] record : fixture.records)
        {
            if (record[0] >= from)
            {
                window.onAppended(record[1], record[2], record[0]);
            }
        }
    }

    /** The leader's path for one write: checked, handed to the journal, appended, applied. */
    private void writeThroughLeader(final long clientId, final long sequence)
    {
        assertThat(check.check(clientId, sequence)).as("client %d sequence %d", clientId, sequence)
            .isEqualTo(DuplicateCheck.NEW);
        window.onPublished(clientId, sequence);
        final long offset = fixture.appendBatch(clientId, sequence);
        window.onResult(clientId, sequence, offset);
        fixture.applyTo(store, fixture.log.logEndOffset());
    }
}
