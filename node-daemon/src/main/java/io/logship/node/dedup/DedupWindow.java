package io.logship.node.dedup;

import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.collections.LongHashSet;

import java.util.Arrays;

/**
 * The leader's memory of idempotent writes, per client: what it handed to the journal or found in the log
 * since its coverage began, so a retry is answered with the original offset instead of being written twice.
 * Owned by the conductor thread; {@link DuplicateCheck} makes the decision from it, the store and the log.
 *
 * <p>Per client it keeps three things, each bounded:
 * <ul>
 * <li>a ring of the last {@code ringSize} sequences and their offsets (exact answers for recent retries);</li>
 * <li>one bit per sequence over a much longer span ({@code presenceSpan}, 64 times cheaper per sequence):
 * whether it was written. A client's sequences are not bounded by its in-flight limit: one write stuck in a
 * failover (attempt timeouts, a Connect to the dead node) holds one permit while the others complete and
 * new sequences are drawn, so a retry may arrive tens of thousands of sequences behind the newest. A clear
 * bit proves such a write was never stored and must be appended;</li>
 * <li>per group of {@value #GROUP} sequences, the lowest offset any of them was appended at: where a search
 * of the log for a written sequence whose offset left the ring starts (the group was written together, so
 * the search is short).</li>
 * </ul>
 * A slot always keeps the higher of two sequences that map to it: a late write (a straggler appended after
 * newer ones, or met in that order while rebuilding from the log) must not erase a newer one's offset.
 *
 * <p>Coverage: a client's window knows every write of that client appended at or after its
 * {@link #searchFrom() coverage start} (the rebuild start when this node took over, or, for a client created
 * after another was evicted, the point up to which evicted clients' writes were seen). A client the window
 * does not hold has written nothing since {@link #unknownCoversFrom()}. The client may have written before
 * its coverage start, and the window knows nothing of those writes: its bits and ring say nothing below the
 * lowest sequence met since the window began for the client (the first the rebuild found in the log, or the
 * first written after the window was created), so a sequence below that, which the window did not meet
 * itself, is {@link #BELOW_COVERAGE} (search below the coverage start), never {@link #NEW}.
 */
public final class DedupWindow
{
    /** Result of {@link #lookup}: not a duplicate of anything the window covers. */
    public static final long NEW = -1;
    /** Result of {@link #lookup}: a duplicate whose original has not been appended yet. */
    public static final long IN_FLIGHT = -2;
    /** Result of {@link #lookup}: written, but its offset left the ring: search the log from {@link #searchFrom()}. */
    public static final long SEARCH = -3;
    /** Result of {@link #lookup}: older than the client's span; {@link #searchFrom()} is the client's coverage start. */
    public static final long BEYOND = -4;
    /** Result of {@link #lookup}: no write of this client since {@link #searchFrom()}, the unknown clients' coverage. */
    public static final long UNKNOWN_CLIENT = -5;
    /**
     * Result of {@link #lookup}: a sequence below the lowest the window met for the client, not met since: any
     * original is below {@link #searchFrom()}, the client's coverage start, as for an unknown client.
     */
    public static final long BELOW_COVERAGE = -6;

    /** Sequences per group whose lowest appended offset is kept. */
    public static final int GROUP = 256;
    private static final int GROUP_SHIFT = 8;
    private static final int WORDS_PER_GROUP = GROUP / Long.SIZE;
    private static final long UNASSIGNED = Long.MIN_VALUE;
    private static final long NONE = Long.MAX_VALUE;

    private final int ringMask;
    private final int presenceMask;
    private final int groupMask;
    private final int groups;
    private final int maxClients;
    private final Long2ObjectHashMap<ClientWindow> clients = new Long2ObjectHashMap<>();
    private long useCounter;
    private long unknownCoversFrom;
    /** One past the highest offset seen appended: an evicted client has written nothing at or after it. */
    private long frontier;
    private long searchFrom;

    private static final class ClientWindow
    {
        final long[] sequences;
        final long[] offsets;
        final long[] present;
        final long[] groupLowest;
        final long coversFrom;
        /**
         * The lowest sequence met when the window began for the client (through the rebuild, or the first
         * write after its creation). Lower sequences may have been written below {@link #coversFrom}; never
         * lowered by later writes, which would vouch for sequences between them that the window never met.
         */
        long knownFrom;
        /** Writes handed to the journal below the presence span (rare): in flight until their result. */
        LongHashSet beyondInFlight;
        long highestSequence;
        long lastUse;

