package io.logship.node.dedup;

import io.logship.kv.KeyValueStore;
import io.logship.kv.SnapshotStore;
import io.logship.node.read.LogReadBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link LogSearch} over a real {@link io.logship.log.SegmentedLog} of many small segments. */
class LogSearchTest
{
    private static final long CLIENT = -7163069878638840765L;
    private static final long OTHER = 99;
    private static final long ALL = Long.MAX_VALUE;

    @TempDir
    Path dir;

    private IdempotentLogFixture fixture;
    private LogSearch search;

    @BeforeEach
    void open()
    {
        fixture = new IdempotentLogFixture(dir.resolve("log"));
        search = new LogSearch(fixture.log, new LogReadBuffer());
    }

    @AfterEach
    void close()
    {
        fixture.close();
    }

    /** 300 batches, each: one record of CLIENT (sequence 1..300, one missing) and two of OTHER (same numbers). */
    private void writeInterleaved(final long missingSequence)
    {
        for (long sequence = 1; sequence <= 300; sequence++)
        {
            if (sequence == missingSequence)
            {
                fixture.appendBatch(OTHER, 1000 + sequence, OTHER, 2000 + sequence);
            }
            else
            {
                fixture.appendBatch(OTHER, sequence, CLIENT, sequence, OTHER, 1000 + sequence);
            }
        }
        assertThat(fixture.log.segmentCount()).as("segments").isGreaterThan(5);
    }

    @Test
    void shouldFindAWriteFarBehindTheLogEndBySequence()
    {
        writeInterleaved(-1);
        final long end = fixture.log.logEndOffset();

        assertThat(search.find(CLIENT, 3, 3, 0, end, ALL)).isEqualTo(fixture.offsetOf(CLIENT, 3));
        assertThat(search.find(CLIENT, 299, 299, 0, end, ALL)).isEqualTo(fixture.offsetOf(CLIENT, 299));
        // A range of sequences answers the first in log order, not another client's record with the same numbers.
        assertThat(search.find(CLIENT, 140, 160, 0, end, ALL)).isEqualTo(fixture.offsetOf(CLIENT, 140));
        assertThat(search.find(OTHER, 1150, 1150, 0, end, ALL)).isEqualTo(fixture.offsetOf(OTHER, 1150));
    }

    @Test
    void shouldAnswerNotFoundOnlyAfterReadingTheWholeRange()
    {
        writeInterleaved(150);
        final long end = fixture.log.logEndOffset();

        assertThat(search.find(CLIENT, 150, 150, 0, end, ALL)).isEqualTo(DuplicateCheck.Log.NOT_FOUND);
        assertThat(search.bytesRead()).as("bytes read for a full search").isEqualTo(fixture.log.sizeBytes());
        assertThat(search.find(CLIENT, 301, 400, 0, end, ALL)).isEqualTo(DuplicateCheck.Log.NOT_FOUND);
        assertThat(search.find(12345, 1, 300, 0, end, ALL)).isEqualTo(DuplicateCheck.Log.NOT_FOUND);
        // Sequence 200 exists, but not in the range searched.
        assertThat(search.find(CLIENT, 200, 200, 0, fixture.offsetOf(CLIENT, 100), ALL))
            .isEqualTo(DuplicateCheck.Log.NOT_FOUND);
    }

    @Test
    void shouldAnswerIncompleteWhenTheByteBudgetRunsOutBeforeTheRecord()
    {
        writeInterleaved(-1);
        final long end = fixture.log.logEndOffset();

        // A read never crosses a segment: one segment is read, then the budget is spent.
        assertThat(search.find(CLIENT, 299, 299, 0, end, 1)).isEqualTo(DuplicateCheck.Log.INCOMPLETE);
        assertThat(search.bytesRead()).isBetween(1L, (long)IdempotentLogFixture.SEGMENT_BYTES);
        // The same budget suffices when the search starts in the record's segment.
        final long target = fixture.offsetOf(CLIENT, 299);
        assertThat(search.find(CLIENT, 299, 299, target, end, 1)).isEqualTo(target);
    }

    /** How DuplicateCheck reads a long search in slices: each goes on where the last stopped, skipping nothing. */
    @Test
    void shouldSayWhereASearchCutShortByItsBytesGoesOn()
    {
        writeInterleaved(-1);
        final long end = fixture.log.logEndOffset();
        final long target = fixture.offsetOf(CLIENT, 299);

        long from = 0;
        long bytes = 0;
        int slices = 0;
        long found;
        while ((found = search.find(CLIENT, 299, 299, from, end, 1)) == DuplicateCheck.Log.INCOMPLETE)
        {
            assertThat(search.resumeOffset()).as("where slice %s stopped", slices).isGreaterThan(from);
            from = search.resumeOffset();
            bytes += search.bytesRead();
            slices++;
        }
        bytes += search.bytesRead();

        assertThat(found).isEqualTo(target);
        assertThat(search.resumeOffset()).as("after an answer").isEqualTo(-1);
        assertThat(slices).as("slices before the record's").isGreaterThan(5);
        assertThat(bytes).as("every byte up to the record's segment read once").isLessThanOrEqualTo(
            fixture.log.sizeBytes());
    }

