package io.logship.kv;

import io.logship.format.RecordDescriptor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

import static io.logship.kv.SnapshotDescriptor.BYTE_ORDER;
import static io.logship.kv.SnapshotDescriptor.HEADER_LENGTH;
import static io.logship.kv.SnapshotDescriptor.TRAILER_LENGTH;

/**
 * Reads a snapshot file front to back, checking every structural rule and both CRCs, and hands the
 * entries to a {@link Visitor}. Entries reach the visitor before the body CRC is known to match, so
 * a loader must discard what it built when this throws. Stateless, thread-safe.
 */
final class SnapshotParser
{
    /** Receives a snapshot's entries in file order. */
    interface Visitor
    {
        void entry(byte[] key, byte[] value);

        void dedup(long clientId, long lastSequence, long offset);
    }

    private static final int BUFFER_BYTES = 4 * 1024 * 1024;

    private SnapshotParser()
    {
    }

    /** Checks the whole file without building anything. */
    static SnapshotInfo verify(final Path file)
    {
        return parse(file, null);
    }

    /**
     * Parses and checks {@code file}; {@code visitor} may be null to only verify.
     *
     * @throws CorruptSnapshotException naming the file, the field, the value found and what was expected.
     */
    static SnapshotInfo parse(final Path file, final Visitor visitor)
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            final long sizeBytes = channel.size();
            if (sizeBytes < HEADER_LENGTH + TRAILER_LENGTH)
            {
                throw new CorruptSnapshotException(file, "file length " + sizeBytes + " bytes, need at least " +
                    (HEADER_LENGTH + TRAILER_LENGTH));
            }
            final ByteBuffer header = ByteBuffer.allocate(HEADER_LENGTH).order(BYTE_ORDER);
            readFully(channel, header, 0, file);
            final String headerProblem = SnapshotDescriptor.validateHeader(header);
            if (null != headerProblem)
            {
                throw new CorruptSnapshotException(file, headerProblem);
            }
            final long appliedOffset = header.getLong(SnapshotDescriptor.APPLIED_OFFSET_OFFSET);
            final long entryCount = header.getLong(SnapshotDescriptor.ENTRY_COUNT_OFFSET);
            final long dedupCount = header.getLong(SnapshotDescriptor.DEDUP_COUNT_OFFSET);

            final ByteBuffer trailer = ByteBuffer.allocate(TRAILER_LENGTH).order(BYTE_ORDER);
            readFully(channel, trailer, sizeBytes - TRAILER_LENGTH, file);
            final long endMagic = trailer.getLong(SnapshotDescriptor.TRAILER_END_MAGIC_OFFSET);
            if (endMagic != SnapshotDescriptor.END_MAGIC)
            {
                throw new CorruptSnapshotException(file, "end magic 0x" + Long.toHexString(endMagic) + " at byte " +
                    (sizeBytes - TRAILER_LENGTH + SnapshotDescriptor.TRAILER_END_MAGIC_OFFSET) + ", expected 0x" +
                    Long.toHexString(SnapshotDescriptor.END_MAGIC) + " (truncated or incomplete file?)");
            }
            final long bodyLengthBytes = trailer.getLong(SnapshotDescriptor.TRAILER_BODY_LENGTH_OFFSET);
            if (bodyLengthBytes != sizeBytes - HEADER_LENGTH - TRAILER_LENGTH)
            {
                throw new CorruptSnapshotException(file, "trailer body length " + bodyLengthBytes + ", expected " +
                    (sizeBytes - HEADER_LENGTH - TRAILER_LENGTH) + " from the file length " + sizeBytes);
            }
            final long totalCount = trailer.getLong(SnapshotDescriptor.TRAILER_TOTAL_COUNT_OFFSET);
            if (totalCount != entryCount + dedupCount)
            {
                throw new CorruptSnapshotException(file, "trailer total count " + totalCount + ", expected " +
                    (entryCount + dedupCount) + " from the header");
            }
            final int storedBodyCrc = trailer.getInt(SnapshotDescriptor.TRAILER_BODY_CRC_OFFSET);