        ClientWindow(final int ringSize, final int presenceSpan, final long coversFrom, final long knownFrom)
        {
            this.knownFrom = knownFrom;
            sequences = new long[ringSize];
            offsets = new long[ringSize];
            present = new long[presenceSpan / Long.SIZE];
            groupLowest = new long[presenceSpan / GROUP];
            Arrays.fill(sequences, -1);
            Arrays.fill(groupLowest, NONE);
            this.coversFrom = coversFrom;
        }
    }

    /**
     * @param ringSize     sequences whose offsets are remembered per client, rounded up to a power of two.
     * @param presenceSpan sequences remembered as written or not per client, rounded up to a power of two and
     *                     to at least twice the ring and two groups.
     * @param maxClients   clients held at once; the least recently used is evicted beyond it.
     */
    public DedupWindow(final int ringSize, final int presenceSpan, final int maxClients)
    {
        final int ring = powerOfTwoAtLeast(ringSize);
        final int presence = powerOfTwoAtLeast(Math.max(presenceSpan, Math.max(2 * ring, 2 * GROUP)));
        this.ringMask = ring - 1;
        this.presenceMask = presence - 1;
        this.groups = presence / GROUP;
        this.groupMask = groups - 1;
        this.maxClients = maxClients;
    }

    /**
     * The original offset of {@code sequence} if this client's write of it is appended ({@code ≥ 0}), or
     * {@link #NEW}, {@link #IN_FLIGHT}, {@link #SEARCH}, {@link #BEYOND}, {@link #UNKNOWN_CLIENT} or
     * {@link #BELOW_COVERAGE}; the last four set {@link #searchFrom()}.
     */
    public long lookup(final long clientId, final long sequence)
    {
        final ClientWindow window = clients.get(clientId);
        if (null == window)
        {
            searchFrom = unknownCoversFrom;
            return UNKNOWN_CLIENT;
        }
        window.lastUse = ++useCounter;
        if (sequence > window.highestSequence)
        {
            return NEW;
        }
        if (sequence > window.highestSequence - (ringMask + 1))
        {
            // In the ring's span the slot holds the highest sequence ever met for it, which is this one if
            // it was written: a higher one would be above the highest.
            final int slot = (int)(sequence & ringMask);
            if (window.sequences[slot] == sequence)
            {
                final long offset = window.offsets[slot];
                if (offset == UNASSIGNED)
                {
                    return IN_FLIGHT;
                }
                if (offset >= 0)
                {
                    return offset;
                }
            }
            if (sequence >= window.knownFrom)
            {
                return NEW; // not met, or its append failed (it may be retried as new)
            }
        }
        else if (inPresenceSpan(window, sequence))
        {
            if (!isPresent(window, sequence))
            {
                return sequence >= window.knownFrom ? NEW : belowCoverage(window);
            }
            final long lowest = window.groupLowest[groupSlot(sequence)];
            if (lowest == NONE)
            {
                return IN_FLIGHT; // handed to the journal, and nothing of its group appended yet
            }
            searchFrom = lowest;
            return SEARCH;
        }
        if (null != window.beyondInFlight && window.beyondInFlight.contains(sequence))
        {
            return IN_FLIGHT;
        }
        if (sequence < window.knownFrom)
        {
            return belowCoverage(window);
        }
        searchFrom = window.coversFrom;
        return BEYOND;
    }

    private long belowCoverage(final ClientWindow window)
    {
        searchFrom = window.coversFrom;
        return BELOW_COVERAGE;
    }

    /**
     * Where the search the last {@link #lookup} asked for starts; for BEYOND, UNKNOWN_CLIENT and BELOW_COVERAGE
     * the coverage start (the search is above it for BEYOND, below it for the other two).
     */
    public long searchFrom()
    {
        return searchFrom;
    }

    /** The highest sequence the window met for the client, or -1 if it does not hold the client. */
    public long highestSequence(final long clientId)
    {
        final ClientWindow window = clients.get(clientId);
        return null == window ? -1 : window.highestSequence;
    }

    /** A client this window does not hold has written nothing at or after this offset. */
    public long unknownCoversFrom()
    {
        return unknownCoversFrom;
    }

