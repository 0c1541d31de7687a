package io.logship.node;

import org.agrona.collections.Long2ObjectHashMap;

/**
 * The leader's memory of recent idempotent writes: per client, the sequences it assigned (in flight
 * or appended) and the offset each got, so a retry is answered with the original offset instead of
 * being written twice. The replicated, durable half of de-duplication is the store's table (last
 * sequence per client, rebuilt from the log); this window covers what the store has not applied yet
 * and the recent past, bounded per client and in number of clients (least recently used evicted).
 * Owned by the conductor thread.
 */
final class DedupWindow
{
    /** Result of {@link #lookup}: not a duplicate. */
    static final long NEW = -1;
    /** Result of {@link #lookup}: a duplicate whose original has not been appended yet. */
    static final long IN_FLIGHT = -2;
    /** Result of {@link #lookup}: a duplicate older than the window; its offset is no longer known here. */
    static final long TOO_OLD = -3;

    private static final long UNASSIGNED = Long.MIN_VALUE;

    private final int mask;
    private final int maxClients;
    private final Long2ObjectHashMap<ClientWindow> clients = new Long2ObjectHashMap<>();
    private long useCounter;

    /** Slot of a sequence is {@code sequence & mask}: per-client sequences are consecutive, so the last N never collide. */
    private static final class ClientWindow
    {
        final long[] sequences;
        final long[] offsets;
        long highestSequence = -1;
        long lastUse;

        ClientWindow(final int size)
        {
            sequences = new long[size];
            offsets = new long[size];
            java.util.Arrays.fill(sequences, -1);
        }
    }

    /** @param windowSize sequences remembered per client, rounded up to a power of two. */
    DedupWindow(final int windowSize, final int maxClients)
    {
        this.mask = Integer.highestOneBit(Math.max(2, windowSize - 1) << 1) - 1;
        this.maxClients = maxClients;
    }

    /**
     * The original offset of {@code sequence} if this client already sent it ({@code ≥ 0}), or
     * {@link #NEW}, {@link #IN_FLIGHT} or {@link #TOO_OLD}.
     */
    long lookup(final long clientId, final long sequence)
    {
        final ClientWindow window = clients.get(clientId);
        if (null == window || sequence > window.highestSequence)
        {
            return NEW;
        }
        window.lastUse = ++useCounter;
        final int slot = (int)(sequence & mask);
        if (window.sequences[slot] != sequence)
        {
            // Within the window but never seen: a write that arrived after a later one (a client retrying
            // after failover cannot always keep its order). Older than the window: unknown, refuse.
            return sequence > window.highestSequence - (mask + 1) ? NEW : TOO_OLD;
        }
        final long offset = window.offsets[slot];
        if (offset == UNASSIGNED)
        {
            return IN_FLIGHT;
        }
        return offset >= 0 ? offset : NEW; // a failed append may be retried as new
    }

    /** Records a sequence handed to the journal; its offset follows with {@link #onResult}. */
    void onPublished(final long clientId, final long sequence)
    {
        ClientWindow window = clients.get(clientId);
        if (null == window)
        {
            if (clients.size() >= maxClients)
            {
                evictLeastRecentlyUsed();
            }
            window = new ClientWindow(mask + 1);
            clients.put(clientId, window);
        }
        window.lastUse = ++useCounter;
        final int slot = (int)(sequence & mask);
        window.sequences[slot] = sequence;
        window.offsets[slot] = UNASSIGNED;
        window.highestSequence = Math.max(window.highestSequence, sequence);
    }

    /** The journal's verdict: {@code offset ≥ 0} appended there, {@code -1} failed (may be retried). */
    void onResult(final long clientId, final long sequence, final long offset)
    {
        final ClientWindow window = clients.get(clientId);
        if (null != window)
        {
            final int slot = (int)(sequence & mask);
            if (window.sequences[slot] == sequence)
            {
                window.offsets[slot] = offset;
            }
        }
    }

    /** Records an appended idempotent record found in the log (rebuilding the window on taking leadership). */
    void onAppended(final long clientId, final long sequence, final long offset)
    {
        onPublished(clientId, sequence);
        onResult(clientId, sequence, offset);
    }

    /** Whether this client has written through this node since it took over. */
    boolean knows(final long clientId)
    {
        return clients.containsKey(clientId);
    }

    void clear()
    {
        clients.clear();
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
    }
}
