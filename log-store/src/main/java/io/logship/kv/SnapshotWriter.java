package io.logship.kv;

import io.logship.LogshipException;
import io.logship.log.DurableFiles;
import io.logship.format.RecordDescriptor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

import static io.logship.kv.SnapshotDescriptor.BYTE_ORDER;
import static io.logship.kv.SnapshotDescriptor.HEADER_LENGTH;

/**
 * Streams one snapshot into a temp file in {@link SnapshotDescriptor}'s format: all key/value
 * entries, then all de-duplication entries, then {@link #commit()} fills in header and trailer,
 * fsyncs and renames it into place. Used only by the apply thread via {@link KeyValueStore#takeSnapshot()}.
 * Not thread-safe.
 */
final class SnapshotWriter implements AutoCloseable
{
    // Big enough for the largest possible entry, so an entry never straddles a flush.
    private static final int BUFFER_BYTES = 4 * 1024 * 1024;
    private final Path temp;
    private final Path target;
    private final long appliedOffset;
    private final long flushBehindBytes;
    private final FileChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES).order(BYTE_ORDER);
    private final CRC32C bodyCrc = new CRC32C();
    private long bodyLengthBytes;
    private long forcedBytes;
    private int forceCount;
    private long entryCount;
    private long dedupCount;
    private boolean done;

    SnapshotWriter(final Path directory, final long appliedOffset, final long flushBehindBytes) throws IOException
    {
        this.appliedOffset = appliedOffset;
        this.flushBehindBytes = flushBehindBytes;
        this.target = directory.resolve(SnapshotDescriptor.fileName(appliedOffset));
        this.temp = directory.resolve(String.format("%020d", appliedOffset) + SnapshotDescriptor.TEMP_SUFFIX);
        this.channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING);
        // Header is written last, at position 0, once the counts are known.
        channel.position(HEADER_LENGTH);
    }

    void putEntry(final byte[] key, final byte[] value) throws IOException
    {
        if (dedupCount > 0)
        {
            throw new IllegalStateException("key/value entries must precede de-duplication entries in " + temp);
        }
        final int needed = Integer.BYTES + key.length + Integer.BYTES + value.length;
        if (key.length > RecordDescriptor.MAX_KEY_LENGTH || value.length > RecordDescriptor.MAX_VALUE_LENGTH)
        {
            throw new LogshipException("store entry with key length " + key.length + " and value length " +
                value.length + " exceeds the record limits " + RecordDescriptor.MAX_KEY_LENGTH + "/" +
                RecordDescriptor.MAX_VALUE_LENGTH, LogshipException.Category.FATAL);
        }
        ensure(needed);
        buffer.putInt(key.length).put(key).putInt(value.length).put(value);
        entryCount++;
    }

    void putDedup(final long clientId, final long lastSequence, final long offset) throws IOException
    {
        ensure(SnapshotDescriptor.DEDUP_ENTRY_LENGTH);
        buffer.putLong(clientId).putLong(lastSequence).putLong(offset);
        dedupCount++;
    }

    private void ensure(final int bytes) throws IOException
    {
        // Written in pieces of the flush-behind, not of the buffer, so each force finds only that much dirty.
        if (buffer.remaining() < bytes || buffer.position() >= flushBehindBytes)
        {
            flushBody();
        }
    }

    private void flushBody() throws IOException
    {
        buffer.flip();
        bodyCrc.update(buffer.duplicate());
        bodyLengthBytes += buffer.remaining();
        while (buffer.hasRemaining())
        {
            channel.write(buffer);
        }
        buffer.clear();
        if (bodyLengthBytes - forcedBytes >= flushBehindBytes)
        {
            channel.force(false);
            forcedBytes = bodyLengthBytes;
            forceCount++;
        }
    }

    /** How many times the body was forced before {@link #commit()}: for tests of the flush-behind. */
    int forceCount()
    {
        return forceCount;
    }

    /** Finishes the file: header, trailer, fsync, rename to its final name, directory fsync. */
    SnapshotInfo commit() throws IOException
    {
        flushBody();
        buffer.clear();
        buffer.putLong(SnapshotDescriptor.TRAILER_TOTAL_COUNT_OFFSET, entryCount + dedupCount);
        buffer.putLong(SnapshotDescriptor.TRAILER_BODY_LENGTH_OFFSET, bodyLengthBytes);
        buffer.putInt(SnapshotDescriptor.TRAILER_BODY_CRC_OFFSET, (int)bodyCrc.getValue());
        buffer.putInt(SnapshotDescriptor.TRAILER_RESERVED_OFFSET, 0);
        buffer.putLong(SnapshotDescriptor.TRAILER_END_MAGIC_OFFSET, SnapshotDescriptor.END_MAGIC);
        buffer.limit(SnapshotDescriptor.TRAILER_LENGTH);
        while (buffer.hasRemaining())
        {
            channel.write(buffer);
        }

        buffer.clear();
        SnapshotDescriptor.encodeHeader(buffer, appliedOffset, entryCount, dedupCount);
        buffer.limit(HEADER_LENGTH);
        long position = 0;
        while (buffer.hasRemaining())
        {
            position += channel.write(buffer, position);
        }
        final long sizeBytes = channel.size();
        DurableFiles.force(channel, temp, sizeBytes, true);
        channel.close();
        FileSupport.renameDurably(temp, target);
        done = true;
        return new SnapshotInfo(target, appliedOffset, entryCount, dedupCount, sizeBytes);
    }

    /** Closes and, unless committed, deletes the temp file. */
    @Override
    public void close() throws IOException
    {
        if (channel.isOpen())
        {
            channel.close();
        }
        if (!done)
        {
            DurableFiles.deleteIfExists(temp);
        }
    }
}
