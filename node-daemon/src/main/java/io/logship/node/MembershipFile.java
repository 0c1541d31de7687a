package io.logship.node;

import io.logship.LogshipException;
import io.logship.cluster.MembershipCodec;
import io.logship.cluster.MembershipLog;
import io.logship.log.AtomicFile;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

/**
 * The node's configuration history on disk, next to node-state (docs/DESIGN.md#membership, "In the log and on
 * disk"): the {@link MembershipLog} entries encoded by {@link MembershipCodec}, plus the log offset below which every
 * {@code MEMBERS} record is in the history (so a restart re-reads the log only from there). Written whole: temp
 * file, fsync, rename, directory fsync ({@link AtomicFile}).
 *
 * <p>{@link #write} is for the conductor and returns at once: the {@code membership-N} thread writes the latest
 * requested history. Peer messages wait while {@link #isDurable()} is false (the barrier of
 * {@link io.logship.node.egress.PeerPublishers}), so no ack of a batch holding a {@code MEMBERS} record leaves
 * before the history holding it is on disk. A failed write is never retried: {@link #failure()} says why and the
 * node fences itself, as for node-state.
 *
 * <pre>
 * version (1 byte) | scannedEndOffset (8) | history length (4) | history (MembershipCodec.encodeHistory) | crc32c (4)
 * </pre>
 */
public final class MembershipFile implements AutoCloseable
{
    static final byte VERSION = 1;
    private static final int HEADER = Byte.BYTES + Long.BYTES + Integer.BYTES;

    /** What was read back: the history and the offset below which the log's MEMBERS records are all in it. */
    public record Contents(List<MembershipLog.Entry> entries, long scannedEndOffset)
    {
    }

    private final Path file;
    private final Object lock = new Object();
    private Thread thread;
    // Guarded by lock.
    private byte[] requested;
    private long requestedTicket;
    private boolean closed;
    private volatile long durableTicket;
    private volatile Throwable failure;
    private long lastRequestedTicket; // conductor thread

    public MembershipFile(final Path file)
    {
        this.file = file;
    }

    public Path file()
    {
        return file;
    }

    /**
     * The persisted history, or null if there is no file (a node that never saw a change: the seed applies).
     *
     * @throws LogshipException (FATAL) if the file is corrupt, naming it and what to do.
     */
    public Contents read()
    {
        final byte[] bytes;
        try
        {
            bytes = Files.readAllBytes(file);
        }
        catch (final NoSuchFileException ex)
        {
            return null;
        }
        catch (final IOException ex)
        {
            throw new LogshipException("cannot read " + file + ": " + ex, LogshipException.Category.FATAL, ex);
        }
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        if (bytes.length < HEADER + Integer.BYTES || buffer.getByte(0) != VERSION)
        {
            throw corrupt("length " + bytes.length + " or version " + (bytes.length > 0 ? bytes[0] : -1) +
                " (expected at least " + (HEADER + Integer.BYTES) + " bytes and version " + VERSION + ")");
        }
        final long scanned = buffer.getLong(Byte.BYTES, ByteOrder.LITTLE_ENDIAN);
        final int length = buffer.getInt(Byte.BYTES + Long.BYTES, ByteOrder.LITTLE_ENDIAN);
        if (length < 0 || HEADER + length + Integer.BYTES != bytes.length)
        {
            throw corrupt("history length " + length + " in a file of " + bytes.length + " bytes");
        }
        final int crc = buffer.getInt(HEADER + length, ByteOrder.LITTLE_ENDIAN);
        if (crc != crc(bytes, HEADER + length))
        {
            throw corrupt("checksum mismatch");
        }
        final byte[] history = new byte[length];
        buffer.getBytes(HEADER, history);
        try
        {
            return new Contents(MembershipCodec.decodeHistory(history), scanned);
        }
        catch (final LogshipException ex)
        {
            throw corrupt(ex.getMessage());
        }
    }

    /** Writes at once, on the calling thread (start-up, tests). */
    public void writeNow(final List<MembershipLog.Entry> entries, final long scannedEndOffset)
    {
        writeBytes(encode(entries, scannedEndOffset));
    }

    /** Starts the writer thread; before it, {@link #write} only queues. */
    public void start(final String threadName)
    {
        thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    /** Queues the history for the writer thread and returns at once; see {@link #isDurable()}. Conductor thread. */
    public void write(final List<MembershipLog.Entry> entries, final long scannedEndOffset)
    {
        final byte[] bytes = encode(entries, scannedEndOffset);
        synchronized (lock)
        {
            requested = bytes;
            lastRequestedTicket = ++requestedTicket;
            lock.notifyAll();
        }
    }

    /** Whether every history requested so far is on disk; false for good once a write failed. */
    public boolean isDurable()
    {
        return null == failure && durableTicket >= lastRequestedTicket;
    }

    public Throwable failure()
    {
        return failure;
    }

    /**
     * Writes what is still queued, then stops the writer thread (waits up to 10 s). Without a writer thread (never
     * started) the queued history is written here, on the calling thread.
     */
    @Override
    public void close()
    {
        final byte[] unwritten;
        synchronized (lock)
        {
            closed = true;
            unwritten = null == thread && null == failure && requestedTicket > durableTicket ? requested : null;
            lock.notifyAll();
        }
        if (null != unwritten)
        {
            writeBytes(unwritten);
            durableTicket = requestedTicket;
        }
        if (null != thread)
        {
            try
            {
                thread.join(TimeUnit.SECONDS.toMillis(10));
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run()
    {
        long written = 0;
        while (true)
        {
            final byte[] bytes;
            final long ticket;
            synchronized (lock)
            {
                while (!closed && requestedTicket == written)
                {
                    try
                    {
                        lock.wait();
                    }
                    catch (final InterruptedException ex)
                    {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                if (requestedTicket == written)
                {
                    return;
                }
                bytes = requested;
                ticket = requestedTicket;
            }
            try
            {
                writeBytes(bytes);
            }
            catch (final Throwable ex)
            {
                failure = ex;
                return;
            }
            written = ticket;
            durableTicket = ticket;
        }
    }

    private void writeBytes(final byte[] bytes)
    {
        try
        {
            AtomicFile.write(file, bytes);
        }
        catch (final IOException ex)
        {
            throw new LogshipException("cannot write " + file + ": " + ex, LogshipException.Category.FATAL, ex);
        }
    }

    private static byte[] encode(final List<MembershipLog.Entry> entries, final long scannedEndOffset)
    {
        final byte[] history = MembershipCodec.encodeHistory(entries);
        final byte[] bytes = new byte[HEADER + history.length + Integer.BYTES];
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        buffer.putByte(0, VERSION);
        buffer.putLong(Byte.BYTES, scannedEndOffset, ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(Byte.BYTES + Long.BYTES, history.length, ByteOrder.LITTLE_ENDIAN);
        buffer.putBytes(HEADER, history);
        buffer.putInt(HEADER + history.length, crc(bytes, HEADER + history.length), ByteOrder.LITTLE_ENDIAN);
        return bytes;
    }

    private static int crc(final byte[] bytes, final int length)
    {
        final CRC32C crc = new CRC32C();
        crc.update(bytes, 0, length);
        return (int)crc.getValue();
    }

    private LogshipException corrupt(final String detail)
    {
        return new LogshipException(file + " is corrupt (" + detail + "); the node cannot tell its cluster's members. " +
            "Remove the node's data directory and add it back as a new member ('logship member add').",
            LogshipException.Category.FATAL);
    }
}
