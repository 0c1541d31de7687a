package io.logship.node.follower;

import io.logship.LogshipException;
import io.logship.kv.KeyValueStore;
import io.logship.kv.SnapshotInfo;
import io.logship.kv.SnapshotReceiver;
import io.logship.node.ApplyAgent;
import io.logship.node.read.LogReadBuffer;
import io.logship.transport.codec.SnapshotChunkDecoder;

import static java.lang.System.Logger.Level.ERROR;
import static java.lang.System.Logger.Level.INFO;

/**
 * Receives the leader's snapshot in chunks (when this follower's log ends below the leader's log start),
 * verifies it, and hands it to the apply thread to install. Chunks must arrive in order from byte position
 * 0; anything else is skipped and the leader sends again after the next fetch. Conductor thread only.
 */
public final class SnapshotInstaller implements AutoCloseable
{
    /** What a chunk did to the transfer. */
    public enum Outcome
    {
        /** Skipped or stored; nothing for the follower to do. */
        NONE,
        /** A new transfer started with this chunk. */
        STARTED,
        /** The whole snapshot arrived, verified, and was handed to the apply thread. */
        INSTALLING,
        /** The whole snapshot arrived but failed verification: ask again. */
        FAILED
    }

    private final KeyValueStore store;
    private final ApplyAgent applier;
    private final LogReadBuffer staging;
    private final System.Logger logger;
    private SnapshotReceiver receiver;
    private long receivingSnapshotOffset = -1;
    private long receivedSnapshotBytes;

    public SnapshotInstaller(final KeyValueStore store, final ApplyAgent applier, final LogReadBuffer staging,
        final System.Logger logger)
    {
        this.store = store;
        this.applier = applier;
        this.staging = staging;
        this.logger = logger;
    }

    /** The offset of the snapshot being received or installed; -1 when none. */
    public long snapshotOffset()
    {
        return receivingSnapshotOffset;
    }

    /** Whether the apply thread has installed the snapshot received. */
    public boolean isInstalled()
    {
        return applier.installedOffset() == receivingSnapshotOffset;
    }

    /** Forgets an installed snapshot (the log now starts at its offset). */
    public void onInstalled()
    {
        receivingSnapshotOffset = -1;
    }

    /** Drops a transfer in progress; {@code keepInstalling}: an install handed to the apply thread goes on. */
    public void cancel(final boolean keepInstalling)
    {
        if (null != receiver)
        {
            receiver.close();
            receiver = null;
        }
        if (!keepInstalling)
        {
            receivingSnapshotOffset = -1;
        }
    }

    public Outcome onChunk(final SnapshotChunkDecoder decoder, final int leaderId)
    {
        final long snapshotOffset = decoder.snapshotOffset();
        final long position = decoder.chunkPosition();
        final long total = decoder.totalLength();
        Outcome outcome = Outcome.NONE;
        if (position == 0)
        {
            if (null != receiver)
            {
                receiver.close();
            }
            receiver = store.snapshots().beginReceive();
            receivingSnapshotOffset = snapshotOffset;
            receivedSnapshotBytes = 0;
            outcome = Outcome.STARTED;
            logger.log(INFO, "Receiving snapshot at offset " + snapshotOffset + " (" + total + " bytes) from node " +
                leaderId + ": this node's log ends below the leader's log start");
        }
        if (null == receiver || snapshotOffset != receivingSnapshotOffset || position != receivedSnapshotBytes)
        {
            decoder.skipData();
            return outcome;
        }
        final int length = decoder.dataLength();
        staging.byteBuffer().clear();
        decoder.getData(staging.buffer(), 0, length);
        staging.byteBuffer().limit(length);
        receiver.write(position, staging.byteBuffer());
        receivedSnapshotBytes += length;
        if (receivedSnapshotBytes == total)
        {
            try
            {
                final SnapshotInfo info = receiver.complete();
                receiver = null;
                applier.requestInstall(info.file(), info.appliedOffset());
                return Outcome.INSTALLING;
            }
            catch (final LogshipException ex)
            {
                logger.log(ERROR, "received snapshot failed verification: " + ex.getMessage() + "; asking again");
                receiver = null;
                return Outcome.FAILED;
            }
        }
        return outcome;
    }

    @Override
    public void close()
    {
        if (null != receiver)
        {
            receiver.close();
        }
    }
}
