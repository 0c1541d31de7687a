package io.logship.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.CopyOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The one way log-store forces a file, syncs a directory, renames or deletes a file, so that a
 * {@link PowerCutJournal}, when a test installed one, sees every step that makes data durable.
 * Without a journal (production) each method is the plain JDK call plus one read of a static field:
 * no extra system call on any path.
 *
 * <p>Stateless and thread-safe; the journal serialises its own records.
 */
public final class DurableFiles
{
    private DurableFiles()
    {
    }

    /**
     * {@link FileChannel#force} of {@code file}. {@code writtenLength} must be a length whose bytes were all written
     * before this call began (read it before, not after: another thread may append during the force), so the journal
     * never believes more is durable than is.
     */
    public static void force(final FileChannel channel, final Path file, final long writtenLength, final boolean metadata)
        throws IOException
    {
        channel.force(metadata);
        final PowerCutJournal journal = PowerCutJournal.installed();
        if (null != journal)
        {
            journal.onForced(file, writtenLength);
        }
    }

    /**
     * Writes {@code content} over the first bytes of {@code file} in place and forces only its data (fdatasync): the
     * file keeps its length and its blocks, so the force writes no metadata and commits no file-system journal. Only
     * for a file whose name and length are durable already and that {@code content} does not extend.
     */
    public static void overwrite(final FileChannel channel, final Path file, final ByteBuffer content)
        throws IOException
    {
        final int length = content.remaining();
        long position = 0;
        while (content.hasRemaining())
        {
            position += channel.write(content, position);
        }
        channel.force(false);
        final PowerCutJournal journal = PowerCutJournal.installed();
        if (null != journal)
        {
            journal.onOverwritten(file, length);
        }
    }

    /** Makes creations, renames and deletions in {@code directory} durable (fsync of the directory). */
    public static void fsyncDirectory(final Path directory) throws IOException
    {
        final PowerCutJournal journal = PowerCutJournal.installed();
        final long startSequence = null == journal ? 0 : journal.sequence();
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ))
        {
            channel.force(true);
        }
        if (null != journal)
        {
            journal.onDirectorySynced(directory, startSequence);
        }
    }

    /** A file just created ({@code CREATE_NEW}): its name is not durable until its directory is synced. */
    public static void onCreated(final Path file)
    {
        final PowerCutJournal journal = PowerCutJournal.installed();
        if (null != journal)
        {
            journal.onCreated(file);
        }
    }

    /** {@link Files#move}: not durable until the directory of {@code to} is synced. */
    public static void move(final Path from, final Path to, final CopyOption... options) throws IOException
    {
        final PowerCutJournal journal = PowerCutJournal.installed();
        if (null == journal)
        {
            Files.move(from, to, options);
        }
        else
        {
            journal.move(from, to, options);
        }
    }

    /** {@link Files#deleteIfExists}: not durable until the file's directory is synced. */
    public static boolean deleteIfExists(final Path file) throws IOException
    {
        final PowerCutJournal journal = PowerCutJournal.installed();
        return null == journal ? Files.deleteIfExists(file) : journal.deleteIfExists(file);
    }
}
