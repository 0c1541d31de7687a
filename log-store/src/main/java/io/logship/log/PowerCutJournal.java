package io.logship.log;

import io.logship.LogshipException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.CopyOption;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Test-only model of a power cut: records what a node has made durable, so that after the node is killed
 * {@link #simulatePowerCut} can throw away everything else, as losing power would.
 *
 * <h2>Switching it on</h2>
 * Off unless the JVM runs with {@code -D}{@value #PROPERTY}{@code =<directory>} (the system tests pass it to each
 * node, with a directory of its own outside the data directory) or a test calls {@link #install}. Off, the only cost
 * is one static field read in each {@link DurableFiles} call: no system call, no allocation.
 *
 * <h2>What is recorded</h2>
 * Every durable step log-store takes goes through {@link DurableFiles}; with a journal installed each one appends a
 * line to {@code <directory>/journal}:
 * <ul>
 *   <li>{@code F len path}: a successful {@code force} of {@code path}; its first {@code len} bytes are on disk.</li>
 *   <li>{@code W len path saved}: a forced overwrite in place of {@code path}'s first {@code len} bytes
 *       ({@link DurableFiles#overwrite}, node-state); {@code saved} is a copy of the file as forced.</li>
 *   <li>{@code C path}: {@code path} was created; its name is not durable yet.</li>
 *   <li>{@code R from to saved}: a rename; the file it replaced is kept as a hard link {@code saved} (or {@code -}).</li>
 *   <li>{@code X path saved}: a deletion; the deleted file is kept as a hard link {@code saved}.</li>
 *   <li>{@code D seq dir}: a successful fsync of directory {@code dir} that began when the journal held {@code seq}
 *       lines; every create, rename and delete in {@code dir} recorded before that is durable.</li>
 * </ul>
 * The journal is written with plain writes, never forced: a SIGKILL keeps the page cache, so the file is complete
 * when the harness reads it after killing the node (the power cut is modelled, not real).
 *
 * <h2>The simulated cut</h2>
 * {@link #simulatePowerCut} runs after the node process is dead. It undoes (or, with {@link PendingNames#KEPT}, keeps
 * all of) every create, rename and delete no directory fsync made durable, newest first (a rename rolls back: the old file is back under the name, the new one under
 * its temporary name; a deleted file reappears; a created file vanishes). Then it cuts every file under the data
 * directory back to the length it was last forced to, or to zero if it never was, and deletes the MapDB store files
 * (names starting with {@value #MAPDB_FILE_PREFIX}). A file last written by a forced overwrite in place gets the bytes
 * of that overwrite back: one made after it and not forced is lost, as on a disk that lost power before the write
 * reached it.
 *
 * <h2>What the model captures, and what it does not</h2>
 * Captured: unforced appends lost (segments, quarantine and snapshot temp files, the index files, which are forced only
 * when a segment is sealed); renames and deletions lost without a directory fsync (node-state, the epoch checkpoint,
 * the recovery point, snapshots, quarantine files, the clean-shutdown marker, segments deleted by truncation or
 * retention); segment files created but not yet in a synced directory. The MapDB store is treated as lost: it is
 * written through mmap and never forced while running, and the design treats it as a view rebuilt from the newest
 * snapshot and the log (it is discarded anyway when the clean-shutdown marker is missing).
 * Not captured: a disk that keeps more than was forced (some pages written back early, possibly out of order, which
 * can tear a batch or leave a hole before valid data; torn tails are covered by {@code LogCorruptionTest} and
 * {@code LogCrashTest}); bytes removed by an unforced {@code truncate} coming back; an in-place overwrite of forced
 * bytes reverting, except through {@link DurableFiles#overwrite} (elsewhere log-store never overwrites forced bytes
 * except in the derived index files); an overwrite torn by the cut (node-state's is within one sector, which disks
 * write whole); the creation of
 * directories (assumed durable); files created without {@link DurableFiles#onCreated} (the index files, the lock
 * file) vanishing rather than being cut to their forced length or zero; a power cut after a clean shutdown (MapDB's own
 * durability on close); a rename across directories (log-store renames within one directory only); lying disks and
 * fsync errors.
 *
 * <p>Thread-safe: the node's conductor, journal, fsync and apply threads all record through one lock.
 */
public final class PowerCutJournal implements AutoCloseable
{
    /** System property naming the journal directory; unset (the default) means no journal. */
    public static final String PROPERTY = "logship.test.powercut.journal";
    /**
     * System property: extra milliseconds each file force takes on this node, a slower disk. A test gives it to one
     * follower so that its forces finish well after the leader's: with equal disks the window in which a follower has
     * written but not forced what the leader has forced is a fraction of a millisecond, and a power cut would find a
     * follower that acknowledged too early only by luck. Only read with a journal; default 0.
     */
    public static final String FORCE_DELAY_PROPERTY = "logship.test.powercut.force.delay.ms";
    /** The prefix of MapDB's files, {@code io.logship.kv.KeyValueStore.DB_FILE_NAME} (log does not depend on kv). */
    public static final String MAPDB_FILE_PREFIX = "store.mapdb";
    static final String JOURNAL_FILE = "journal";
    static final String SAVED_DIRECTORY = "saved";

    private static volatile PowerCutJournal installed = fromSystemProperty();

    private final Path directory;
    private final Path savedDirectory;
    private final FileChannel out;
    private final List<SavedFile> savedFiles = new ArrayList<>();
    private final long forceDelayNs;
    private long sequence;

    private record SavedFile(long sequence, Path directory, Path saved)
    {
    }

    private PowerCutJournal(final Path directory, final long forceDelayMs) throws IOException
    {
        if (forceDelayMs < 0)
        {
            throw new IllegalArgumentException(FORCE_DELAY_PROPERTY + "=" + forceDelayMs + " must be at least 0");
        }
        this.forceDelayNs = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(forceDelayMs);
        this.directory = directory.toAbsolutePath().normalize();
        this.savedDirectory = this.directory.resolve(SAVED_DIRECTORY);
        Files.createDirectories(savedDirectory);
        final Path file = this.directory.resolve(JOURNAL_FILE);
        final List<String> lines = completeLines(file);
        sequence = lines.size();
        out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        // A line cut short by a kill would merge with the next one: start after the last complete line.
        long end = 0;
        for (final String line : lines)
        {
            end += line.getBytes(StandardCharsets.UTF_8).length + 1;
        }
        out.truncate(end);
        out.position(end);
    }

    private static PowerCutJournal fromSystemProperty()
    {
        final String value = System.getProperty(PROPERTY);
        if (null == value || value.isBlank())
        {
            return null;
        }
        try
        {
            return new PowerCutJournal(Path.of(value), Long.getLong(FORCE_DELAY_PROPERTY, 0L));
        }
        catch (final IOException ex)
        {
            throw new LogshipException("cannot open the power-cut journal " + PROPERTY + "=" + value + ": " + ex,
                LogshipException.Category.FATAL, ex);
        }
    }

    /** The journal of this process, or null (the normal case). */
    static PowerCutJournal installed()
    {
        return installed;
    }

    /** Installs a journal in {@code directory} for this process (tests), replacing and closing any other. */
    public static synchronized PowerCutJournal install(final Path directory) throws IOException
    {
        return install(directory, 0);
    }

    /** As {@link #install(Path)}, on a disk whose every force takes {@code forceDelayMs} longer ({@link #FORCE_DELAY_PROPERTY}). */
    public static synchronized PowerCutJournal install(final Path directory, final long forceDelayMs) throws IOException
    {
        uninstall();
        installed = new PowerCutJournal(directory, forceDelayMs);
        return installed;
    }

    /** Stops recording (what {@link #simulatePowerCut} needs when the "node" ran in this process). */
    public static synchronized void uninstall()
    {
        final PowerCutJournal previous = installed;
        installed = null;
        if (null != previous)
        {
            previous.close();
        }
    }

    /** Lines recorded so far: a directory fsync makes durable what was recorded before it began. */
    synchronized long sequence()
    {
        return sequence;
    }

    void onForced(final Path file, final long length) throws IOException
    {
        delayForce();
        synchronized (this)
        {
            append("F\t" + length + "\t" + absolute(file));
        }
    }

    /** The slow disk of {@link #FORCE_DELAY_PROPERTY}: a force returns this much later, only then done. */
    private void delayForce()
    {
        if (forceDelayNs > 0)
        {
            final long deadlineNs = System.nanoTime() + forceDelayNs;
            for (long leftNs = forceDelayNs; leftNs > 0; leftNs = deadlineNs - System.nanoTime())
            {
                java.util.concurrent.locks.LockSupport.parkNanos(leftNs);
            }
        }
    }

    void onOverwritten(final Path file, final long length) throws IOException
    {
        delayForce();
        synchronized (this)
        {
            // Every copy is kept until the cut: an older one is what a rolled-back rename brings back. Node-state is
            // overwritten a few times per election, 128 bytes each.
            final Path path = absolute(file);
            final Path copy = savedDirectory.resolve("overwrite-" + sequence);
            Files.copy(path, copy, StandardCopyOption.REPLACE_EXISTING);
            append("W\t" + length + "\t" + path + "\t" + copy);
        }
    }

    synchronized void onCreated(final Path file)
    {
        try
        {
            append("C\t" + absolute(file));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("power-cut journal " + directory + " cannot record the creation of " + file, ex);
        }
    }

    synchronized void move(final Path from, final Path to, final CopyOption... options) throws IOException
    {
        final Path saved = save(to);
        append("R\t" + absolute(from) + "\t" + absolute(to) + "\t" + (null == saved ? "-" : saved.toString()));
        remember(absolute(to).getParent(), saved);
        Files.move(from, to, options);
    }

    synchronized boolean deleteIfExists(final Path file) throws IOException
    {
        if (!Files.exists(file))
        {
            return false;
        }
        final Path saved = save(file);
        append("X\t" + absolute(file) + "\t" + (null == saved ? "-" : saved.toString()));
        remember(absolute(file).getParent(), saved);
        return Files.deleteIfExists(file);
    }

    synchronized void onDirectorySynced(final Path directory, final long startSequence) throws IOException
    {
        final Path dir = absolute(directory);
        append("D\t" + startSequence + "\t" + dir);
        // What the sync made durable needs no copy any more: without this, deleted segments would fill the disk.
        for (final Iterator<SavedFile> it = savedFiles.iterator(); it.hasNext(); )
        {
            final SavedFile saved = it.next();
            if (saved.sequence() < startSequence && saved.directory().equals(dir))
            {
                Files.deleteIfExists(saved.saved());
                it.remove();
            }
        }
    }

    /** A hard link to {@code file} (a copy where links are refused), named by the record about to be appended. */
    private Path save(final Path file) throws IOException
    {
        if (!Files.isRegularFile(file))
        {
            return null;
        }
        final Path saved = savedDirectory.resolve(Long.toString(sequence));
        Files.deleteIfExists(saved);
        try
        {
            Files.createLink(saved, file);
        }
        catch (final FileSystemException | UnsupportedOperationException ex)
        {
            // Not an error: a file system without hard links (or a link limit reached) gets a copy, which keeps
            // the same bytes; a failing copy still throws, naming the file.
            Files.copy(file, saved);
        }
        return saved;
    }

    private void remember(final Path dir, final Path saved)
    {
        if (null != saved)
        {
            savedFiles.add(new SavedFile(sequence - 1, dir, saved));
        }
    }

    private void append(final String line) throws IOException
    {
        final ByteBuffer bytes = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining())
        {
            out.write(bytes);
        }
        sequence++;
    }

    @Override
    public synchronized void close()
    {
        try
        {
            out.close();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("closing power-cut journal " + directory, ex);
        }
    }

    private static Path absolute(final Path path)
    {
        return path.toAbsolutePath().normalize();
    }

    private static List<String> completeLines(final Path file) throws IOException
    {
        if (!Files.exists(file))
        {
            return List.of();
        }
        final String text = Files.readString(file, StandardCharsets.UTF_8);
        final int end = text.lastIndexOf('\n');
        return end < 0 ? List.of() : List.of(text.substring(0, end).split("\n", -1));
    }

    // ---------------------------------------------------------------------------------------------
    // The cut

    /** One create, rename or delete not yet known to be durable when the cut is applied. */
    private record PendingChange(char kind, long sequence, Path path, Path to, Path saved)
    {
        Path directory()
        {
            return ('R' == kind ? to : path).getParent();
        }
    }

    /** What a cut does with the creates, renames and deletes that no directory fsync made durable. */
    public enum PendingNames
    {
        /** Every one is undone, newest first: the outcome the class comment describes. */
        UNDONE,
        /**
         * Every one is kept, while file contents still go back to their forced lengths: the file system committed all
         * its metadata at the cut and no unforced data, as ext4 with delayed allocation may (any fsync commits the
         * journal, with a new segment's name, while the older segment's unforced tail has no blocks yet). Together with
         * {@link #UNDONE}, the two ends of what POSIX allows a cut to leave of the names.
         */
        KEPT
    }

    /** {@link #simulatePowerCut(Path, Path, PendingNames)} undoing every change not made durable. */
    public static List<String> simulatePowerCut(final Path journalDirectory, final Path dataDirectory) throws IOException
    {
        return simulatePowerCut(journalDirectory, dataDirectory, PendingNames.UNDONE);
    }

    /**
     * Turns {@code dataDirectory} into what a power cut would have left of it, by the journal in
     * {@code journalDirectory} (see the class comment), then rewrites the journal so the surviving files count as
     * durable from here on (a node restarted on them can be cut again). The process that wrote the journal must be
     * dead; this process must not have it installed.
     *
     * @param pendingNames whether the names no directory fsync made durable are undone or kept.
     * @return one line per change made, for the test's log.
     */
    public static List<String> simulatePowerCut(final Path journalDirectory, final Path dataDirectory,
        final PendingNames pendingNames) throws IOException
    {
        final Path journalDir = absolute(journalDirectory);
        final Path dataDir = absolute(dataDirectory);
        final PowerCutJournal current = installed;
        if (null != current && current.directory.equals(journalDir))
        {
            throw new IllegalStateException("the power-cut journal " + journalDir + " is still recording in this " +
                "process: uninstall() it first (a power cut stops the writer)");
        }
        if (journalDir.startsWith(dataDir))
        {
            throw new IllegalArgumentException("power-cut journal " + journalDir + " must be outside the data directory " +
                dataDir + " (the cut would cut the journal itself)");
        }
        final Map<Path, Long> forced = new HashMap<>();
        // Per file, the copy of its newest forced overwrite in place; it follows the file through renames, deletions
        // and their undoing, as the forced lengths do.
        final Map<Path, Path> overwritten = new HashMap<>();
        final List<PendingChange> pending = new ArrayList<>();
        final List<String> lines = completeLines(journalDir.resolve(JOURNAL_FILE));
        for (int sequence = 0; sequence < lines.size(); sequence++)
        {
            final String line = lines.get(sequence);
            final String[] field = line.split("\t", -1);
            switch (field[0])
            {
                case "F" -> forced.put(Path.of(field[2]), Long.parseLong(field[1]));
                case "W" ->
                {
                    forced.put(Path.of(field[2]), Long.parseLong(field[1]));
                    overwritten.put(Path.of(field[2]), Path.of(field[3]));
                }
                case "C" -> pending.add(new PendingChange('C', sequence, Path.of(field[1]), null, null));
                case "R" ->
                {
                    final Path from = Path.of(field[1]);
                    final Path to = Path.of(field[2]);
                    final Path saved = "-".equals(field[3]) ? null : Path.of(field[3]);
                    moveEntry(forced, to, saved);
                    moveEntry(forced, from, to);
                    moveEntry(overwritten, to, saved);
                    moveEntry(overwritten, from, to);
                    pending.add(new PendingChange('R', sequence, from, to, saved));
                }
                case "X" ->
                {
                    final Path path = Path.of(field[1]);
                    final Path saved = "-".equals(field[2]) ? null : Path.of(field[2]);
                    moveEntry(forced, path, saved);
                    moveEntry(overwritten, path, saved);
                    pending.add(new PendingChange('X', sequence, path, null, saved));
                }
                case "D" ->
                {
                    final long start = Long.parseLong(field[1]);
                    final Path dir = Path.of(field[2]);
                    pending.removeIf(change -> change.sequence() < start && change.directory().equals(dir));
                }
                default -> throw new IllegalStateException("power-cut journal " + journalDir + " line " + (sequence + 1) +
                    " is not a record: '" + line + "'");
            }
        }

        final List<String> report = new ArrayList<>();
        if (PendingNames.UNDONE == pendingNames)
        {
            for (int i = pending.size() - 1; i >= 0; i--)
            {
                undo(pending.get(i), forced, overwritten, report);
            }
        }
        else
        {
            for (final PendingChange change : pending)
            {
                report.add("kept " + change.kind() + " " + change.path() + (null == change.to() ? "" : " -> " +
                    change.to()) + ": not yet durable by a directory fsync, committed by the cut's file system");
            }
        }
        for (final Map.Entry<Path, Path> entry : overwritten.entrySet())
        {
            final Path file = entry.getKey();
            if (Files.isRegularFile(file) && Files.isRegularFile(entry.getValue()) &&
                Files.mismatch(file, entry.getValue()) >= 0)
            {
                Files.copy(entry.getValue(), file, StandardCopyOption.REPLACE_EXISTING);
                report.add("reverted " + file + " to its last forced overwrite in place (a later one was not forced)");
            }
        }
        final List<Path> files;
        try (Stream<Path> walk = Files.walk(dataDir))
        {
            files = walk.filter(Files::isRegularFile).map(PowerCutJournal::absolute).sorted().toList();
        }
        for (final Path file : files)
        {
            if (file.getFileName().toString().startsWith(MAPDB_FILE_PREFIX))
            {
                Files.delete(file);
                report.add("deleted MapDB file " + file + " (never forced; the store is rebuilt from snapshot + log)");
                continue;
            }
            final long keep = forced.getOrDefault(file, 0L);
            final long size = Files.size(file);
            if (size > keep)
            {
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
                {
                    channel.truncate(keep);
                }
                report.add("cut " + file + " from " + size + " to " + keep + " bytes (" + (forced.containsKey(file) ?
                    "its last forced length" : "never forced") + ")");
            }
        }

        try (Stream<Path> saved = Files.list(journalDir.resolve(SAVED_DIRECTORY)))
        {
            for (final Path file : saved.toList())
            {
                Files.delete(file);
            }
        }
        final StringBuilder survivors = new StringBuilder();
        try (Stream<Path> walk = Files.walk(dataDir))
        {
            for (final Path file : walk.filter(Files::isRegularFile).map(PowerCutJournal::absolute).sorted().toList())
            {
                survivors.append("F\t").append(Files.size(file)).append('\t').append(file).append('\n');
            }
        }
        final Path temp = journalDir.resolve(JOURNAL_FILE + ".tmp");
        Files.writeString(temp, survivors, StandardCharsets.UTF_8);
        Files.move(temp, journalDir.resolve(JOURNAL_FILE), StandardCopyOption.REPLACE_EXISTING);
        return report;
    }

    private static void undo(final PendingChange change, final Map<Path, Long> forced,
        final Map<Path, Path> overwritten, final List<String> report) throws IOException
    {
        switch (change.kind())
        {
            case 'C' ->
            {
                if (Files.deleteIfExists(change.path()))
                {
                    report.add("removed " + change.path() + ": its creation was never made durable by a directory fsync");
                }
                forced.remove(change.path());
            }
            case 'R' ->
            {
                if (Files.exists(change.to()) && !Files.exists(change.path()))
                {
                    Files.move(change.to(), change.path());
                    moveEntry(forced, change.to(), change.path());
                    moveEntry(overwritten, change.to(), change.path());
                }
                if (null != change.saved() && Files.exists(change.saved()))
                {
                    Files.move(change.saved(), change.to(), StandardCopyOption.REPLACE_EXISTING);
                    moveEntry(forced, change.saved(), change.to());
                    moveEntry(overwritten, change.saved(), change.to());
                }
                report.add("rolled back rename " + change.path() + " -> " + change.to() + " (no directory fsync after " +
                    "it): " + (null == change.saved() ? "the name is gone again" : "the old file is back"));
            }
            case 'X' ->
            {
                if (null != change.saved() && Files.exists(change.saved()) && !Files.exists(change.path()))
                {
                    Files.move(change.saved(), change.path());
                    moveEntry(forced, change.saved(), change.path());
                    moveEntry(overwritten, change.saved(), change.path());
                    report.add("restored deleted " + change.path() + " (no directory fsync after the deletion)");
                }
            }
            default -> throw new IllegalStateException("unknown change " + change);
        }
    }

    /**
     * What is recorded for file {@code from} (its forced length, its last forced overwrite) now belongs to {@code to}
     * (a rename, or its undoing); dropped if {@code to} is null.
     */
    private static <T> void moveEntry(final Map<Path, T> entries, final Path from, final Path to)
    {
        final T entry = entries.remove(from);
        if (null == to)
        {
            return;
        }
        if (null == entry)
        {
            entries.remove(to);
        }
        else
        {
            entries.put(to, entry);
        }
    }
}