            final BodyReader body = new BodyReader(channel, file, bodyLengthBytes);
            for (long i = 0; i < entryCount; i++)
            {
                final int keyLength = body.readLength(RecordDescriptor.MAX_KEY_LENGTH, "key", i);
                final byte[] key = body.readBytes(keyLength);
                final int valueLength = body.readLength(RecordDescriptor.MAX_VALUE_LENGTH, "value", i);
                final byte[] value = body.readBytes(valueLength);
                if (null != visitor)
                {
                    visitor.entry(key, value);
                }
            }
            for (long i = 0; i < dedupCount; i++)
            {
                body.require(SnapshotDescriptor.DEDUP_ENTRY_LENGTH);
                final long clientId = body.buffer.getLong();
                final long lastSequence = body.buffer.getLong();
                final long offset = body.buffer.getLong();
                if (null != visitor)
                {
                    visitor.dedup(clientId, lastSequence, offset);
                }
            }
            final int computedBodyCrc = body.finish();
            if (computedBodyCrc != storedBodyCrc)
            {
                throw new CorruptSnapshotException(file, "body CRC32C stored 0x" + Integer.toHexString(storedBodyCrc) +
                    ", computed 0x" + Integer.toHexString(computedBodyCrc));
            }
            return new SnapshotInfo(file, appliedOffset, entryCount, dedupCount, sizeBytes);
        }
        catch (final IOException ex)
        {
            throw new CorruptSnapshotException(file, "cannot read: " + ex, ex);
        }
    }

    private static void readFully(final FileChannel channel, final ByteBuffer dst, final long position, final Path file)
        throws IOException
    {
        long p = position;
        while (dst.hasRemaining())
        {
            final int read = channel.read(dst, p);
            if (read < 0)
            {
                throw new CorruptSnapshotException(file, "unexpected end of file at byte " + p);
            }
            p += read;
        }
        dst.flip();
    }

    /** Sequential reader over the body range that folds every byte it loads into the body CRC. */
    private static final class BodyReader
    {
        private final FileChannel channel;
        private final Path file;
        private final long bodyEnd;
        private final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES).order(BYTE_ORDER);
        private final CRC32C crc = new CRC32C();
        private long filePosition = HEADER_LENGTH;

        BodyReader(final FileChannel channel, final Path file, final long bodyLengthBytes)
        {
            this.channel = channel;
            this.file = file;
            this.bodyEnd = HEADER_LENGTH + bodyLengthBytes;
            buffer.limit(0);
        }

        void require(final int bytes) throws IOException
        {
            if (buffer.remaining() >= bytes)
            {
                return;
            }
            buffer.compact();
            while (buffer.position() < bytes)
            {
                final long left = bodyEnd - filePosition;
                if (left <= 0)
                {
                    throw new CorruptSnapshotException(file, "body ends at byte " + bodyEnd + " inside an entry that needs " +
                        (bytes - buffer.position()) + " more bytes");
                }
                final int start = buffer.position();
                final int want = (int)Math.min(buffer.remaining(), left);
                final ByteBuffer window = buffer.duplicate().limit(start + want);
                final int read = channel.read(window, filePosition);
                if (read < 0)
                {
                    throw new CorruptSnapshotException(file, "unexpected end of file at byte " + filePosition);
                }
                crc.update(buffer.duplicate().position(start).limit(start + read));
                buffer.position(start + read);
                filePosition += read;
            }
            buffer.flip();
        }

        int readLength(final int max, final String what, final long index) throws IOException
        {
            require(Integer.BYTES);
            final int length = buffer.getInt();
            if (length < 0 || length > max)
            {
                throw new CorruptSnapshotException(file, what + " length " + length + " of entry " + index +
                    " outside [0, " + max + "]");
            }
            return length;
        }

        byte[] readBytes(final int length) throws IOException
        {
            require(length);
            final byte[] bytes = new byte[length];
            buffer.get(bytes);
            return bytes;
        }

        /** Checks the body was consumed exactly and returns its CRC. */
        int finish()
        {
            if (buffer.hasRemaining() || filePosition != bodyEnd)
            {
                throw new CorruptSnapshotException(file, "entries end at byte " + (filePosition - buffer.remaining()) +
                    " but the body ends at byte " + bodyEnd);
            }
            return (int)crc.getValue();
        }
    }
}
