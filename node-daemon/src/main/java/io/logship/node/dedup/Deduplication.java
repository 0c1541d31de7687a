package io.logship.node.dedup;

import io.logship.kv.KeyValueStore;
import io.logship.format.RecordCursor;
import io.logship.log.SegmentedLog;
import io.logship.node.read.BatchIterator;
import io.logship.node.read.LogReadBuffer;

/**
 * The leader's de-duplication of retried idempotent writes for one log: the {@link DedupWindow} of recent
 * (client, sequence) → offset, the {@link DuplicateCheck} that asks the window, the store and the log, and
 * the rebuild of the window when this node starts leading. Conductor thread only.
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
    private static final int READ_BYTES = 1024 * 1024;

    private final SegmentedLog log;
    private final LogReadBuffer staging;
    private final DedupWindow window = new DedupWindow(DEDUP_WINDOW, DEDUP_PRESENCE_SPAN, DEDUP_MAX_CLIENTS);
    private final DuplicateCheck check;
    private final RecordCursor cursor = new RecordCursor();

    public Deduplication(final SegmentedLog log, final KeyValueStore store, final LogReadBuffer staging)
    {
        this.log = log;
        this.staging = staging;
        this.check = new DuplicateCheck(window, new StoreSequences(store), new LogSearch(log, staging),
            DEDUP_SEARCH_BYTES);
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
     * Learns the idempotent writes of about the last {@link #DEDUP_REBUILD_BYTES} of log, so retries of writes
     * taken by the previous leader are de-duplicated: the window covers the log from there on.
     */
    public void rebuildWindow()
    {
        long offset = LogSearch.offsetBytesBelow(log, log.logEndOffset(), DEDUP_REBUILD_BYTES);
        window.reset(offset);
        while (offset < log.logEndOffset())
        {
            final int length = staging.read(log, offset, READ_BYTES);
            final BatchIterator batches = staging.batches(length);
            while (batches.next())
            {
                cursor.wrap(staging.buffer(), batches.position());
                while (cursor.next())
                {
                    if (cursor.idempotent())
                    {
                        window.onAppended(cursor.clientId(), cursor.sequence(), cursor.offset());
                    }
                }
                offset = batches.nextOffset();
            }
            if (length == 0)
            {
                break;
            }
        }
    }
}
