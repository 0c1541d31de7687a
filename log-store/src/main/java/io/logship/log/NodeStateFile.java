package io.logship.log;

import io.logship.LogshipException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The {@code node-state} file: the highest epoch this node has seen, who leads it, and whom this
 * node granted its vote in that epoch. Written durably before the node acts on a new value, so after
 * a crash the node never goes back to a lower epoch or votes twice in one.
 *
 * <pre>
 * epoch=7
 * leaderId=2
 * votedFor=2
 * crc32c=1a2b3c4d
 * </pre>
 *
 * The CRC line covers the lines above it; a file that fails it is an error naming the file, because
 * guessing an epoch could break fencing. The CRC line is padded with spaces so that the file is always
 * {@value #FILE_LENGTH} bytes (readers trim them; files without the padding are read as well).
 *
 * <p>How it is written: an instance's first write replaces the file atomically ({@link AtomicFile}: temp
 * file, fsync, rename, directory fsync), which makes its name and length durable, unless {@link #recover}
 * made the file read at start durable already; every later write
 * overwrites those {@value #FILE_LENGTH} bytes in place and forces only the data
 * ({@link DurableFiles#overwrite}, fdatasync), one flush and no file-system journal commit instead of two
 * of each. An election waits for these writes (a voter's grant is durable before it is sent): the median write
 * 639 → 159 µs alone and 1,184 → 329 µs beside two appending fsync loops (perf/README.md, "Node-state in place").
 * Safe for the same reason as PostgreSQL's {@code pg_control}, written in place the same way: the content
 * lies within the first 512-byte sector, which a disk writes whole, and the CRC would still catch a torn
 * write (docs/DESIGN.md#node-state-in-place says why not two alternating slots).
 *
 * <p>Not thread-safe: owned by the node's election logic (its {@code node-state-N} thread).
 */
public final class NodeStateFile
{
    /** Value of {@code leaderId}/{@code votedFor} when there is none. */
    public static final int NONE = -1;

    /** An immutable state value. */
    public record State(long epoch, int leaderId, int votedFor)
    {
        public static final State INITIAL = new State(0, NONE, NONE);
    }

    /** Every file this class writes is this long: an overwrite in place never changes the file's length. */
    public static final int FILE_LENGTH = 128;

    private final Path file;
    /** This instance wrote the file whole and durably at {@link #FILE_LENGTH}: later writes go in place. */
    private boolean writtenWhole;

    public NodeStateFile(final Path file)
    {
        this.file = file;
    }

    public Path file()
    {
        return file;
    }

    /** Reads the state, or {@link State#INITIAL} if the file does not exist yet. */
    public State read()
    {
        final String text;
        try
        {
            text = Files.readString(file, StandardCharsets.UTF_8);
        }
        catch (final NoSuchFileException ex)
        {
            return State.INITIAL;
        }
        catch (final IOException ex)
        {
            throw new LogshipException("cannot read " + file + ": " + ex, LogshipException.Category.FATAL, ex);
        }

        final int crcLine = text.lastIndexOf("crc32c=");
        if (crcLine < 0)
        {
            throw corrupt("no crc32c line");
        }
        final String body = text.substring(0, crcLine);
        final String storedCrc = text.substring(crcLine + "crc32c=".length()).trim();
        final String computedCrc = crc(body);
        if (!computedCrc.equals(storedCrc))
        {
            throw corrupt("crc32c stored " + storedCrc + ", computed " + computedCrc);
        }

        long epoch = -1;
        int leaderId = Integer.MIN_VALUE;
        int votedFor = Integer.MIN_VALUE;
        for (final String line : body.split("\n"))
        {
            if (line.isBlank())
            {
                continue;
            }
            final int eq = line.indexOf('=');
            if (eq < 0)
            {
                throw corrupt("line without '=': " + line);
            }
            final String key = line.substring(0, eq);
            final String value = line.substring(eq + 1).trim();
            try
            {
                switch (key)
                {
                    case "epoch" -> epoch = Long.parseLong(value);
                    case "leaderId" -> leaderId = Integer.parseInt(value);
                    case "votedFor" -> votedFor = Integer.parseInt(value);
                    default -> throw corrupt("unknown key " + key);
                }
            }
            catch (final NumberFormatException ex)
            {
                throw corrupt("bad number for " + key + ": " + value);
            }
        }
        if (epoch < 0 || leaderId == Integer.MIN_VALUE || votedFor == Integer.MIN_VALUE)
        {
            throw corrupt("missing epoch, leaderId or votedFor");
        }
        return new State(epoch, leaderId, votedFor);
    }

    /**
     * Reads the state at a node's start and makes it durable before the node acts on it: the file may hold a state
     * its last run wrote in place but never forced (killed between the write and the force, or the force failed:
     * Linux then marks the pages clean without writing them). The page cache serves that state as if it were on disk;
     * a node that granted a vote from it again, and then lost power, could come back without the vote and vote twice.
     * So it is written again, in place (no new block: works on a full disk) with its directory synced, or whole once
     * if an older version wrote the file without padding. Later writes go in place.
     */
    public State recover()
    {
        final State state = read();
        try
        {
            if (Files.exists(file))
            {
                overwriteOrReplace(format(state));
                AtomicFile.fsyncDirectory(file.toAbsolutePath().getParent());
            }
        }
        catch (final IOException ex)
        {
            writtenWhole = false;
            throw new LogshipException("cannot make " + file + " durable at start: " + ex,
                LogshipException.Category.FATAL, ex);
        }
        return state;
    }

    /** Persists {@code state} durably; returns only once it would survive a crash. */
    public void write(final State state)
    {
        try
        {
            if (writtenWhole)
            {
                overwrite(format(state));
            }
            else
            {
                AtomicFile.write(file, format(state));
                writtenWhole = true;
            }
        }
        catch (final IOException ex)
        {
            writtenWhole = false; // whatever the failure left, the next write (if any) replaces the file whole
            throw new LogshipException("cannot write " + file + ": " + ex, LogshipException.Category.FATAL, ex);
        }
    }

    private void overwrite(final byte[] content) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            DurableFiles.overwrite(channel, file, ByteBuffer.wrap(content));
        }
    }

    /** In place if the file has this version's length (its name is made durable by the caller), else whole. */
    private void overwriteOrReplace(final byte[] content) throws IOException
    {
        if (Files.size(file) == FILE_LENGTH)
        {
            overwrite(content);
        }
        else
        {
            AtomicFile.write(file, content);
        }
        writtenWhole = true;
    }

    /** The file's bytes for {@code state}: the text above, the CRC line padded with spaces to {@link #FILE_LENGTH}. */
    public static byte[] format(final State state)
    {
        final String body = "epoch=" + state.epoch() + "\nleaderId=" + state.leaderId() + "\nvotedFor=" +
            state.votedFor() + "\n";
        final byte[] text = (body + "crc32c=" + crc(body)).getBytes(StandardCharsets.UTF_8);
        final byte[] content = new byte[FILE_LENGTH];
        Arrays.fill(content, (byte)' ');
        System.arraycopy(text, 0, content, 0, text.length); // at most 84 bytes: a long and two ints, with their signs
        content[FILE_LENGTH - 1] = '\n';
        return content;
    }

    private LogshipException corrupt(final String detail)
    {
        return new LogshipException(file + " is corrupt (" + detail + "); refusing to guess the epoch. " +
            "Restore it from a peer's epoch or remove the node's data directory and resync it.",
            LogshipException.Category.FATAL);
    }

    private static String crc(final String body)
    {
        final CRC32C crc = new CRC32C();
        crc.update(body.getBytes(StandardCharsets.UTF_8));
        return String.format("%08x", crc.getValue());
    }
}
