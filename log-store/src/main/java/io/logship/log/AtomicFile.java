package io.logship.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Replaces a small file so that after a crash it holds either the old or the new content, never a
 * mix: write a temp file beside it, fsync it, rename it over the target, fsync the directory (the
 * rename itself is only durable once the directory entry is). Used for the epoch checkpoint, the
 * recovery point and a run's first node-state write (later ones overwrite it in place: {@link NodeStateFile}).
 */
public final class AtomicFile
{
    private AtomicFile()
    {
    }

    public static void write(final Path target, final byte[] content) throws IOException
    {
        final Path temp = target.resolveSibling(target.getFileName() + ".tmp");
        try (FileChannel channel = FileChannel.open(temp,
            StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING))
        {
            final ByteBuffer buffer = ByteBuffer.wrap(content);
            while (buffer.hasRemaining())
            {
                channel.write(buffer);
            }
            DurableFiles.force(channel, temp, content.length, true);
        }
        try
        {
            DurableFiles.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        catch (final AtomicMoveNotSupportedException ex)
        {
            DurableFiles.deleteIfExists(temp);
            throw new IOException("file system of " + target + " cannot rename atomically", ex);
        }
        fsyncDirectory(target.toAbsolutePath().getParent());
    }

    /** Makes creations, renames and deletions in {@code directory} durable. */
    public static void fsyncDirectory(final Path directory) throws IOException
    {
        DurableFiles.fsyncDirectory(directory);
    }
}
