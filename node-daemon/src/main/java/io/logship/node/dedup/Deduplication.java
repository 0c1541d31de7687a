package io.logship.node.dedup;

import io.logship.format.BatchDescriptor;
import io.logship.kv.KeyValueStore;
import io.logship.format.RecordCursor;
import io.logship.log.OffsetOutOfRangeException;
import io.logship.log.SegmentedLog;
import io.logship.node.read.BatchIterator;
import io.logship.node.read.LogReadBuffer;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.NanoClock;

import java.util.concurrent.TimeUnit;

/**
 * The leader's de-duplication of retried idempotent writes for one log: the {@link DedupWindow} of recent
 * (client, sequence) → offset, the {@link DuplicateCheck} that asks the window, the store and the log, and
 * the rebuild of the window when this node starts leading. Conductor thread only.
 *
 * <p>The rebuild reads the last {@value #DEDUP_REBUILD_BYTES} bytes of log in slices, one per duty cycle
 * ({@link #rebuildSlice()}), each bounded in bytes and time: done at once, it kept a new leader's conductor
 * from heartbeating for 454 ms under load, past its followers' election timeout, and the leader lost the
 * epoch it had just won. Until {@link #isRebuilding()} is false the window is not whole and must not be
 * asked: the conductor leaves the client stream unread meanwhile (see {@code docs/DESIGN.md#de-duplication}).
 *
 * <p>A follower keeps the window as it appends ({@link #onFollowerAppend}), as every Kafka replica keeps its
 * producer state, so that a follower elected leader usually needs no rebuild: the rebuild took a new leader
 * 80–90 ms under load, a sixth of a failover (docs/DESIGN.md#de-duplication). Where the window starts over (at
 * start, after a cut, back from leading) a follower first reads the log from the store's applied offset in slices
 * ({@link #catchUpSlice()}), so the window and the store's table together cover the whole log: a new leader then
 * answers a new client's first write without searching the log (docs/DESIGN.md#dedup-catch-up).
 */
public final class Deduplication
{
    private static final int DEDUP_WINDOW = 4096;
    /** Sequences remembered as written or not per client (20 KiB each): 13 s of a client at 10k writes/s. */
    private static final int DEDUP_PRESENCE_SPAN = 1 << 17;
    private static final int DEDUP_MAX_CLIENTS = 1024;
    private static final int DEDUP_REBUILD_BYTES = 16 * 1024 * 1024;
    /** Log one de-duplication search may read, and all of them in one duty cycle (~tens of ms). */
    private static final long DEDUP_SEARCH_BYTES = 64L * 1024 * 1024;
    /** Time the searches of one duty cycle may take before later retries are deferred: as a rebuild slice. */
    private static final long DEDUP_SEARCH_CYCLE_NS = TimeUnit.MICROSECONDS.toNanos(500);
    /** Log bytes one rebuild slice reads at most (several reads of at most {@link #REBUILD_READ_BYTES}). */
    private static final int REBUILD_SLICE_BYTES = 256 * 1024;
    /** Time after which a rebuild slice stops at the end of its current read: well inside a 1 ms duty cycle. */
    private static final long REBUILD_SLICE_NS = TimeUnit.MICROSECONDS.toNanos(500);
    private static final int REBUILD_READ_BYTES = 16 * 1024;
    /**
     * Log a follower's catch-up reads at most below the log end: about a snapshot interval of 100 B records (the
     * most a restarted store replays), at a few hundred ms of reading spread over duty cycles.
     */
    private static final long CATCH_UP_BYTES = 256L * 1024 * 1024;

