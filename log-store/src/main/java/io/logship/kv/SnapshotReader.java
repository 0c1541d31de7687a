package io.logship.kv;

import io.logship.LogshipException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Hands out one snapshot file in chunks, for streaming to a follower that fell behind the log start.
 * The sender asks for {@code (position, length)} ranges in any order, so a lost chunk is re-read
 * without restarting. Holds the file open: retention may delete the name meanwhile, but the open
 * file stays readable and unchanged (the store unlinks a snapshot being read whole rather than freeing it in steps). Positional reads only, so one reader is safe from several
 * threads; close it when the transfer ends.
 */
public final class SnapshotReader implements AutoCloseable
{
    private final Path file;
    private final FileChannel channel;
    private final long sizeBytes;
    private final Runnable onClose;
    private final AtomicBoolean closed = new AtomicBoolean();

    private SnapshotReader(final Path file, final FileChannel channel, final long sizeBytes, final Runnable onClose)
    {
        this.file = file;
        this.channel = channel;
        this.sizeBytes = sizeBytes;
        this.onClose = onClose;
    }

    /** Opens {@code file}; {@code onClose} runs once when the reader closes (the store stops counting it as read). */
    static SnapshotReader open(final Path file, final Runnable onClose)
    {
        try
        {
            final FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
            return new SnapshotReader(file, channel, channel.size(), onClose);
        }
        catch (final IOException ex)
        {
            throw new LogshipException("cannot open snapshot " + file + " for streaming: " + ex,
                LogshipException.Category.ERROR, ex);
        }
    }

    public Path file()
    {
        return file;
    }

    /** Total bytes to send. */
    public long sizeBytes()
    {
        return sizeBytes;
    }

    /**
     * Copies bytes from {@code position} into {@code dst} until it is full or the file ends.
     *
     * @return bytes copied, 0 at or beyond the end of the file.
     */
    public int read(final long position, final ByteBuffer dst)
    {
        if (position < 0)
        {
            throw new IllegalArgumentException("snapshot read position " + position + " must be >= 0 (" + file + ")");
        }
        int total = 0;
        try
        {
            long p = position;
            while (dst.hasRemaining() && p < sizeBytes)
            {
                final int read = channel.read(dst, p);
                if (read < 0)
                {
                    break;
                }
                total += read;
                p += read;
            }
            return total;
        }
        catch (final IOException ex)
        {
            throw new LogshipException("cannot read snapshot " + file + " at byte " + position + ": " + ex,
                LogshipException.Category.ERROR, ex);
        }
    }

    /**
     * Sends up to {@code lengthBytes} from {@code position} straight to {@code target} (zero-copy
     * where the OS supports it).
     *
     * @return bytes transferred.
     */
    public long transferTo(final long position, final long lengthBytes, final WritableByteChannel target)
    {
        try
        {
            return channel.transferTo(position, Math.min(lengthBytes, Math.max(0, sizeBytes - position)), target);
        }
        catch (final IOException ex)
        {
            throw new LogshipException("cannot transfer snapshot " + file + " from byte " + position + ": " + ex,
                LogshipException.Category.ERROR, ex);
        }
    }

    @Override
    public void close()
    {
        if (!closed.compareAndSet(false, true))
        {
            return;
        }
        try
        {
            channel.close();
        }
        catch (final IOException ex)
        {
            throw new LogshipException("cannot close snapshot " + file + ": " + ex, LogshipException.Category.WARN, ex);
        }
        finally
        {
            onClose.run(); // after the close: from here on the file may be truncated by retention
        }
    }
}
