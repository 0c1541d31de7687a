package io.logship.node.dedup;

import org.agrona.collections.Long2LongHashMap;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class DuplicateCheckTest
{
    private static final long CLIENT = -7163069878638840765L;
    private static final long OTHER = 99;
    private static final int RECORD_BYTES = 100;
    /** 200 records of the fake log per search and per duty cycle. */
    private static final long SEARCH_BYTES = 200 * RECORD_BYTES;
    private static final long CYCLE_NS = 500_000;
    private static final long SLICE_NS = 100_000;

    private final FakeStore store = new FakeStore();
    private final FakeLog log = new FakeLog();
    private final DedupWindow window = new DedupWindow(8, 512, 16);
    private final DuplicateCheck check = new DuplicateCheck(window, store, log, SEARCH_BYTES);

    /**
     * The reproduction, as the new leader sees it: the client had sequences up to 60 in flight at the old
     * leader, 30 of them never reached this node's log; the client's other writes went on here (to 140, far
     * past the ring of 8) while sequence 30 waited for a Connect to the dead node. Its retry must be appended,
     * and a retry of a write that did reach the log must get the original offset.
     */
    @Test
    void shouldAppendAWriteLostInAFailoverAndAnswerOneThatSurvivedWithItsOffset()
    {
        for (long sequence = 1; sequence <= 60; sequence++)
        {
            if (sequence != 30)
            {
                log.append(CLIENT, sequence);
            }
        }
        store.applyAll(log);
        takeOver();
        for (long sequence = 61; sequence <= 140; sequence++)
        {
            writeThroughLeader(CLIENT, sequence);
        }
        store.applyAll(log);

        assertThat(check.check(CLIENT, 30)).isEqualTo(DuplicateCheck.NEW);
        assertThat(check.check(CLIENT, 31)).isEqualTo(log.offsetOf(CLIENT, 31));
        assertThat(check.check(CLIENT, 140)).isEqualTo(log.offsetOf(CLIENT, 140));
        assertThat(check.check(CLIENT, 141)).isEqualTo(DuplicateCheck.NEW);
    }

    @Test
    void shouldAnswerAClientWrittenOnlyBeforeTheCoverageFromTheStoreAndTheLog()
    {
        for (long sequence = 1; sequence <= 50; sequence++)
        {
            if (sequence != 20)
            {
                log.append(CLIENT, sequence);
            }
        }
        for (int i = 0; i < 100; i++)
        {
            log.append(OTHER, i + 1);
        }
        store.applyAll(log);
        takeOverFrom(log.endOffset() - 50); // the client's writes are all below the rebuilt window

        assertThat(check.check(CLIENT, 50)).isEqualTo(log.offsetOf(CLIENT, 50)); // the store's last sequence
        assertThat(check.check(CLIENT, 51)).isEqualTo(DuplicateCheck.NEW); // above it: never applied
        assertThat(check.check(CLIENT, 21)).isEqualTo(log.offsetOf(CLIENT, 21)); // found below the coverage
        assertThat(check.check(CLIENT, 20)).isEqualTo(DuplicateCheck.NEW); // the whole log searched
        assertThat(check.checkBatch(CLIENT, 51, 10)).isEqualTo(DuplicateCheck.NEW);
        assertThat(check.checkBatch(CLIENT, 45, 10)).isEqualTo(DuplicateCheck.UNDECIDABLE);
        assertThat(check.refusal()).contains("sequence 45 is at offset " + log.offsetOf(CLIENT, 45));
    }

    @Test
    void shouldRefuseSayingWhyWhenTheLogThatCouldHoldTheOriginalIsGone()
    {
        for (long sequence = 1; sequence <= 50; sequence++)
        {
            if (sequence != 20)
            {
                log.append(CLIENT, sequence);
            }
        }
        for (int i = 0; i < 100; i++)
        {
            log.append(OTHER, i + 1);
        }
        store.applyAll(log);
        log.startOffset = 40; // retention removed the first 40 records
        takeOverFrom(log.endOffset() - 50);

        assertThat(check.check(CLIENT, 45)).isEqualTo(log.offsetOf(CLIENT, 45));
        assertThat(check.check(CLIENT, 20)).isEqualTo(DuplicateCheck.UNDECIDABLE);
        assertThat(check.refusal()).contains("sequence 20 of client " + CLIENT, "removed by retention",
            "read its key, and write it again (a new write, with a new sequence) only if it is missing");
    }

    @Test
    void shouldRefuseWhenTheOriginalCouldLieBeyondTheSearchBudget()
    {
        log.append(CLIENT, 1);
        log.append(CLIENT, 3);
        for (int i = 0; i < 1000; i++)
        {
            log.append(OTHER, i + 1);
        }
        store.applyAll(log);
        takeOverFrom(log.endOffset() - 10);

        assertThat(check.check(CLIENT, 2)).isEqualTo(DuplicateCheck.UNDECIDABLE);
        assertThat(check.refusal()).contains("was not searched (searches stop after");
    }

    @Test
    void shouldSayInFlightForAStragglerTheJournalStillHolds()
    {
        for (long sequence = 1; sequence <= 40; sequence++)
        {
            if (sequence != 5)
            {
                log.append(CLIENT, sequence);
            }
        }
        takeOver();
        window.onPublished(CLIENT, 5); // the late retry, handed to the journal

        assertThat(check.check(CLIENT, 5)).isEqualTo(DuplicateCheck.IN_FLIGHT);
        final long offset = log.append(CLIENT, 5);
        window.onResult(CLIENT, 5, offset);
        assertThat(check.check(CLIENT, 5)).isEqualTo(offset);
    }

    @Test
    void shouldDeferSearchesOnceTheDutyCycleBudgetIsSpent()
    {
        for (long sequence = 1; sequence <= 40; sequence++)
        {
            if (sequence != 5)
            {
                log.append(CLIENT, sequence);
            }
        }
        takeOver();
        for (int i = 0; i < 300; i++)
        {
            log.append(OTHER, i + 1);
        }
        window.onPublished(CLIENT, 5); // in the journal behind 300 records: a search from its group runs out

        assertThat(check.check(CLIENT, 5)).isEqualTo(DuplicateCheck.UNDECIDABLE);
        assertThat(check.refusal()).contains("is stored (or being stored)", "do not write it again");
        assertThat(check.check(CLIENT, 12)).isEqualTo(DuplicateCheck.DEFERRED);
        check.onDutyCycle();
        assertThat(check.check(CLIENT, 12)).isEqualTo(log.offsetOf(CLIENT, 12));
    }

    /**
     * Each search here takes 300 µs of the 500 µs a duty cycle may spend searching: the third retry that needs one
     * waits for the next cycle. With the byte budget alone, a burst of retries after a disk stall held one leader's
     * duty cycle for 257 ms.
     */
    @Test
    void shouldDeferSearchesOnceTheDutyCycleSearchTimeIsSpent()
    {
        final DuplicateCheck timed = new DuplicateCheck(window, store, log, SEARCH_BYTES, () -> log.clockNs,
            500_000);
        for (long sequence = 1; sequence <= 40; sequence++)
        {
            log.append(CLIENT, sequence);
        }
        takeOver();
        timed.onDutyCycle();
        log.nanosPerFind = 300_000;

        assertThat(timed.check(CLIENT, 10)).as("a search: the offset left the ring").isEqualTo(log.offsetOf(CLIENT, 10));
        assertThat(timed.check(CLIENT, 11)).isEqualTo(log.offsetOf(CLIENT, 11));
        assertThat(timed.check(CLIENT, 12)).as("600 µs spent searching this cycle").isEqualTo(DuplicateCheck.DEFERRED);
        timed.onDutyCycle();
        assertThat(timed.check(CLIENT, 12)).isEqualTo(log.offsetOf(CLIENT, 12));
    }

    /**
     * A new leader whose window began where it started following (it restarted lately) and whose store has applied
     * little: the first write of a client it never met may be a retry of one stored below the window, so the log
     * there is searched. That one search read up to 128 MiB in one duty cycle (222–324 ms, and the leader lost its
     * lease); here it reads a slice at a time, at most a slice past the cycle's time budget, goes on in later cycles
     * by itself, and answers the retry once it is done.
     */
    @Test
    void shouldSpreadALongSearchOverDutyCyclesAndAnswerTheRetryFromItsResult()
    {
        final DuplicateCheck sliced = slicedCheck();
        for (int i = 0; i < 150; i++)
        {
            log.append(OTHER, i + 1);
        }
        final long original = log.append(CLIENT, 7);
        log.append(OTHER, 151);
        takeOverFrom(log.endOffset()); // the window knows nothing below the end, the store nothing at all

        sliced.onDutyCycle();
        assertThat(sliced.check(CLIENT, 7)).isEqualTo(DuplicateCheck.DEFERRED);
        assertThat(log.clockNs).as("search time in the first cycle").isLessThanOrEqualTo(CYCLE_NS + SLICE_NS);
        int cycles = 1;
        while (cycles < 20)
        {
            final long cycleStartNs = log.clockNs;
            sliced.onDutyCycle();
            if (sliced.advanceSearches() == 0)
            {
                break;
            }
            assertThat(log.clockNs - cycleStartNs).as("search time in cycle %s", cycles)
                .isLessThanOrEqualTo(CYCLE_NS + SLICE_NS);
            cycles++;
        }
        final long readBeforeRetry = log.recordsRead;

        assertThat(cycles).as("cycles the search took").isBetween(3, 5);
        assertThat(readBeforeRetry).as("records read up to the client's first: each once").isEqualTo(original + 1);
        assertThat(sliced.check(CLIENT, 7)).isEqualTo(original);
        assertThat(log.recordsRead - readBeforeRetry).as("the retry reads from the client's first record on")
            .isLessThanOrEqualTo(10);
    }

    /**
     * Retried every cycle (no cycles between): each retry goes on where the last stopped; a client that wrote nothing
     * below the window is new, for all its sequences, after one search.
     */
    @Test
    void shouldAppendANewClientsFirstWriteOnceTheSearchBelowTheWindowEndsWithoutAMatch()
    {
        final DuplicateCheck sliced = slicedCheck();
        takeOverAfterOtherClientsRecords(160);

        long verdict = DuplicateCheck.DEFERRED;
        int retries = 0;
        while (verdict == DuplicateCheck.DEFERRED && retries < 20)
        {
            sliced.onDutyCycle();
            verdict = sliced.check(CLIENT, 1);
            retries++;
        }

        assertThat(verdict).isEqualTo(DuplicateCheck.NEW);
        assertThat(retries).isBetween(3, 5);
        assertThat(log.recordsRead).as("records read: each once").isEqualTo(160);
        // The client's other retried writes ask the same question below the window: answered without a read.
        sliced.onDutyCycle();
        assertThat(sliced.check(CLIENT, 2)).isEqualTo(DuplicateCheck.NEW);
        assertThat(sliced.check(CLIENT, 3)).isEqualTo(DuplicateCheck.NEW);
        assertThat(log.recordsRead).as("records read after the other retries").isEqualTo(160);
    }

    /** A kept search read the log of an earlier term: leading again, the node searches from the start again. */
    @Test
    void shouldForgetSearchesItKeptWhenItStartsLeadingAgain()
    {
        final DuplicateCheck sliced = slicedCheck();
        takeOverAfterOtherClientsRecords(160);
        sliced.onDutyCycle();
        assertThat(sliced.check(CLIENT, 1)).isEqualTo(DuplicateCheck.DEFERRED);
        assertThat(log.lastFrom).isPositive();

        sliced.dropSearches();
        sliced.onDutyCycle();

        assertThat(sliced.advanceSearches()).isZero();
        assertThat(sliced.check(CLIENT, 1)).isEqualTo(DuplicateCheck.DEFERRED);
        assertThat(log.recordsRead).as("the first slices read twice").isGreaterThan(60);
    }

    /** {@code records} of another client, then a take-over whose window knows nothing below the end. */
    private void takeOverAfterOtherClientsRecords(final int records)
    {
        for (int i = 0; i < records; i++)
        {
            log.append(OTHER, i + 1);
        }
        takeOverFrom(log.endOffset());
    }

    /** Searches of 10 records a slice, 100 µs each, 500 µs of them per duty cycle. */
    private DuplicateCheck slicedCheck()
    {
        log.nanosPerRecord = SLICE_NS / 10;
        return new DuplicateCheck(window, store, log, SEARCH_BYTES, () -> log.clockNs, CYCLE_NS, 10 * RECORD_BYTES);
    }

    @Test
    void shouldSearchBeyondThePresenceSpanFromTheClientsCoverage()
    {
        log.append(CLIENT, 7);
        takeOver();
        for (long sequence = 2000; sequence <= 2010; sequence++)
        {
            writeThroughLeader(CLIENT, sequence);
        }
        store.applyAll(log);

        assertThat(check.check(CLIENT, 7)).isEqualTo(log.offsetOf(CLIENT, 7));
        assertThat(check.check(CLIENT, 8)).isEqualTo(DuplicateCheck.NEW);
    }

    @Test
    void shouldTellABatchThatIsNewFromOneThatIsStoredOrPartlyStored()
    {
        for (long sequence = 1; sequence <= 20; sequence++)
        {
            log.append(CLIENT, sequence);
        }
        takeOver();

        assertThat(check.checkBatch(CLIENT, 21, 5)).isEqualTo(DuplicateCheck.NEW);
        assertThat(check.checkBatch(CLIENT, 15, 4)).isEqualTo(log.offsetOf(CLIENT, 18));
        assertThat(check.checkBatch(CLIENT, 18, 5)).isEqualTo(DuplicateCheck.UNDECIDABLE);
        assertThat(check.refusal()).contains("partly stored", "send them as single writes");
    }

    @Test
    void shouldCheckEverySequenceOfABatchBelowTheClientsHighest()
    {
        for (long sequence = 1; sequence <= 20; sequence++)
        {
            if (sequence != 12 && sequence != 14)
            {
                log.append(CLIENT, sequence);
            }
        }
        takeOver();

        // 12 and 14 are not stored, 13 is: first and last alone would call the batch new and store 13 twice.
        assertThat(check.checkBatch(CLIENT, 12, 3)).isEqualTo(DuplicateCheck.UNDECIDABLE);
        assertThat(check.refusal()).contains("sequence 13 is at offset " + log.offsetOf(CLIENT, 13));
    }

    private void takeOver()
    {
        takeOverFrom(0);
    }

    /** What Deduplication's rebuild does for a new leader: the window learns the log from {@code from} on. */
    private void takeOverFrom(final long from)
    {
        window.reset(from);
        for (final long[] record : log.records)
        {
            if (record[0] >= from)
            {
                window.onAppended(record[1], record[2], record[0]);
            }
        }
        check.onDutyCycle();
    }

    private void writeThroughLeader(final long clientId, final long sequence)
    {
        assertThat(check.check(clientId, sequence)).isEqualTo(DuplicateCheck.NEW);
        window.onPublished(clientId, sequence);
        window.onResult(clientId, sequence, log.append(clientId, sequence));
    }

    private static final class FakeStore implements DuplicateCheck.Store
    {
        private final Long2LongHashMap lastSequences = new Long2LongHashMap(-1);
        private final Long2LongHashMap offsets = new Long2LongHashMap(-1);
        private long applied;

        void applyAll(final FakeLog log)
        {
            for (final long[] record : log.records)
            {
                if (record[0] >= applied && record[2] > lastSequences.get(record[1]))
                {
                    lastSequences.put(record[1], record[2]);
                    offsets.put(record[1], record[0]);
                }
            }
            applied = log.endOffset();
        }

        @Override
        public long appliedOffset()
        {
            return applied;
        }

        @Override
        public long lastSequence(final long clientId)
        {
            return lastSequences.get(clientId);
        }

        @Override
        public long offsetOfLastSequence(final long clientId)
        {
            return offsets.get(clientId);
        }
    }

    /** A log of idempotent records of {@value #RECORD_BYTES} bytes each, one per offset. */
    private static final class FakeLog implements DuplicateCheck.Log
    {
        final List<long[]> records = new ArrayList<>();
        long startOffset;
        /** A clock each search moves on by {@link #nanosPerFind}: how long a search of this log takes. */
        long clockNs;
        long nanosPerFind;
        /** What the clock moves on by per record read. */
        long nanosPerRecord;
        long recordsRead;
        long lastFrom = -1;
        private long bytesRead;
        private long resumeOffset = -1;

        long append(final long clientId, final long sequence)
        {
            final long offset = records.size();
            records.add(new long[] {offset, clientId, sequence});
            return offset;
        }

        long offsetOf(final long clientId, final long sequence)
        {
            for (final long[] record : records)
            {
                if (record[1] == clientId && record[2] == sequence)
                {
                    return record[0];
                }
            }
            throw new AssertionError("no record of sequence " + sequence);
        }

        @Override
        public long startOffset()
        {
            return startOffset;
        }

        @Override
        public long endOffset()
        {
            return records.size();
        }

        @Override
        public long offsetBytesBelow(final long offset, final long bytes)
        {
            return Math.max(startOffset, offset - bytes / RECORD_BYTES);
        }

        @Override
        public long find(final long clientId, final long lowSequence, final long highSequence, final long from,
            final long to, final long maxBytes)
        {
            assertThat(from).isGreaterThanOrEqualTo(startOffset);
            clockNs += nanosPerFind;
            lastFrom = from;
            bytesRead = 0;
            resumeOffset = -1;
            for (long offset = from; offset < to && offset < records.size(); offset++)
            {
                if (bytesRead >= maxBytes)
                {
                    resumeOffset = offset;
                    return INCOMPLETE;
                }
                bytesRead += RECORD_BYTES;
                recordsRead++;
                clockNs += nanosPerRecord;
                final long[] record = records.get((int)offset);
                if (record[1] == clientId && record[2] >= lowSequence && record[2] <= highSequence)
                {
                    return offset;
                }
            }
            return NOT_FOUND;
        }

        @Override
        public long bytesRead()
        {
            return bytesRead;
        }

        @Override
        public long resumeOffset()
        {
            return resumeOffset;
        }
    }
}
