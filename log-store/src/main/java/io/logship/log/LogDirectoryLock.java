package io.logship.log;

import io.logship.LogshipException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static java.lang.System.Logger.Level.WARNING;

/**
 * The {@code .lock} file of a log directory, held while the log is open so that two processes, or
 * two opens in one process, never share a log. Owned by the {@link SegmentedLog} that acquired it:
 * acquired on open, released on close; not thread-safe.
 */
final class LogDirectoryLock
{
    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private LogDirectoryLock(final Path file, final FileChannel channel, final FileLock lock)
    {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Locks {@code directory}'s lock file, creating it if missing.
     *
     * @throws LogshipException (FATAL) if this process or another already holds it.
     */
    static LogDirectoryLock acquire(final Path directory) throws IOException
    {
        final Path file = directory.resolve(SegmentedLog.LOCK_FILE);
        final FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        final FileLock acquired;
        try
        {
            acquired = channel.tryLock();
        }
        catch (final OverlappingFileLockException ex)
        {
            channel.close();
            throw new LogshipException("log directory " + directory + " is already open in this process",
                LogshipException.Category.FATAL, ex);
        }
        catch (final IOException | RuntimeException ex)
        {
            channel.close();
            throw ex;
        }
        if (null == acquired)
        {
            channel.close();
            throw new LogshipException("log directory " + directory + " is in use by another process (" +
                file + " is locked)", LogshipException.Category.FATAL);
        }
        return new LogDirectoryLock(file, channel, acquired);
    }

    /** Releases the lock and closes its file; a failure is logged, since the log is closing anyway. */
    void release(final System.Logger logger)
    {
        try
        {
            lock.release();
            channel.close();
        }
        catch (final IOException ex)
        {
            logger.log(WARNING, "Releasing " + file + " failed: " + ex);
        }
    }
}
