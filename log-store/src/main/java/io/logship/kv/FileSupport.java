package io.logship.kv;

import io.logship.LogshipException;
import io.logship.log.DurableFiles;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** fsync and atomic-replace helpers shared by the store and its snapshots. Stateless, thread-safe. */
final class FileSupport
{
    private FileSupport()
    {
    }

    /**
     * Makes a directory's entries (creations, renames, deletions) durable. Without it a rename can be
     * lost in a power cut even though the renamed file's bytes were fsync'd.
     */
    static void fsyncDirectory(final Path directory)
    {
        try
        {
            DurableFiles.fsyncDirectory(directory);
        }
        catch (final IOException ex)
        {
            throw new LogshipException("cannot fsync directory " + directory + ": " + ex, LogshipException.Category.FATAL, ex);
        }
    }

    /** Renames {@code from} over {@code to} atomically when the file system can, then fsyncs the directory of {@code to}. */
    static void renameDurably(final Path from, final Path to) throws IOException
    {
        try
        {
            DurableFiles.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        catch (final AtomicMoveNotSupportedException ex)
        {
            DurableFiles.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
        fsyncDirectory(to.getParent());
    }

    /** Writes a small text file with temp + fsync + rename + directory fsync, so readers see all of it or none. */
    static void writeTextDurably(final Path file, final String text) throws IOException
    {
        final Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING))
        {
            final ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining())
            {
                channel.write(bytes);
            }
            DurableFiles.force(channel, temp, bytes.capacity(), true);
        }
        renameDurably(temp, file);
    }

    /** Deletes a file if present and fsyncs its directory, so the deletion survives a crash. */
    static boolean deleteDurably(final Path file) throws IOException
    {
        final boolean deleted = DurableFiles.deleteIfExists(file);
        if (deleted)
        {
            fsyncDirectory(file.getParent());
        }
        return deleted;
    }
}
