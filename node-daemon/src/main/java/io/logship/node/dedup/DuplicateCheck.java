package io.logship.node.dedup;

import org.agrona.concurrent.NanoClock;

/**
 * The leader's decision on an idempotent write: is (client id, sequence) already in the log, and at which
 * offset? Asks the {@link DedupWindow} first; when the window cannot tell (the offset left its ring, the
 * sequence is older than its span, the client has not written since the window's coverage began, or the
 * sequence is below the lowest the window met for the client, so any original is below its coverage) it
 * asks the store's table (highest applied sequence per client) and, on that rare path only, searches the
 * log for the record, within a byte budget. Pure: the store and the log are behind small interfaces so the
 * decision is tested without Aeron. Owned by the conductor thread.
 *
 * <p>A write that is not in the log is always appended, except when it cannot be told apart from one that
 * is ({@link #UNDECIDABLE}, with the reason and what the client should do in {@link #refusal()}): only a
 * client the window does not hold, retrying a sequence below the highest the store applied for it, when
 * the part of the log that could hold the original was removed or lies beyond the search budget; or a
 * retry whose original would have to be searched for past that budget.
 */
public final class DuplicateCheck
{
    /** Result of {@link #check}: not in the log; append it. */
    public static final long NEW = DedupWindow.NEW;
    /** Result of {@link #check}: handed to the journal, not appended yet; the client retries. */
    public static final long IN_FLIGHT = DedupWindow.IN_FLIGHT;
    /** Result of {@link #check}: this duty cycle's search budget is spent; the client retries. */
    public static final long DEFERRED = -10;
    /** Result of {@link #check}: cannot tell whether it is in the log; {@link #refusal()} says why and what to do. */
    public static final long UNDECIDABLE = -11;

    /** The store's replicated table of the highest applied sequence per client. */
    public interface Store
    {
        /** The store's applied offset: the table covers every record below it once this is read. */
        long appliedOffset();

        /** The highest sequence applied for the client, or -1. */
        long lastSequence(long clientId);

        /** The offset of the record that carried {@link #lastSequence}, or -1. */
        long offsetOfLastSequence(long clientId);
    }

    /** The leader's log, searched for one record. */
    public interface Log
    {
        /** Result of {@link #find}: the whole range was read and the record is not in it. */
        long NOT_FOUND = -1;
        /** Result of {@link #find}: the byte budget ran out, or part of the range was removed, before the end. */
        long INCOMPLETE = -2;

        long startOffset();

        long endOffset();

        /** An offset about {@code bytes} of log below {@code offset} (an estimate), not below the log start. */
        long offsetBytesBelow(long offset, long bytes);

        /**
         * The offset of a record of the client with a sequence in [{@code lowSequence}, {@code highSequence}]
         * in the log from {@code from} to {@code to}, reading at most about {@code maxBytes}, or
         * {@link #NOT_FOUND} or {@link #INCOMPLETE}.
         */
        long find(long clientId, long lowSequence, long highSequence, long from, long to, long maxBytes);

        /** Bytes the last {@link #find} read. */
        long bytesRead();

        /**
         * Where the last {@link #find} that answered {@link #INCOMPLETE} stopped because it had read its bytes: a
         * search of the rest goes on from there. -1 after any other answer, and when part of the range was removed.
         */
        long resumeOffset();
    }

    /**
     * Log bytes a search reads between two looks at the duty cycle's budgets: with its time budget looked at only
     * between searches, one search of a retry from a client the window did not know read up to 128 MiB at once and
     * held a new leader's duty cycle for 222–324 ms, past its lease (perf/README.md, "Searches in slices").
     */
    static final long SLICE_BYTES = LogSearch.READ_BYTES;
    /**
     * Searches kept: suspended ones to go on, finished ones to answer the retries that ask again (the least recently
     * used is dropped, a suspended one with its progress).
     */
    static final int SUSPENDED_SEARCHES = 16;
    /** Internal result of {@link #find}: cut short by this duty cycle's budgets; it goes on in later cycles. */
    private static final long SUSPENDED = -3;
    private static final long RUNNING = Long.MIN_VALUE;