    private final SegmentedLog log;
    private final LogReadBuffer staging;
    private final NanoClock clock;
    private final int rebuildBytes;
    private final long catchUpBytes;
    private final DuplicateCheck.Store storeTable;
    private final int sliceBytes;
    private final long sliceNs;
    private final DedupWindow window;
    private final DuplicateCheck check;
    private final RecordCursor cursor = new RecordCursor();
    private boolean rebuilding;
    /**
     * A follower's catch-up is reading the log (from the store's applied offset) to meet what the window did not:
     * appends are not met one by one meanwhile, the catch-up reads them from the log.
     */
    private boolean catchingUp;
    /** Whether the leader's rebuild goes on with the catch-up begun while following instead of starting over. */
    private boolean continuedCatchUp;
    /** Where the next rebuild slice reads from, and where the rebuild ends (the log end when it began). */
    private long rebuildFrom;
    private long rebuildNext;
    private long rebuildEnd;
    private long rebuildStartNs;
    private long rebuildBusyNs;
    private int rebuildSlices;
    private long longestSliceNs;
    private long rebuildBytesRead;
    private int largestSliceBytes;
    /**
     * One past the last record the window met as this node appended it as a follower, with every idempotent record
     * from the window's coverage start to here met in log order; -1 when that does not hold (at start, after a
     * truncation, once leading).
     */
    private long followedEnd = -1;
    /** Whether the last {@link #startRebuild} found the window whole from following, and rebuilt nothing. */
    private boolean keptFromFollowing;

    public Deduplication(final SegmentedLog log, final KeyValueStore store, final LogReadBuffer staging,
        final NanoClock clock)
    {
        this(log, store, staging, clock, new DedupWindow(DEDUP_WINDOW, DEDUP_PRESENCE_SPAN, DEDUP_MAX_CLIENTS),
            DEDUP_REBUILD_BYTES, REBUILD_SLICE_BYTES, REBUILD_SLICE_NS, CATCH_UP_BYTES);
    }

    /**
     * For tests: a window of any size, rebuilt from {@code rebuildBytes} below the end (a follower's catch-up from
     * at most {@code catchUpBytes} below it) in slices of the given bounds.
     */
    Deduplication(final SegmentedLog log, final KeyValueStore store, final LogReadBuffer staging,
        final NanoClock clock, final DedupWindow window, final int rebuildBytes, final int sliceBytes,
        final long sliceNs, final long catchUpBytes)
    {
        this.log = log;
        this.staging = staging;
        this.clock = clock;
        this.window = window;
        this.rebuildBytes = rebuildBytes;
        this.catchUpBytes = catchUpBytes;
        this.sliceBytes = sliceBytes;
        this.sliceNs = sliceNs;
        this.storeTable = new StoreSequences(store);
        this.check = new DuplicateCheck(window, storeTable, new LogSearch(log, staging),
            DEDUP_SEARCH_BYTES, clock, DEDUP_SEARCH_CYCLE_NS);
    }

    public DedupWindow window()
    {
        return window;
    }

    public DuplicateCheck check()
    {
        return check;
    }

    /**
     * Starts learning the idempotent writes of about the last {@link #DEDUP_REBUILD_BYTES} of log, so retries of
     * writes taken by the previous leader are de-duplicated: the window will cover the log from there on. The
     * log is read by {@link #rebuildSlice()}; the window must not be asked until {@link #isRebuilding()} is false.
     * A rebuild still under way (this node led before and stepped down mid-rebuild) starts over. A follower's
     * catch-up still under way goes on as the rebuild if it has less than that left to read.
     */
    public void startRebuild()
    {
        final long end = log.logEndOffset();
        check.dropSearches();
        keptFromFollowing = followedEnd >= 0 && followedEnd == end && !rebuilding && !catchingUp;
        final long rebuildStart = LogSearch.offsetBytesBelow(log, end, rebuildBytes);
        // No cut since the catch-up began (a cut stops it), so what it met is still the log's.
        continuedCatchUp = catchingUp && rebuildNext >= rebuildStart;
        catchingUp = false;
        followedEnd = -1; // leading: the journal's results keep the window from now on
        if (keptFromFollowing)
        {
            // Met every record from its coverage start to the log end: whole. Its coverage may be shorter than a
            // rebuild's (a node that restarted lately); a retry from before it searches the log, as one from before
            // a rebuild's does.
            rebuildNext = end; // rebuildFrom: where following began (restartRebuildFrom)
            rebuildEnd = end;
            rebuilding = false;
            return; // what the catch-up read, if one ran, stays described by its figures
        }
        resetProgress();
        if (!continuedCatchUp)
        {
            restartRebuildFrom(rebuildStart);
        }
        rebuildEnd = end;
        rebuilding = rebuildNext < rebuildEnd;
    }

