package io.logship.log;

import io.logship.LogshipException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The leader-epoch history of one log, persisted as {@code leader-epoch.checkpoint}: for every epoch
 * that wrote data, the offset of its first batch. It answers "where did epoch E end on this log?",
 * which is how a rejoining node finds the divergent suffix it must cut (Kafka's KIP-101/KIP-279).
 *
 * <pre>
 * 1 0          &lt;- epoch 1 starts at offset 0
 * 3 1200       &lt;- epoch 2 never wrote; epoch 3 starts at 1200
 * crc32c 7f3a19c2
 * </pre>
 *
 * Every batch carries its epoch, so this file is a cache of what the log headers say: when it is
 * missing or fails its checksum the log rebuilds it from the batch headers (see
 * {@link SegmentedLog}) rather than refusing to start. Entries are strictly increasing in both epoch
 * and start offset. Thread-safe: the log's writer updates it, any thread may query it.
 */
public final class EpochHistory
{
    /** Returned for an epoch or offset this history cannot place. */
    public static final int UNDEFINED_EPOCH = -1;
    public static final long UNDEFINED_OFFSET = -1;

    /** One epoch's first offset. */
    public record Entry(int epoch, long startOffset)
    {
    }

    /** Answer to {@link #endOffsetFor}: the largest known epoch ≤ the one asked for, and where it ended. */
    public record EpochEnd(int epoch, long endOffset)
    {
    }

    private final Path file;
    private final ArrayList<Entry> entries = new ArrayList<>();
    private final String loadProblem;
    /** An {@link #assignDeferred} is not in the file yet (guarded by this). */
    private boolean changedSincePersisted;

    private EpochHistory(final Path file, final List<Entry> loaded, final String loadProblem)
    {
        this.file = file;
        this.entries.addAll(loaded);
        this.loadProblem = loadProblem;
    }

    /**
     * Loads the checkpoint. A missing or corrupt file yields an empty history whose
     * {@link #loadProblem()} says why, so the caller can rebuild it from the log.
     */
    public static EpochHistory load(final Path file)
    {
        final List<String> lines;
        try
        {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        }
        catch (final NoSuchFileException ex)
        {
            return new EpochHistory(file, List.of(), "missing");
        }
        catch (final IOException ex)
        {
            return new EpochHistory(file, List.of(), "unreadable: " + ex);
        }

        final StringBuilder body = new StringBuilder();
        final ArrayList<Entry> parsed = new ArrayList<>();
        String storedCrc = null;
        for (final String line : lines)
        {
            if (line.startsWith("crc32c "))
            {
                storedCrc = line.substring("crc32c ".length()).trim();
                break;
            }
            body.append(line).append('\n');
            final String[] parts = line.trim().split(" ");
            if (parts.length != 2)
            {
                return new EpochHistory(file, List.of(), "malformed line '" + line + "'");
            }
            try
            {
                parsed.add(new Entry(Integer.parseInt(parts[0]), Long.parseLong(parts[1])));
            }
            catch (final NumberFormatException ex)
            {
                return new EpochHistory(file, List.of(), "malformed line '" + line + "'");
            }
        }
        if (null == storedCrc)
        {
            return new EpochHistory(file, List.of(), "no crc32c line (torn write?)");
        }
        final String computed = crc(body.toString());
        if (!computed.equals(storedCrc))
        {
            return new EpochHistory(file, List.of(), "crc32c stored " + storedCrc + ", computed " + computed);
        }
        for (int i = 1; i < parsed.size(); i++)
        {
            if (parsed.get(i).epoch() <= parsed.get(i - 1).epoch() ||
                parsed.get(i).startOffset() <= parsed.get(i - 1).startOffset())
            {
                return new EpochHistory(file, List.of(), "entries not increasing at line " + (i + 1));
            }
        }
        return new EpochHistory(file, parsed, null);
    }

    /** Why the checkpoint could not be used as it was on disk, or {@code null} if it could. */
    public String loadProblem()
    {
        return loadProblem;
    }

    public Path file()
    {
        return file;
    }

    public synchronized List<Entry> entries()
    {
        return List.copyOf(entries);
    }

    public synchronized int latestEpoch()
    {
        return entries.isEmpty() ? UNDEFINED_EPOCH : entries.get(entries.size() - 1).epoch();
    }

    /**
     * Records that {@code epoch} starts at {@code startOffset}, durably, if it is newer than the latest
     * epoch. Called before the first batch of a new epoch is appended.
     *
     * @throws LogshipException if the epoch goes backwards: a batch from a deposed leader.
     */
    public synchronized void assign(final int epoch, final long startOffset)
    {
        final List<Entry> before = List.copyOf(entries);
        if (!add(epoch, startOffset))
        {
            return;
        }
        try
        {
            persist();
        }
        catch (final LogshipException ex)
        {
            // Not on disk, so not assigned: the retried append must assign (and persist) it again.
            entries.clear();
            entries.addAll(before);
            throw ex;
        }
    }

    /**
     * As {@link #assign}, but the file is written by the next {@link #persistIfChanged()} (the log's flush, on the
     * thread that fsyncs), not here: an append never waits for the disk (docs/DESIGN.md#segment-roll). Safe because
     * the file is a cache of the batch headers: the log's flush persists it before it moves the recovery point past
     * the epoch's first batch, and an open rescans every batch from the recovery point, where a lost entry is found.
     */
    public synchronized void assignDeferred(final int epoch, final long startOffset)
    {
        if (add(epoch, startOffset))
        {
            changedSincePersisted = true;
        }
    }

    /**
     * Writes the checkpoint if {@link #assignDeferred} changed the history since it was last written; the file is
     * written outside this object's lock, so readers never wait for the disk. Called only under the log's flush lock,
     * which every other write of the file (truncation, retention) also holds, so no older content lands last.
     *
     * @throws IOException if the file could not be written; the change stays pending for the next call.
     */
    void persistIfChanged() throws IOException
    {
        final byte[] content;
        synchronized (this)
        {
            if (!changedSincePersisted)
            {
                return;
            }
            content = encode();
            changedSincePersisted = false;
        }
        try
        {
            AtomicFile.write(file, content);
        }
        catch (final IOException ex)
        {
            synchronized (this)
            {
                changedSincePersisted = true;
            }
            throw ex;
        }
    }

    /** Adds {@code epoch} at {@code startOffset} in memory if it is newer than the latest; whether it did. */
    private boolean add(final int epoch, final long startOffset)
    {
        final int latest = latestEpoch();
        if (epoch == latest)
        {
            return false;
        }
        if (epoch < latest)
        {
            throw new LogshipException("batch of epoch " + epoch + " at offset " + startOffset +
                " is older than the log's latest epoch " + latest, LogshipException.Category.ERROR);
        }
        if (!entries.isEmpty() && startOffset < entries.get(entries.size() - 1).startOffset())
        {
            throw new LogshipException("epoch " + epoch + " cannot start at " + startOffset +
                ", before epoch " + latest + " starts", LogshipException.Category.FATAL);
        }
        // An epoch starting where the new one starts wrote nothing (e.g. retention emptied the log and
        // clamped it to the log end): replace it, keeping start offsets strictly increasing.
        if (!entries.isEmpty() && startOffset == entries.get(entries.size() - 1).startOffset())
        {
            entries.remove(entries.size() - 1);
        }
        entries.add(new Entry(epoch, startOffset));
        return true;
    }

    /**
     * The largest epoch ≤ {@code epoch} in this history, and the offset where it ended: the start of
     * the next epoch, or {@code logEndOffset} if it is the latest. {@link #UNDEFINED_EPOCH} if the
     * history starts after {@code epoch} or {@code epoch} is beyond the latest.
     */
    public synchronized EpochEnd endOffsetFor(final int epoch, final long logEndOffset)
    {
        if (entries.isEmpty() || epoch > latestEpoch())
        {
            return new EpochEnd(UNDEFINED_EPOCH, UNDEFINED_OFFSET);
        }
        if (epoch == latestEpoch())
        {
            return new EpochEnd(epoch, logEndOffset);
        }
        for (int i = entries.size() - 1; i >= 0; i--)
        {
            final Entry entry = entries.get(i);
            if (entry.epoch() <= epoch)
            {
                return new EpochEnd(entry.epoch(), entries.get(i + 1).startOffset());
            }
        }
        return new EpochEnd(UNDEFINED_EPOCH, UNDEFINED_OFFSET);
    }

    /** The epoch that wrote {@code offset}, or {@link #UNDEFINED_EPOCH} if it is before this history. */
    public synchronized int epochForOffset(final long offset)
    {
        for (int i = entries.size() - 1; i >= 0; i--)
        {
            if (entries.get(i).startOffset() <= offset)
            {
                return entries.get(i).epoch();
            }
        }
        return UNDEFINED_EPOCH;
    }

    /** Forgets epochs starting at or after {@code endOffset}: the log was truncated there. */
    public synchronized void truncateFromEnd(final long endOffset)
    {
        boolean changed = false;
        while (!entries.isEmpty() && entries.get(entries.size() - 1).startOffset() >= endOffset)
        {
            entries.remove(entries.size() - 1);
            changed = true;
        }
        if (changed)
        {
            persist();
        }
    }

    /** The log now starts at {@code startOffset}: drop epochs wholly before it, clamp the one containing it. */
    public synchronized void truncateFromStart(final long startOffset)
    {
        if (clampStart(startOffset))
        {
            persist();
        }
    }

    /**
     * As {@link #truncateFromStart}, in memory only: the file is written by the next {@link #persistIfChanged()}, which
     * retention calls right after, outside this object's lock. Appends read {@link #latestEpoch()} under it, so a
     * checkpoint written here held every append of the node for its fsyncs each time retention dropped a segment.
     */
    public synchronized void truncateFromStartDeferred(final long startOffset)
    {
        if (clampStart(startOffset))
        {
            changedSincePersisted = true;
        }
    }

    private boolean clampStart(final long startOffset)
    {
        int keepFrom = 0;
        for (int i = 0; i < entries.size(); i++)
        {
            if (entries.get(i).startOffset() <= startOffset)
            {
                keepFrom = i;
            }
        }
        if (entries.isEmpty() || entries.get(0).startOffset() >= startOffset)
        {
            return false;
        }
        final Entry clamped = new Entry(entries.get(keepFrom).epoch(), startOffset);
        entries.subList(0, keepFrom + 1).clear();
        entries.add(0, clamped);
        return true;
    }

    /** Replaces the whole history (rebuild from the log's batch headers) and persists it. */
    public synchronized void replaceWith(final List<Entry> rebuilt)
    {
        entries.clear();
        entries.addAll(rebuilt);
        persist();
    }

    private void persist()
    {
        try
        {
            AtomicFile.write(file, encode());
            changedSincePersisted = false;
        }
        catch (final IOException ex)
        {
            throw new LogshipException("cannot write " + file + ": " + ex, LogshipException.Category.FATAL, ex);
        }
    }

    private byte[] encode()
    {
        final StringBuilder body = new StringBuilder();
        for (final Entry entry : entries)
        {
            body.append(entry.epoch()).append(' ').append(entry.startOffset()).append('\n');
        }
        return (body + "crc32c " + crc(body.toString()) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private static String crc(final String body)
    {
        final CRC32C crc = new CRC32C();
        crc.update(body.getBytes(StandardCharsets.UTF_8));
        return String.format("%08x", crc.getValue());
    }
}
