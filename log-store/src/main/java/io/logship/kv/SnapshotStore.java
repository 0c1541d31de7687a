package io.logship.kv;

import io.logship.LogshipException;
import io.logship.log.DurableFiles;
import io.logship.log.FileReaper;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Owns the {@code snapshots/} directory: naming, listing, validation, retention, and the two ways a
 * snapshot file comes into being (written by {@link KeyValueStore#takeSnapshot()}, or received from
 * another node through {@link #beginReceive()}). Files are never modified in place: they appear by
 * rename, complete and fsync'd, and disappear by deletion, so a reader that opened one keeps a
 * consistent file even if retention deletes it meanwhile. Methods that write or delete
 * (take, receive, retain) belong to the apply thread; listing, verifying and {@link #openReader}
 * are safe from any thread.
 */
public final class SnapshotStore
{
    public static final int DEFAULT_RETAIN_COUNT = 2;
    /**
     * Written bytes after which a snapshot being written is forced, as PostgreSQL's
     * {@code checkpoint_flush_after} does for a checkpoint (docs/DESIGN.md#snapshot-flush). Why: on ext4
     * (data=ordered) an fsync of the log waits for the journal commit, which also writes every allocated dirty page
     * of other files; a snapshot left dirty until its commit put its whole write-back in front of the log's next
     * fsync, and each force still puts up to this much there. 256 KiB, as PostgreSQL's default on Linux, not the
     * 16 MiB of before: beside a file fsynced once a millisecond, a 300 MB snapshot written at 30 MB/s (the pace of
     * a large store's walk) held that file's fsyncs to p99.9 9.1 ms, max 13.1 ms with a force every 16 MiB; 2.0 and
     * 3.9 ms every 1 MiB; 1.4 and 2.4 ms every 256 KiB, for the same write time (perf/README.md "Snapshot
     * flush-behind", {@code io.logship.kv.SnapshotFlushInterference}).
     */
    public static final long DEFAULT_FLUSH_BEHIND_BYTES = 256 * 1024;
    /** Smallest flush-behind: below it each force is mostly the journal commit's own fixed cost. */
    public static final long MIN_FLUSH_BEHIND_BYTES = 64 * 1024;

    private static final System.Logger LOG = System.getLogger(SnapshotStore.class.getName());

    private final Path directory;
    private final int retainCount;
    private final long flushBehindBytes;
    /** Frees the snapshots retention retired, a step per {@link #deleteRetiredStep()} (docs/DESIGN.md#deleting-in-steps). */
    private final FileReaper reaper;
    /** Snapshots open through {@link #openReader}, by name, with how many readers: those are unlinked whole. */
    private final ConcurrentHashMap<Path, Integer> readers = new ConcurrentHashMap<>();
    /**
     * The newest snapshot known to verify, set by whichever thread verified, wrote or received it. Verifying reads
     * a file whole, so the leader's duty thread picks a snapshot to send from here instead of verifying one
     * itself (docs/DESIGN.md#catch-up); the apply thread fills it on its first cycle (retention check).
     */
    private volatile SnapshotInfo newestVerified;

    /**
     * Creates {@code directory} if needed and deletes leftover temp files of snapshots that were
     * being written or received when the process stopped, and retired snapshots not fully deleted.
     *
     * @param retainCount how many of the newest snapshots {@link #retain()} keeps, at least 1.
     */
    public SnapshotStore(final Path directory, final int retainCount)
    {
        this(directory, retainCount, DEFAULT_FLUSH_BEHIND_BYTES);
    }

    /**
     * As {@link #SnapshotStore(Path, int)}, with the bytes a snapshot being written is forced after
     * (docs/DESIGN.md#snapshot-flush), at least {@value #MIN_FLUSH_BEHIND_BYTES}.
     */
    public SnapshotStore(final Path directory, final int retainCount, final long flushBehindBytes)
    {
        this(directory, retainCount, flushBehindBytes, FileReaper.DEFAULT_STEP_BYTES);
    }

    /** As above, freeing retired snapshots {@code deleteStepBytes} per step (tests use small steps). */
    SnapshotStore(final Path directory, final int retainCount, final long flushBehindBytes, final long deleteStepBytes)
    {
        if (retainCount < 1)
        {
            throw new IllegalArgumentException("snapshot retain count " + retainCount + " must be at least 1");
        }
        if (flushBehindBytes < MIN_FLUSH_BEHIND_BYTES)
        {
            throw new IllegalArgumentException("snapshot flush-behind " + flushBehindBytes + " bytes must be at least " +
                MIN_FLUSH_BEHIND_BYTES);
        }
        this.directory = directory;
        this.retainCount = retainCount;
        this.flushBehindBytes = flushBehindBytes;
        this.reaper = new FileReaper(deleteStepBytes);
        try
        {
            Files.createDirectories(directory);
            try (DirectoryStream<Path> temps = Files.newDirectoryStream(directory, "*" + SnapshotDescriptor.TEMP_SUFFIX))
            {
                for (final Path temp : temps)
                {
                    LOG.log(System.Logger.Level.INFO, "deleting incomplete snapshot {0}", temp);
                    DurableFiles.deleteIfExists(temp);
                }
            }
            final int leftovers = FileReaper.removeLeftovers(directory);
            if (leftovers > 0)
            {
                LOG.log(System.Logger.Level.INFO, "deleted {0} retired snapshot file(s) an earlier run had not finished " +
                    "deleting", leftovers);
            }
        }
        catch (final IOException ex)
        {
            throw new LogshipException("cannot prepare snapshot directory " + directory + ": " + ex,
                LogshipException.Category.FATAL, ex);
        }
    }

    public Path directory()
    {
        return directory;
    }

    public int retainCount()
    {
        return retainCount;
    }

    /** Snapshot files by the offset in their names, newest first; not verified. */
    public List<Path> snapshotFiles()
    {
        final List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory, "*" + SnapshotDescriptor.SUFFIX))
        {
            for (final Path file : stream)
            {
                if (SnapshotDescriptor.parseFileName(file.getFileName().toString()) >= 0)
                {
                    files.add(file);
                }
            }
        }
        catch (final IOException ex)
        {
            throw new LogshipException("cannot list snapshot directory " + directory + ": " + ex,
                LogshipException.Category.FATAL, ex);
        }
        files.sort(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed());
        return files;
    }

    /**
     * The newest snapshot whose header, trailer and CRCs verify, reading each candidate in full.
     * Corrupt ones are logged with the reason and skipped (not deleted, so an operator can look at
     * them; retention removes them in time).
     */
    public Optional<SnapshotInfo> newestValidSnapshot()
    {
        for (final Path file : snapshotFiles())
        {
            try
            {
                final SnapshotInfo info = verify(file);
                newestVerified = info;
                return Optional.of(info);
            }
            catch (final CorruptSnapshotException ex)
            {
                LOG.log(System.Logger.Level.WARNING, "skipping snapshot: {0}", ex.getMessage());
            }
        }
        newestVerified = null;
        return Optional.empty();
    }

    /**
     * The newest snapshot this store has verified, written or received since it opened, without any I/O: safe on
     * a thread that must not block. Empty until the first verification (or when none verifies); a snapshot taken
     * by another process since is not seen.
     */
    public Optional<SnapshotInfo> newestVerifiedSnapshot()
    {
        return Optional.ofNullable(newestVerified);
    }

    /** A snapshot this process has just written or received, complete and verified, under its final name. */
    synchronized void published(final SnapshotInfo info)
    {
        final SnapshotInfo current = newestVerified;
        if (null == current || info.appliedOffset() >= current.appliedOffset())
        {
            newestVerified = info;
        }
    }

    private void fsyncDirectory()
    {
        try
        {
            reaper.fsyncDirectory(directory);
        }
        catch (final IOException ex)
        {
            throw new LogshipException("cannot sync snapshot directory " + directory + ": " + ex,
                LogshipException.Category.FATAL, ex);
        }
    }

    private synchronized void forgetIfDeleted(final Path deleted)
    {
        final SnapshotInfo current = newestVerified;
        if (null != current && current.file().equals(deleted))
        {
            newestVerified = null;
        }
    }

    /**
     * The newest snapshot that verifies and was taken at or below {@code offset}: what a store rewinds to
     * when the log it describes is cut at {@code offset} (a node rejoining after an unclean promotion).
     */
    public Optional<SnapshotInfo> newestValidSnapshotAtOrBelow(final long offset)
    {
        for (final Path file : snapshotFiles())
        {
            if (SnapshotDescriptor.parseFileName(file.getFileName().toString()) > offset)
            {
                continue;
            }
            try
            {
                return Optional.of(verify(file));
            }
            catch (final CorruptSnapshotException ex)
            {
                LOG.log(System.Logger.Level.WARNING, "skipping snapshot: {0}", ex.getMessage());
            }
        }
        return Optional.empty();
    }

    /**
     * Reads {@code file} in full and checks it against {@link SnapshotDescriptor}, including that the
     * offset in its name, if it has a snapshot name, matches its header.
     *
     * @throws CorruptSnapshotException naming the file and the failed check.
     */
    public static SnapshotInfo verify(final Path file)
    {
        final SnapshotInfo info = SnapshotParser.verify(file);
        final long named = SnapshotDescriptor.parseFileName(file.getFileName().toString());
        if (named >= 0 && named != info.appliedOffset())
        {
            throw new CorruptSnapshotException(file, "header applied offset " + info.appliedOffset() +
                ", expected " + named + " from the file name");
        }
        return info;
    }

    /** Opens a snapshot for streaming to another node. */
    public SnapshotReader openReader(final Path file)
    {
        // Counted before the open: once retention has renamed the file the open fails, so a reader it did not see
        // can never hold a file it truncates.
        readers.merge(file, 1, Integer::sum);
        try
        {
            return SnapshotReader.open(file, () -> readers.computeIfPresent(file, (name, n) -> n > 1 ? n - 1 : null));
        }
        catch (final RuntimeException ex)
        {
            readers.computeIfPresent(file, (name, n) -> n > 1 ? n - 1 : null);
            throw ex;
        }
    }

    /**
     * Frees one step of the snapshots retention retired (renamed aside): at most {@link FileReaper#DEFAULT_STEP_BYTES}
     * truncated, or the file unlinked. The apply thread calls it each cycle.
     *
     * @return whether it freed anything.
     * @throws LogshipException (WARN) if a retired file cannot be freed; it is left for the next start to delete.
     */
    public boolean deleteRetiredStep()
    {
        return reaper.step();
    }

    /** Snapshot files retired and not yet wholly freed. */
    public int retiredFilesPending()
    {
        return reaper.pending();
    }

    /** Starts receiving a snapshot from another node into a temp file in this directory. */
    public SnapshotReceiver beginReceive()
    {
        return new SnapshotReceiver(this);
    }

    SnapshotWriter beginWrite(final long appliedOffset) throws IOException
    {
        return new SnapshotWriter(directory, appliedOffset, flushBehindBytes);
    }

    /**
     * Retires all but the {@link #retainCount()} newest snapshot files (by name), then fsyncs the directory: their
     * names are gone now, their blocks go in {@link #deleteRetiredStep()}s.
     */
    public void retain()
    {
        final List<Path> files = snapshotFiles();
        final List<Path> dropped = new ArrayList<>();
        for (int i = files.size() - 1; i >= retainCount; i--) // oldest first, as the reaper frees them
        {
            dropped.add(files.get(i));
        }
        retireAll(dropped, "retention keeps the newest " + retainCount);
    }

    /**
     * Deletes snapshots above {@code appliedOffset}. After the store is rolled back to an older
     * snapshot they may describe a history the log no longer has, and must never be rebuilt from.
     */
    void deleteNewerThan(final long appliedOffset)
    {
        final List<Path> dropped = new ArrayList<>();
        for (final Path file : snapshotFiles())
        {
            if (SnapshotDescriptor.parseFileName(file.getFileName().toString()) > appliedOffset)
            {
                dropped.add(file);
            }
        }
        retireAll(dropped, "the store was reset to offset " + appliedOffset);
    }

    /**
     * Retires each file, then syncs the directory if any went, also when a later one failed: an unsynced entry at the
     * head of the reaper's queue would hold back every step after it.
     */
    private void retireAll(final List<Path> files, final String why)
    {
        boolean retired = false;
        try
        {
            for (final Path file : files)
            {
                retired |= delete(file, why);
            }
        }
        finally
        {
            if (retired)
            {
                fsyncDirectory();
            }
        }
    }

    private boolean delete(final Path file, final String why)
    {
        try
        {
            if (!Files.exists(file))
            {
                return false;
            }
            reaper.retire(file, () -> readers.containsKey(file));
            forgetIfDeleted(file);
            LOG.log(System.Logger.Level.INFO, "deleted snapshot {0} (its blocks are freed in steps): {1}", file, why);
            return true;
        }
        catch (final IOException ex)
        {
            throw new LogshipException("cannot delete snapshot " + file + ": " + ex, LogshipException.Category.ERROR, ex);
        }
    }
}