    /** Records a sequence handed to the journal; its offset follows with {@link #onResult}. */
    public void onPublished(final long clientId, final long sequence)
    {
        onPublished(clientId, sequence, 1);
    }

    /**
     * Records {@code count} consecutive sequences from {@code firstSequence} handed to the journal together (a
     * client batch): as many single calls would, with one lookup of the client for all of them.
     */
    public void onPublished(final long clientId, final long firstSequence, final int count)
    {
        final ClientWindow window = windowFor(clientId, firstSequence);
        for (int i = 0; i < count; i++)
        {
            published(window, firstSequence + i);
        }
    }

    private void published(final ClientWindow window, final long sequence)
    {
        advance(window, sequence);
        if (sequence > window.highestSequence - (ringMask + 1))
        {
            final int slot = (int)(sequence & ringMask);
            if (window.sequences[slot] <= sequence)
            {
                window.sequences[slot] = sequence;
                window.offsets[slot] = UNASSIGNED;
            }
        }
        if (inPresenceSpan(window, sequence))
        {
            setPresent(window, sequence);
        }
        else
        {
            if (null == window.beyondInFlight)
            {
                window.beyondInFlight = new LongHashSet();
            }
            window.beyondInFlight.add(sequence);
        }
    }

    /** The journal's verdict: {@code offset ≥ 0} appended there, {@code -1} failed (may be retried). */
    public void onResult(final long clientId, final long sequence, final long offset)
    {
        onResult(clientId, sequence, 1, offset);
    }

    /**
     * The journal's verdict on {@code count} consecutive sequences from {@code firstSequence} stored or failed
     * together (a client batch in one slot): appended at consecutive offsets from {@code firstOffset ≥ 0}, or all
     * failed ({@code -1}). As many single calls would, with one lookup of the client for all of them.
     */
    public void onResult(final long clientId, final long firstSequence, final int count, final long firstOffset)
    {
        final ClientWindow window = clients.get(clientId);
        final boolean appended = firstOffset >= 0;
        if (appended)
        {
            frontier = Math.max(frontier, firstOffset + count);
        }
        if (null == window)
        {
            // Evicted while these writes were in the journal: unknown clients are vouched for only above them.
            if (appended)
            {
                unknownCoversFrom = Math.max(unknownCoversFrom, firstOffset + count);
            }
            return;
        }
        for (int i = 0; i < count; i++)
        {
            result(window, firstSequence + i, appended ? firstOffset + i : -1);
        }
    }

    private void result(final ClientWindow window, final long sequence, final long offset)
    {
        if (null != window.beyondInFlight)
        {
            window.beyondInFlight.remove(sequence);
        }
        if (offset >= 0)
        {
            remember(window, sequence, offset);
            return;
        }
        final int slot = (int)(sequence & ringMask);
        if (window.sequences[slot] == sequence)
        {
            window.offsets[slot] = offset;
        }
        if (sequence <= window.highestSequence && inPresenceSpan(window, sequence))
        {
            clearPresent(window, sequence);
        }
    }

    /**
     * Records an appended idempotent record found in the log (rebuilding the window on taking leadership,
     * after {@link #reset}): the rebuild meets every record of the client from its coverage start, so the
     * lowest sequence it meets is where the window begins to know the client.
     */
    public void onAppended(final long clientId, final long sequence, final long offset)
    {
        onAppended(clientId, sequence, 1, offset);
    }

    /**
     * {@code count} records of the client met in the log one after another, with consecutive sequences from
     * {@code firstSequence} at consecutive offsets from {@code firstOffset} (a client batch): as many single calls
     * would, with one lookup of the client for all of them.
     */
    public void onAppended(final long clientId, final long firstSequence, final int count, final long firstOffset)
    {
        // The first record's end first: a client evicted to make room has written nothing from there on, while the
        // rest of the run comes after the eviction (as one call per record would have it).
        frontier = Math.max(frontier, firstOffset + 1);
        final ClientWindow window = windowFor(clientId, firstSequence);
        frontier = Math.max(frontier, firstOffset + count);
        window.knownFrom = Math.min(window.knownFrom, firstSequence);
        for (int i = 0; i < count; i++)
        {
            remember(window, firstSequence + i, firstOffset + i);
        }
    }

    /** Whether this window holds the client (it has written since the window's coverage began). */
    public boolean knows(final long clientId)
    {
        return clients.containsKey(clientId);
    }