    /**
     * This node appended the batch at {@code position} as a follower: the window meets its idempotent records, as
     * the rebuild would read them. A batch that does not continue what the window met (the first after a start, a
     * truncation or a leadership) starts a catch-up instead: the window starts over at the store's applied offset
     * (at most {@link #CATCH_UP_BYTES} below the log end) and {@link #catchUpSlice()} meets the log from there up to
     * its end, this batch and the appends made meanwhile included; then appends are met one by one again. The
     * store's table covers the log below its applied offset, so once this node leads, a retry of a client the
     * window does not know needs no search of the log: a node restarted after kill -9 replays its store from the
     * last snapshot for tens of seconds, and its window, begun where it started following, left up to 128 MiB to
     * search between the two (perf/README.md, "Catch-up from the store"). Not begun before the first append: a
     * restarted node's log may still lose a suffix the new leader lacks.
     */
    public void onFollowerAppend(final DirectBuffer buffer, final int position)
    {
        if (catchingUp)
        {
            return;
        }
        final long base = BatchDescriptor.baseOffset(buffer, position);
        if (base != followedEnd || rebuilding)
        {
            rebuilding = false; // a rebuild cut short by a step-down: following supersedes it
            followedEnd = -1;
            final long end = log.logEndOffset();
            catchingUp = true;
            resetProgress();
            restartRebuildFrom(Math.max(Math.min(storeTable.appliedOffset(), end),
                LogSearch.offsetBytesBelow(log, end, catchUpBytes)));
            return;
        }
        cursor.wrap(buffer, position);
        meetRecords();
        followedEnd = BatchDescriptor.nextOffset(buffer, position);
    }

    /**
     * A follower's duty cycle: one slice of the catch-up {@link #onFollowerAppend} started, bounded as a rebuild's,
     * up to the log end, which may move meanwhile.
     *
     * @return 1 if it did work, else 0.
     */
    public int catchUpSlice()
    {
        if (!catchingUp)
        {
            return 0;
        }
        rebuildEnd = log.logEndOffset();
        if (rebuildNext < rebuildEnd)
        {
            readSlice();
        }
        if (rebuildNext >= rebuildEnd)
        {
            catchingUp = false;
            followedEnd = rebuildEnd;
        }
        return 1;
    }

    /** Whether a follower's catch-up is reading the log: the window is not whole until it ends. */
    public boolean isCatchingUp()
    {
        return catchingUp;
    }

    /**
     * Tells the window of every idempotent record of the batch the cursor is on, in log order, one call per run
     * of a client's consecutive sequences at consecutive offsets (a client's batch is one such run): the window
     * then looks the client up once per run, not once per record.
     */
    private void meetRecords()
    {
        long runClientId = 0;
        long runFirstSequence = 0;
        long runFirstOffset = 0;
        int runCount = 0;
        while (cursor.next())
        {
            if (!cursor.idempotent())
            {
                continue;
            }
            final long clientId = cursor.clientId();
            final long sequence = cursor.sequence();
            final long offset = cursor.offset();
            if (runCount > 0 && clientId == runClientId && sequence == runFirstSequence + runCount &&
                offset == runFirstOffset + runCount)
            {
                runCount++;
                continue;
            }
            if (runCount > 0)
            {
                window.onAppended(runClientId, runFirstSequence, runCount, runFirstOffset);
            }
            runClientId = clientId;
            runFirstSequence = sequence;
            runFirstOffset = offset;
            runCount = 1;
        }
        if (runCount > 0)
        {
            window.onAppended(runClientId, runFirstSequence, runCount, runFirstOffset);
        }
    }

    /** The log was cut (a truncation, a snapshot installed): what the window met may be gone. */
    public void onTruncated()
    {
        followedEnd = -1;
        catchingUp = false; // what it met may be gone: the next append starts over
    }

    /** Whether the window is still being rebuilt: until then it cannot answer whether a write is a retry. */
    public boolean isRebuilding()
    {
        return rebuilding;
    }

    /**
     * One duty cycle's share of the rebuild: {@link #readSlice()} while it lasts. Records appended after the rebuild
     * began are this leader's own (its NOOP: no client write is taken before the rebuild is over) and need not be
     * read.
     *
     * @return 1 if it did work (the duty cycle is busy), else 0.
     */
    public int rebuildSlice()
    {
        if (!rebuilding)
        {
            return 0;
        }
        readSlice();
        if (rebuildNext >= rebuildEnd)
        {
            rebuilding = false;
        }
        return 1;
    }

