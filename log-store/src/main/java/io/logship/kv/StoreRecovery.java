package io.logship.kv;

import io.logship.LogshipException;
import io.logship.format.BatchDescriptor;
import io.logship.log.SegmentedLog;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

/**
 * Brings a store up to the commit offset by replaying the log: the step after
 * {@link KeyValueStore#open} (which may have rebuilt the store from an older snapshot) and after
 * {@link KeyValueStore#installSnapshot}. Runs on the apply thread. Holds no state between calls.
 */
public final class StoreRecovery
{
    /** Bytes asked of the log per read: a few hundred typical batches, without holding the log for long. */
    static final int READ_CHUNK_BYTES = 1024 * 1024;

    private StoreRecovery()
    {
    }

    /**
     * Applies every batch that lies wholly below {@code upToOffsetExclusive} (the commit offset) and
     * at or above the store's applied offset. A batch straddling the commit offset is left for later:
     * part of it is not committed. The log end bounds the replay too, since a follower may learn a
     * commit offset beyond what it has received.
     *
     * @return the store's applied offset afterwards.
     * @throws LogshipException ERROR if the store is below the log start: the records it needs were
     *                          deleted, so it must first install a snapshot from a peer.
     */
    public static long replay(final KeyValueStore store, final SegmentedLog log, final long upToOffsetExclusive)
    {
        final long endOffset = Math.min(upToOffsetExclusive, log.logEndOffset());
        long from = store.appliedOffset();
        if (from >= endOffset)
        {
            return from;
        }
        if (from < log.logStartOffset())
        {
            throw new LogshipException("store applied offset " + from + " is below the log start offset " +
                log.logStartOffset() + " of " + log.directory() + ": install a snapshot at or above it first",
                LogshipException.Category.ERROR);
        }
        // Room for the largest legal batch, so the read never fails for want of space.
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(BatchDescriptor.MAX_BATCH_LENGTH));
        while (from < endOffset)
        {
            final int bytes = log.read(from, READ_CHUNK_BYTES, buffer, 0);
            if (0 == bytes)
            {
                break;
            }
            int position = 0;
            boolean reachedEnd = false;
            while (position < bytes)
            {
                if (BatchDescriptor.nextOffset(buffer, position) > endOffset)
                {
                    reachedEnd = true;
                    break;
                }
                store.apply(buffer, position);
                position += BatchDescriptor.length(buffer, position);
            }
            final long applied = store.appliedOffset();
            if (reachedEnd || applied == from)
            {
                break;
            }
            from = applied;
        }
        return store.appliedOffset();
    }
}