    @Test
    void shouldFindRecordsOnEitherSideOfASegmentBoundary()
    {
        writeInterleaved(-1);
        final List<Long> bases = fixture.log.segmentBaseOffsets();
        final long boundary = bases.get(3);
        final long[] first = recordAt(boundary);
        final long[] last = recordAt(boundary - 1);
        final long end = fixture.log.logEndOffset();

        assertThat(search.find(first[1], first[2], first[2], boundary, boundary + 1, 1)).isEqualTo(boundary);
        assertThat(search.find(last[1], last[2], last[2], boundary - 1, boundary, 1)).isEqualTo(boundary - 1);
        // From just below the boundary the search continues into the next segment.
        assertThat(search.find(first[1], first[2], first[2], boundary - 1, end, ALL)).isEqualTo(boundary);
        // A range ending at the boundary does not read the next segment's first record.
        assertThat(search.find(first[1], first[2], first[2], bases.get(2), boundary, ALL))
            .isEqualTo(DuplicateCheck.Log.NOT_FOUND);
    }

    @Test
    void shouldNotFindWritesCutByATruncationButFindTheirRewrite()
    {
        writeInterleaved(-1);
        final long oldEnd = fixture.log.logEndOffset();
        final long cut = fixture.offsetOf(CLIENT, 200);
        final long newEnd = fixture.log.truncateTo(cut);
        assertThat(newEnd).isLessThanOrEqualTo(cut);

        // The range still names the old end; the log ends below it. Read up to the new end: not there.
        assertThat(search.find(CLIENT, 250, 250, 0, oldEnd, ALL)).isEqualTo(DuplicateCheck.Log.NOT_FOUND);
        assertThat(search.find(CLIENT, 250, 250, newEnd, oldEnd, ALL)).isEqualTo(DuplicateCheck.Log.NOT_FOUND);
        // A range starting above the new end cannot be read at all: the search cannot tell, and says so.
        assertThat(search.find(CLIENT, 250, 250, newEnd + 1, oldEnd, ALL)).isEqualTo(DuplicateCheck.Log.INCOMPLETE);
        assertThat(search.find(CLIENT, 150, 150, 0, oldEnd, ALL)).isEqualTo(fixture.offsetOf(CLIENT, 150));

        // The client retries 250 at the new leader: found at its new offset.
        final long rewritten = fixture.appendBatch(CLIENT, 250);
        assertThat(search.find(CLIENT, 250, 250, 0, fixture.log.logEndOffset(), ALL)).isEqualTo(rewritten);
    }

    @Test
    void shouldAnswerIncompleteWhenThePartToSearchWasRemoved()
    {
        writeInterleaved(-1);
        final long end = fixture.log.logEndOffset();
        fixture.log.truncateFullyAndStartAt(end); // as a follower that installed a snapshot: nothing below is kept

        assertThat(search.startOffset()).isEqualTo(end);
        assertThat(search.find(CLIENT, 3, 3, 0, end, ALL)).isEqualTo(DuplicateCheck.Log.INCOMPLETE);
    }

    @Test
    void shouldEstimateAnOffsetBelowByAverageRecordSizeNeverBelowTheLogStart()
    {
        assertThat(search.offsetBytesBelow(0, 1_000_000)).as("empty log").isZero();
        writeInterleaved(-1);
        final long end = fixture.log.logEndOffset();
        final long recordBytes = fixture.log.sizeBytes() / end;

        assertThat(search.offsetBytesBelow(end, 100 * recordBytes)).isEqualTo(end - 100);
        assertThat(search.offsetBytesBelow(end, Long.MAX_VALUE / 2)).isZero();
        assertThat(search.startOffset()).isZero();
        assertThat(search.endOffset()).isEqualTo(end);
    }

    /**
     * The reason the search exists, end to end with a real store: a client that went quiet before the new
     * leader's rebuilt window began retries a write far behind its newest sequence. The store's table and a
     * search of the log answer it with its original offset, and a sequence that never reached the log is new.
     */
    @Test
    void shouldAnswerARetryFarBehindWithItsOriginalOffsetThroughTheDuplicateCheck()
    {
        for (long sequence = 1; sequence <= 300; sequence++)
        {
            if (sequence != 30)
            {
                fixture.appendBatch(CLIENT, sequence);
            }
        }
        for (long sequence = 1; sequence <= 100; sequence++)
        {
            fixture.appendBatch(OTHER, sequence, OTHER, 1000 + sequence);
        }
        try (KeyValueStore store = KeyValueStore.open(dir.resolve("store"), new SnapshotStore(dir.resolve("snapshots"), 2)))
        {
            fixture.applyTo(store, fixture.log.logEndOffset());
            final DedupWindow window = new DedupWindow(8, 512, 16);
            final DuplicateCheck check = new DuplicateCheck(window, new StoreSequences(store), search,
                64 * IdempotentLogFixture.SEGMENT_BYTES);
            final long from = fixture.log.logEndOffset() - 20; // the new leader's window covers only OTHER's tail
            window.reset(from);
            for (final long[] record : fixture.records)
            {
                if (record[0] >= from)
                {
                    window.onAppended(record[1], record[2], record[0]);
                }
            }
            check.onDutyCycle();

            assertThat(check.check(CLIENT, 300)).isEqualTo(fixture.offsetOf(CLIENT, 300));
            assertThat(check.check(CLIENT, 5)).isEqualTo(fixture.offsetOf(CLIENT, 5));
            assertThat(check.check(CLIENT, 30)).isEqualTo(DuplicateCheck.NEW);
            assertThat(check.check(CLIENT, 301)).isEqualTo(DuplicateCheck.NEW);
        }
    }

    private long[] recordAt(final long offset)
    {
        for (final long[] record : fixture.records)
        {
            if (record[0] == offset)
            {
                return record;
            }
        }
        throw new AssertionError("no record at offset " + offset);
    }
}