    /**
     * Reads whole batches from where the last slice stopped up to {@link #rebuildEnd}, in reads of at most
     * {@value #REBUILD_READ_BYTES} bytes, up to {@code sliceBytes} (and the rest of a batch that crosses it),
     * stopping after the batch during which {@code sliceNs} passed. Batches are read in log order, so the window
     * ends exactly as one pass over the log would leave it.
     */
    private void readSlice()
    {
        final long startNs = clock.nanoTime();
        int bytes = 0;
        boolean timeUp = false;
        do
        {
            final int length;
            try
            {
                length = staging.read(log, rebuildNext, Math.min(REBUILD_READ_BYTES, sliceBytes - bytes));
            }
            catch (final OffsetOutOfRangeException ex)
            {
                // Retention removed the log where the rebuild stood: the window can only cover what is left,
                // and must have met all of it, so the rebuild starts over at the new log start.
                restartRebuildFrom(log.logStartOffset());
                continue;
            }
            if (length == 0)
            {
                rebuildNext = rebuildEnd;
                break;
            }
            final BatchIterator batches = staging.batches(length);
            while (!timeUp && batches.next())
            {
                cursor.wrap(staging.buffer(), batches.position());
                meetRecords();
                rebuildNext = batches.nextOffset();
                bytes += batches.length();
                // Per batch: a new leader runs this code a few times only, interpreted, and a slow read or a
                // busy machine makes one read's worth take milliseconds. The next slice reads from here again.
                timeUp = clock.nanoTime() - startNs >= sliceNs;
            }
        }
        while (!timeUp && rebuildNext < rebuildEnd && bytes < sliceBytes);
        final long endNs = clock.nanoTime();
        rebuildSlices++;
        rebuildBytesRead += bytes;
        largestSliceBytes = Math.max(largestSliceBytes, bytes);
        rebuildBusyNs += endNs - startNs;
        longestSliceNs = Math.max(longestSliceNs, endNs - startNs);
    }

    /** How the last rebuild went, for the log: elapsed and busy time, slices, the longest one. */
    public String describeRebuild()
    {
        if (keptFromFollowing)
        {
            return "de-duplication window kept while following, covering offsets " + rebuildFrom + " to " + rebuildEnd +
                ": nothing to rebuild";
        }
        return "de-duplication window rebuilt from offset " + rebuildFrom + " to " + rebuildEnd +
            (continuedCatchUp ? ", going on with the catch-up begun while following," : "") + describeProgress();
    }

    /** How the follower's last catch-up went, for the log. */
    public String describeCatchUp()
    {
        return "de-duplication window caught up with the log from offset " + rebuildFrom + " (the store's applied " +
            "offset, or " + (catchUpBytes >> 20) + " MiB below the log end) to " + rebuildEnd + describeProgress();
    }

    private String describeProgress()
    {
        return " (" + (rebuildBytesRead >> 10) + " KiB) in " + rebuildSlices + " slices of at most " +
            TimeUnit.NANOSECONDS.toMicros(longestSliceNs) + " µs (" +
            TimeUnit.NANOSECONDS.toMillis(rebuildBusyNs) + " ms of work over " +
            TimeUnit.NANOSECONDS.toMillis(clock.nanoTime() - rebuildStartNs) + " ms)";
    }

    private void resetProgress()
    {
        rebuildStartNs = clock.nanoTime();
        rebuildBusyNs = 0;
        rebuildSlices = 0;
        longestSliceNs = 0;
        rebuildBytesRead = 0;
        largestSliceBytes = 0;
    }

    /** Whether the last {@link #startRebuild} kept the window met while following instead of rebuilding. */
    public boolean keptFromFollowing()
    {
        return keptFromFollowing;
    }

    /** Where the last rebuild began reading (for tests). */
    long rebuildFrom()
    {
        return rebuildFrom;
    }

    /** Log bytes the last rebuild read, and the most one of its slices read (for tests). */
    long rebuildBytesRead()
    {
        return rebuildBytesRead;
    }

    int largestSliceBytes()
    {
        return largestSliceBytes;
    }

    /** Slices the last rebuild took (for tests). */
    int rebuildSlices()
    {
        return rebuildSlices;
    }

    private void restartRebuildFrom(final long from)
    {
        window.reset(from);
        rebuildFrom = from;
        rebuildNext = from;
    }
}
