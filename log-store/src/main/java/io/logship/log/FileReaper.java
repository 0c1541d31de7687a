package io.logship.log;

import io.logship.LogshipException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.function.BooleanSupplier;

/**
 * Deletes large files a little at a time (docs/DESIGN.md#deleting-in-steps): a file leaves under its own name at
 * once ({@link #retire}: a rename to {@code <name>}{@value #SUFFIX}), and its blocks are freed later by
 * {@link #step()}, one truncation of at most the step size per call, then an unlink of what is left.
 *
 * <p>Why not one unlink: on ext4 (here mounted with {@code discard}) an unlink frees every extent in one call and
 * one journal commit, which the next fsync of the log on the same disk waits for. Beside a file fsynced once a
 * millisecond, unlinking a 128 MiB segment took 37 ms and held that file's fsync up to 27 ms; a 300 MB snapshot
 * 98 ms and 46 ms. In 4 MiB steps the longest call was 2.8 ms and the longest fsync 2.8 ms (128 MiB; 2.6 and 4.8 ms
 * for 300 MB; medians of 3 rounds, worst round 6.8 ms), for a deletion 22-43 % longer end to end (perf/README.md
 * "Deleting in steps",
 * {@code io.logship.log.DeleteInStepsInterference}). Log retention also unlinked while holding the log's flush lock,
 * so an fsync-per-write leader waited the whole unlink. Kafka renames a segment to {@code .deleted} and deletes it
 * later because its readers may still hold it; truncating a step at a time bounds each commit's share as well.
 *
 * <p>Order, for a power cut: a retired file is truncated only after its rename is durable
 * ({@link #fsyncDirectory} marks it so), else a cut could leave a shortened file under its old name, which the log
 * loader would see as a damaged segment. A file still open for reading elsewhere ({@code inUse}) is unlinked whole
 * instead of truncated, since its reader keeps the unlinked inode but would see a truncated one shrink. Leftovers of
 * a crash mid-way are deleted when the directory is next opened ({@link #removeLeftovers}).
 *
 * <p>Thread-safe: any thread retires; one thread at a time steps (the node's apply thread).
 */
public final class FileReaper
{
    /** The suffix a retired file is renamed to; a directory's owner deletes such files when it opens. */
    public static final String SUFFIX = ".deleted";
    /**
     * Bytes freed per {@link #step()}: with 4 MiB the neighbour's longest fsync was 2.8 ms (median of 3 rounds), with
     * 8 MiB 5.4 ms and with 16 MiB 10 ms (docs/DESIGN.md#deleting-in-steps): the largest step whose median stays
     * under the 5 ms duty-cycle bound. One round of 4 MiB reached 6.8 ms, beside a call that took 6 ms itself:
     * the disk, not the step size, in that round.
     */
    public static final long DEFAULT_STEP_BYTES = 4L * 1024 * 1024;

    private final long stepBytes;
    private final ArrayDeque<Retired> retired = new ArrayDeque<>();

    private static final class Retired
    {
        final Path file;
        final BooleanSupplier inUse;
        boolean renameDurable;

        Retired(final Path file, final BooleanSupplier inUse)
        {
            this.file = file;
            this.inUse = inUse;
        }
    }

    /** A reaper that frees {@code stepBytes} per {@link #step()}, at least 1 MiB. */
    public FileReaper(final long stepBytes)
    {
        if (stepBytes < 1024 * 1024)
        {
            throw new IllegalArgumentException("reaper step " + stepBytes + " bytes must be at least 1 MiB");
        }
        this.stepBytes = stepBytes;
    }