    private final DedupWindow window;
    private final Store store;
    private final Log log;
    private final long searchBytes;
    private final NanoClock clock;
    private final long cycleSearchNs;
    private final long sliceBytes;
    private final Search[] searches = new Search[SUSPENDED_SEARCHES];
    private long searchUses;
    private long searchedThisCycle;
    private long searchNsThisCycle;
    private String refusal;

    /**
     * One search of the log for one client's sequences, kept across duty cycles when their budgets cut it short.
     * Its answer holds while this node leads: the log below the end only grows at the end then.
     */
    private static final class Search
    {
        boolean inUse;
        long clientId;
        long lowSequence;
        long highSequence;
        long from;
        long to;
        long next;
        long bytesRead;
        long maxBytes;
        long result = RUNNING;
        long lastUse;

        void start(final long clientId, final long lowSequence, final long highSequence, final long from,
            final long maxBytes)
        {
            inUse = true;
            this.clientId = clientId;
            this.lowSequence = lowSequence;
            this.highSequence = highSequence;
            this.from = from;
            next = from;
            bytesRead = 0;
            this.maxBytes = maxBytes;
            result = RUNNING;
        }
    }

    /** With no time budget: only {@code searchBytes} bounds the searches of a duty cycle (tests of that bound). */
    public DuplicateCheck(final DedupWindow window, final Store store, final Log log, final long searchBytes)
    {
        this(window, store, log, searchBytes, () -> 0, Long.MAX_VALUE);
    }

    /**
     * @param searchBytes   log bytes one search may read, and the byte budget of one duty cycle.
     * @param cycleSearchNs time the searches of one duty cycle may take: once spent, a retry that needs a search
     *                      is answered {@link #DEFERRED} (its client retries). The searches run on the conductor
     *                      thread, which must keep heartbeating: with only the byte budget, a burst of retries
     *                      after a disk stall (each search reading a megabyte through the page cache, checksums
     *                      included) held one leader's duty cycle for 257 ms and cost it its lease
     *                      (docs/DESIGN.md#de-duplication).
     */
    public DuplicateCheck(final DedupWindow window, final Store store, final Log log, final long searchBytes,
        final NanoClock clock, final long cycleSearchNs)
    {
        this(window, store, log, searchBytes, clock, cycleSearchNs, SLICE_BYTES);
    }

    /** For tests: searches read {@code sliceBytes} between looks at the budgets. */
    DuplicateCheck(final DedupWindow window, final Store store, final Log log, final long searchBytes,
        final NanoClock clock, final long cycleSearchNs, final long sliceBytes)
    {
        this.window = window;
        this.store = store;
        this.log = log;
        this.searchBytes = searchBytes;
        this.clock = clock;
        this.cycleSearchNs = cycleSearchNs;
        this.sliceBytes = sliceBytes;
        for (int i = 0; i < searches.length; i++)
        {
            searches[i] = new Search();
        }
    }

    /** Starts a duty cycle: its search budgets are full again. */
    public void onDutyCycle()
    {
        searchedThisCycle = 0;
        searchNsThisCycle = 0;
    }

    /** Whether this duty cycle's searches have read their bytes or taken their time. */
    private boolean budgetSpent()
    {
        return searchedThisCycle >= searchBytes || searchNsThisCycle >= cycleSearchNs;
    }

    /**
     * Goes on with the searches this cycle's client requests left cut short, with what is left of its budgets, so
     * that a long search ends in a few cycles whether or not its client retries meanwhile (a client backs off 10 ms
     * doubling to 1 s after a BUSY). Leader only: a search reads the leader's log. Returns the searches advanced.
     */
    public int advanceSearches()
    {
        int work = 0;
        for (final Search search : searches)
        {
            if (budgetSpent())
            {
                break;
            }
            if (search.inUse && search.result == RUNNING)
            {
                advance(search);
                work++;
            }
        }
        return work;
    }

