package io.logship.kv;

import io.logship.LogshipException;
import io.logship.log.DurableFiles;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Receives a snapshot from another node: chunks are written at their positions into a temp file in
 * {@code snapshots/} (so a re-sent chunk simply overwrites), then {@link #complete()} fsyncs,
 * verifies the whole file and renames it to its final name. Nothing is visible to rebuilds until
 * then, and a half-received file is deleted on {@link #close()} or on the next start. Owned by the
 * thread driving the transfer; not thread-safe.
 */
public final class SnapshotReceiver implements AutoCloseable
{
    private static final AtomicLong TEMP_COUNTER = new AtomicLong();

    private final SnapshotStore store;
    private final Path temp;
    private final FileChannel channel;
    private boolean completed;

    SnapshotReceiver(final SnapshotStore store)
    {
        this.store = store;
        this.temp = store.directory().resolve("receive-" + ProcessHandle.current().pid() + "-" +
            TEMP_COUNTER.incrementAndGet() + SnapshotDescriptor.TEMP_SUFFIX);
        try
        {
            this.channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        }
        catch (final IOException ex)
        {
            throw new LogshipException("cannot create " + temp + " to receive a snapshot: " + ex,
                LogshipException.Category.ERROR, ex);
        }
    }

    /** Writes one chunk at {@code position}; consumes {@code src}. */
    public void write(final long position, final ByteBuffer src)
    {
        try
        {
            long p = position;
            while (src.hasRemaining())
            {
                p += channel.write(src, p);
            }
        }
        catch (final IOException ex)
        {
            throw new LogshipException("cannot write received snapshot chunk at byte " + position + " to " + temp +
                ": " + ex, LogshipException.Category.ERROR, ex);
        }
    }

    /**
     * Finishes the transfer: fsync, verify, rename to {@code <applied offset>.snap}, directory fsync.
     *
     * @return the installed file, ready for {@link KeyValueStore#installSnapshot(Path)}.
     * @throws CorruptSnapshotException if the received bytes do not verify; the temp file is deleted.
     */
    public SnapshotInfo complete()
    {
        try
        {
            DurableFiles.force(channel, temp, channel.size(), true);
            channel.close();
            final SnapshotInfo received = SnapshotParser.verify(temp);
            final Path target = store.directory().resolve(SnapshotDescriptor.fileName(received.appliedOffset()));
            FileSupport.renameDurably(temp, target);
            completed = true;
            final SnapshotInfo installed = new SnapshotInfo(target, received.appliedOffset(), received.entryCount(),
                received.dedupCount(), received.sizeBytes());
            store.published(installed);
            return installed;
        }
        catch (final IOException ex)
        {
            throw new LogshipException("cannot finish received snapshot " + temp + ": " + ex,
                LogshipException.Category.ERROR, ex);
        }
        finally
        {
            if (!completed)
            {
                close();
            }
        }
    }

    /** Abandons an incomplete transfer, deleting the temp file. */
    @Override
    public void close()
    {
        try
        {
            if (channel.isOpen())
            {
                channel.close();
            }
            if (!completed)
            {
                DurableFiles.deleteIfExists(temp);
            }
        }
        catch (final IOException ex)
        {
            throw new LogshipException("cannot delete incomplete snapshot " + temp + ": " + ex,
                LogshipException.Category.WARN, ex);
        }
    }
}