    /** Forgets every client: the window covers the log from {@code coverageStart} on, learned with {@link #onAppended}. */
    public void reset(final long coverageStart)
    {
        clients.clear();
        unknownCoversFrom = coverageStart;
        frontier = coverageStart;
    }

    private void remember(final ClientWindow window, final long sequence, final long offset)
    {
        window.lastUse = ++useCounter;
        advance(window, sequence);
        if (sequence > window.highestSequence - (ringMask + 1))
        {
            final int slot = (int)(sequence & ringMask);
            if (window.sequences[slot] <= sequence)
            {
                window.sequences[slot] = sequence;
                window.offsets[slot] = offset;
            }
        }
        if (inPresenceSpan(window, sequence))
        {
            setPresent(window, sequence);
            final int group = groupSlot(sequence);
            window.groupLowest[group] = Math.min(window.groupLowest[group], offset);
        }
        // Below the presence span nothing is kept: a retry of it searches the log from the coverage start.
    }

    private ClientWindow windowFor(final long clientId, final long firstSequence)
    {
        ClientWindow window = clients.get(clientId);
        if (null == window)
        {
            if (clients.size() >= maxClients)
            {
                evictLeastRecentlyUsed();
            }
            // Covering the log from offset 0, the window met every write of the client: it vouches for all.
            final long knownFrom = unknownCoversFrom == 0 ? Long.MIN_VALUE : firstSequence;
            window = new ClientWindow(ringMask + 1, presenceMask + 1, unknownCoversFrom, knownFrom);
            clients.put(clientId, window);
        }
        window.lastUse = ++useCounter;
        return window;
    }

    /** Raises the client's highest sequence, clearing the groups the presence span moves onto. */
    private void advance(final ClientWindow window, final long sequence)
    {
        if (sequence <= window.highestSequence)
        {
            return;
        }
        final long toGroup = sequence >> GROUP_SHIFT;
        final long fromGroup = Math.max((window.highestSequence >> GROUP_SHIFT) + 1, toGroup - groups + 1);
        for (long group = fromGroup; group <= toGroup; group++)
        {
            final int slot = (int)(group & groupMask);
            window.groupLowest[slot] = NONE;
            Arrays.fill(window.present, slot * WORDS_PER_GROUP, (slot + 1) * WORDS_PER_GROUP, 0L);
        }
        window.highestSequence = sequence;
    }

    /** Whole groups only, so a group's lowest offset is never shared with a group of the next round. */
    private boolean inPresenceSpan(final ClientWindow window, final long sequence)
    {
        return (sequence >> GROUP_SHIFT) > (window.highestSequence >> GROUP_SHIFT) - groups;
    }

    private int groupSlot(final long sequence)
    {
        return (int)((sequence >> GROUP_SHIFT) & groupMask);
    }

    private boolean isPresent(final ClientWindow window, final long sequence)
    {
        final int bit = (int)(sequence & presenceMask);
        return (window.present[bit >>> 6] & (1L << bit)) != 0;
    }

    private void setPresent(final ClientWindow window, final long sequence)
    {
        final int bit = (int)(sequence & presenceMask);
        window.present[bit >>> 6] |= 1L << bit;
    }

    private void clearPresent(final ClientWindow window, final long sequence)
    {
        final int bit = (int)(sequence & presenceMask);
        window.present[bit >>> 6] &= ~(1L << bit);
    }

    private void evictLeastRecentlyUsed()
    {
        long oldestKey = 0;
        long oldestUse = Long.MAX_VALUE;
        final Long2ObjectHashMap<ClientWindow>.KeyIterator keys = clients.keySet().iterator();
        while (keys.hasNext())
        {
            final long key = keys.nextLong();
            final ClientWindow window = clients.get(key);
            if (window.lastUse < oldestUse)
            {
                oldestUse = window.lastUse;
                oldestKey = key;
            }
        }
        clients.remove(oldestKey);
        // Everything the evicted client wrote so far is below the frontier (what is still in the journal
        // raises it in onResult), so a client the window does not hold has written nothing from here on.
        unknownCoversFrom = Math.max(unknownCoversFrom, frontier);
    }

    private static int powerOfTwoAtLeast(final int value)
    {
        return value <= 2 ? 2 : Integer.highestOneBit(value - 1) << 1;
    }
}