    /** Forgets every search: a new term's log may differ below their ends (called when this node starts leading). */
    public void dropSearches()
    {
        for (final Search search : searches)
        {
            search.inUse = false;
        }
    }

    /**
     * {@link Log#find} in slices of {@link #sliceBytes}, counted against this duty cycle's budgets: the record's
     * offset, {@link Log#NOT_FOUND}, {@link Log#INCOMPLETE}, or {@link #SUSPENDED} when the budgets ran out first.
     * A search is kept, suspended or finished: a suspended one goes on in {@link #advanceSearches}; either answers
     * the next call that asks for it again (the same client and sequences, a range from at or above its start),
     * going on past its end if the range grew. Its answer holds while this node leads: the log only grows at its
     * end then, and every record in it has one original (client id, sequence).
     */
    private long find(final long clientId, final long low, final long high, final long from, final long to,
        final long maxBytes)
    {
        Search search = kept(clientId, low, high, from);
        if (null == search)
        {
            search = leastRecentlyUsed();
            search.start(clientId, low, high, from, maxBytes);
        }
        else
        {
            // Asked from higher up, the search skips what lies below: its start moves up with it, so a later call
            // from lower down does not take the skipped part for searched.
            search.from = Math.max(search.from, from);
            search.next = Math.max(search.next, from);
            if (search.result == Log.NOT_FOUND && search.next < to)
            {
                search.result = RUNNING; // the log grew since, and this search's range with it
            }
        }
        search.to = to;
        search.lastUse = ++searchUses;
        advance(search);
        // A finished search stays kept for the retries of the same sequences that follow (the client's other
        // in-flight writes, retried after a failover, ask the same question below the coverage).
        return search.result == RUNNING ? SUSPENDED : search.result;
    }

    private void advance(final Search search)
    {
        while (search.result == RUNNING && !budgetSpent())
        {
            if (search.next >= search.to)
            {
                search.result = Log.NOT_FOUND;
                return;
            }
            final long startNs = clock.nanoTime();
            final long found = log.find(search.clientId, search.lowSequence, search.highSequence, search.next,
                search.to, Math.min(sliceBytes, search.maxBytes - search.bytesRead));
            searchNsThisCycle += clock.nanoTime() - startNs;
            searchedThisCycle += log.bytesRead();
            search.bytesRead += log.bytesRead();
            if (found != Log.INCOMPLETE)
            {
                search.result = found;
                search.next = search.to;
                return;
            }
            if (log.resumeOffset() < 0 || search.bytesRead >= search.maxBytes)
            {
                search.result = Log.INCOMPLETE; // part of the range removed, or the search's own bytes read
                return;
            }
            search.next = log.resumeOffset();
        }
    }

    /** The kept search for these sequences whose start is at or below {@code from}, or null. */
    private Search kept(final long clientId, final long low, final long high, final long from)
    {
        for (final Search search : searches)
        {
            if (search.inUse && search.clientId == clientId && search.lowSequence == low &&
                search.highSequence == high && search.from <= from)
            {
                return search;
            }
        }
        return null;
    }

    private Search leastRecentlyUsed()
    {
        Search oldest = searches[0];
        for (final Search search : searches)
        {
            if (!search.inUse)
            {
                return search;
            }
            if (search.lastUse < oldest.lastUse)
            {
                oldest = search;
            }
        }
        return oldest;
    }

    /** Why the last {@link #check} answered {@link #UNDECIDABLE}, and what the client should do. */
    public String refusal()
    {
        return refusal;
    }