    /**
     * Renames {@code file} to its retired name and queues it. Its name is gone at once for listings; the rename is
     * durable once the caller has called {@link #fsyncDirectory} on its directory, and no byte is freed before.
     *
     * @param inUse whether another reader may still have the file open; checked at each step.
     * @return the retired name.
     */
    public Path retire(final Path file, final BooleanSupplier inUse) throws IOException
    {
        // A name retired before may still be waiting (a snapshot at the same offset taken again after a rewind): the
        // new one gets a name of its own, so no queued entry ever points at a file whose rename is not durable.
        Path target = file.resolveSibling(file.getFileName() + SUFFIX);
        for (int n = 1; Files.exists(target); n++)
        {
            target = file.resolveSibling(file.getFileName() + "." + n + SUFFIX);
        }
        DurableFiles.move(file, target);
        synchronized (this)
        {
            retired.addLast(new Retired(target, inUse));
        }
        return target;
    }

    /** {@link #retire(Path, BooleanSupplier)} of a file nobody else has open. */
    public Path retire(final Path file) throws IOException
    {
        return retire(file, () -> false);
    }

    /** Fsyncs {@code directory} (making its renames durable), and lets steps free what was retired into it. */
    public void fsyncDirectory(final Path directory) throws IOException
    {
        final Path normalised = directory.toAbsolutePath().normalize();
        final Retired[] before;
        synchronized (this)
        {
            before = retired.toArray(new Retired[0]);
        }
        DurableFiles.fsyncDirectory(directory);
        synchronized (this)
        {
            for (final Retired entry : before)
            {
                if (entry.file.toAbsolutePath().normalize().getParent().equals(normalised))
                {
                    entry.renameDurable = true;
                }
            }
        }
    }

    /**
     * Frees at most the step size of the oldest retired file whose rename is durable: truncates it by that
     * much, or unlinks it once that little is left (or whole, if it is in use).
     *
     * @return whether this call freed anything (a duty cycle's unit of work).
     * @throws LogshipException (WARN) naming the file if it cannot be truncated or deleted; it leaves the queue and
     *                          the next open of its directory deletes it.
     */
    public boolean step()
    {
        final Retired entry;
        synchronized (this)
        {
            entry = retired.peekFirst();
            if (null == entry || !entry.renameDurable)
            {
                return false;
            }
        }
        try
        {
            final long size = Files.exists(entry.file) ? Files.size(entry.file) : 0;
            if (size <= stepBytes || entry.inUse.getAsBoolean())
            {
                DurableFiles.deleteIfExists(entry.file);
                synchronized (this)
                {
                    retired.remove(entry); // by identity: a deleteAll meanwhile may have emptied the queue
                }
            }
            else
            {
                // From the end: the blocks of the tail go, the file keeps its name until the last step.
                try (FileChannel channel = FileChannel.open(entry.file, StandardOpenOption.WRITE))
                {
                    channel.truncate(size - stepBytes);
                }
            }
            return true;
        }
        catch (final IOException ex)
        {
            // Left for the next open's removeLeftovers rather than retried every cycle.
            synchronized (this)
            {
                retired.remove(entry);
            }
            throw new LogshipException("cannot delete retired file " + entry.file + " (left for the next open to " +
                "delete): " + ex, LogshipException.Category.WARN, ex);
        }
    }

    /** Files retired and not yet deleted. */
    public synchronized int pending()
    {
        return retired.size();
    }

    /**
     * Unlinks every retired file at once (closing: nothing on the write path waits any more). Files whose rename is
     * not durable are unlinked too: an unlink never shortens a file under its old name.
     */
    public void deleteAll() throws IOException
    {
        while (true)
        {
            final Retired entry;
            synchronized (this)
            {
                entry = retired.pollFirst();
            }
            if (null == entry)
            {
                return;
            }
            DurableFiles.deleteIfExists(entry.file);
        }
    }

    /**
     * Deletes the retired files a crash left in {@code directory} (whole: nothing else runs while a directory
     * opens).
     *
     * @return how many it deleted.
     */
    public static int removeLeftovers(final Path directory) throws IOException
    {
        int removed = 0;
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory, "*" + SUFFIX))
        {
            for (final Path leftover : stream)
            {
                if (DurableFiles.deleteIfExists(leftover))
                {
                    removed++;
                }
            }
        }
        return removed;
    }
}