    /**
     * The original offset of the client's write of {@code sequence} ({@code ≥ 0}), or {@link #NEW},
     * {@link #IN_FLIGHT}, {@link #DEFERRED} or {@link #UNDECIDABLE}.
     */
    public long check(final long clientId, final long sequence)
    {
        final long verdict = window.lookup(clientId, sequence);
        if (verdict >= 0 || verdict == DedupWindow.NEW || verdict == DedupWindow.IN_FLIGHT)
        {
            return verdict;
        }
        final long from = window.searchFrom();
        if (verdict == DedupWindow.SEARCH)
        {
            return searchWritten(clientId, sequence, from);
        }
        // UNKNOWN_CLIENT and BELOW_COVERAGE: any original lies below the coverage start.
        return searchUnknown(clientId, sequence, from, verdict == DedupWindow.BEYOND);
    }

    /**
     * The verdict on a batch of sequences {@code first .. first + count - 1}: the original offset of its last
     * record if all of it is in the log at consecutive offsets (a retried batch), or {@link #NEW} if none of
     * it is, or {@link #IN_FLIGHT}, {@link #DEFERRED} or {@link #UNDECIDABLE} (also for a batch partly in the
     * log: one reply cannot carry its scattered offsets, so the client must send those writes one by one).
     */
    public long checkBatch(final long clientId, final long first, final int count)
    {
        final long last = first + count - 1;
        final long lastVerdict = check(clientId, last);
        if (count == 1 || lastVerdict == IN_FLIGHT || lastVerdict == DEFERRED || lastVerdict == UNDECIDABLE ||
            lastVerdict == NEW && allAboveWritten(clientId, first, last))
        {
            return lastVerdict;
        }
        // Rare (a batch resent as a batch, or new sequences below ones already written): every record decides.
        for (int i = 0; i < count - 1; i++)
        {
            final long verdict = check(clientId, first + i);
            if (verdict == IN_FLIGHT || verdict == DEFERRED || verdict == UNDECIDABLE)
            {
                return verdict;
            }
            final long expected = lastVerdict >= 0 ? lastVerdict - (count - 1 - i) : NEW;
            if (verdict != expected)
            {
                refusal = "sequences " + first + ".." + last + " of client " + clientId + " are partly stored, or " +
                    "not stored together (sequence " + (first + i) + describe(verdict) + ", sequence " + last +
                    describe(lastVerdict) + "): send them as single writes, each is de-duplicated on its own";
                return UNDECIDABLE;
            }
        }
        return lastVerdict;
    }

    /** Whether none of the sequences {@code first .. last} can be in the log, shown for all of them at once. */
    private boolean allAboveWritten(final long clientId, final long first, final long last)
    {
        if (window.knows(clientId))
        {
            return first > window.highestSequence(clientId);
        }
        final long applied = store.appliedOffset(); // first: the table read after it covers everything below it
        if (first <= store.lastSequence(clientId))
        {
            return false;
        }
        // Never applied, and nothing of the client's at or above the window's coverage: only the log between
        // the two can hold them (after an eviction, what the store has not applied yet), in one search.
        final long coverage = window.unknownCoversFrom();
        final long from = Math.max(applied, log.startOffset());
        if (from >= coverage)
        {
            return true;
        }
        if (budgetSpent() || from > applied)
        {
            return false; // each record decides, and says why
        }
        // SUSPENDED is false too: each record decides, and with the budgets spent it is DEFERRED.
        return find(clientId, first, last, from, coverage, 2 * searchBytes) == Log.NOT_FOUND;
    }

    /** The window knows the sequence was written (or handed to the journal) but no longer where: find it. */
    private long searchWritten(final long clientId, final long sequence, final long groupLowest)
    {
        if (budgetSpent())
        {
            return DEFERRED;
        }
        final long from = Math.max(groupLowest, log.startOffset());
        final long found = find(clientId, sequence, sequence, from, log.endOffset(), searchBytes);
        if (found >= 0)
        {
            return found;
        }
        if (found == SUSPENDED)
        {
            return DEFERRED;
        }
        if (found == Log.NOT_FOUND && from == groupLowest)
        {
            return IN_FLIGHT; // written through here but not appended: the journal still holds it
        }
        refusal = "sequence " + sequence + " of client " + clientId + " is stored (or being stored), but its record " +
            "was not found in the log searched from offset " + from + (from > groupLowest ? " (retention removed " +
            "the log below it)" : " (searches stop after " + mib(searchBytes) + ")") + ", so its original offset " +
            "cannot be given; do not write it again: read its key to see the stored value";
        return UNDECIDABLE;
    }

    /**
     * The window holds nothing about the sequence: either the client has written nothing since
     * {@code coverage} (an unknown client), or the sequence is below the lowest the window met for the client
     * (its original can only be below {@code coverage}, the client's coverage start), or the sequence is older
     * than the span the window holds for the client (its original can be anywhere from {@code coverage}, where
     * this client's window begins). The store's table narrows that down; a search of the log settles it.
     */
    private long searchUnknown(final long clientId, final long sequence, final long coverage, final boolean known)
    {
        final long applied = store.appliedOffset(); // first: the table read after it covers everything below it
        final long lastApplied = store.lastSequence(clientId);
        boolean appliedLater = lastApplied > sequence;
        if (sequence == lastApplied)
        {
            final long offset = store.offsetOfLastSequence(clientId);
            if (store.lastSequence(clientId) == sequence)
            {
                return offset;
            }
            appliedLater = true; // the apply thread moved past it meanwhile
        }
        long lo = known ? coverage : 0;
        final long hi = known ? log.endOffset() : coverage;
        if (!appliedLater)
        {
            lo = Math.max(lo, applied); // never applied, so not below the applied offset
        }
        if (lo >= hi)
        {
            return NEW;
        }
        final long start = log.startOffset();
        final long from = Math.max(Math.max(lo, start), log.offsetBytesBelow(hi, searchBytes));
        long found = Log.NOT_FOUND;
        if (from < hi)
        {
            if (budgetSpent())
            {
                return DEFERRED;
            }
            // Twice the estimate: the estimate is an average, and a search cut short only costs a refusal.
            long sequenceFrom = from;
            if (!known)
            {
                // Below the coverage, first whether the client wrote there at all: one search, kept, answers every
                // retried sequence of a client that did not (any client that started after this node's window did;
                // a search per sequence, each of the whole range, took a new leader 5-13 s to answer its first
                // retries). The sequence is then looked for from the client's first record there.
                final long first = find(clientId, Long.MIN_VALUE, Long.MAX_VALUE, from, hi, 2 * searchBytes);
                if (first == SUSPENDED)
                {
                    return DEFERRED;
                }
                sequenceFrom = first >= 0 ? first : hi;
                found = first >= 0 ? Log.NOT_FOUND : first;
            }
            if (sequenceFrom < hi)
            {
                found = find(clientId, sequence, sequence, sequenceFrom, hi, 2 * searchBytes);
                if (found >= 0)
                {
                    return found;
                }
                if (found == SUSPENDED)
                {
                    return DEFERRED;
                }
            }
        }
        if (found == Log.NOT_FOUND && from == lo)
        {
            return NEW; // all of [lo, hi) searched
        }
        final boolean removed = found == Log.NOT_FOUND && from == start;
        refusal = "cannot tell whether sequence " + sequence + " of client " + clientId + " was already written: " +
            "this leader has no record of it" + (appliedLater ? " while the store applied a later sequence of the " +
            "client" : "") + ", and the log " + (found == Log.NOT_FOUND ? "below offset " + from :
            "from offset " + lo + " to " + hi) + ", where the original could be, " + (removed ?
            "was removed by retention" : "was not " + (found == Log.NOT_FOUND ? "" : "fully ") +
            "searched (searches stop after " + mib(searchBytes) + ")") +
            "; the write may or may not be stored: read its key, and write it again (a new write, with a new " +
            "sequence) only if it is missing";
        return UNDECIDABLE;
    }

    private static String describe(final long verdict)
    {
        return verdict >= 0 ? " is at offset " + verdict : " is not";
    }

    private static String mib(final long bytes)
    {
        return bytes >= 1 << 20 ? (bytes >> 20) + " MiB" : bytes + " bytes";
    }
}
