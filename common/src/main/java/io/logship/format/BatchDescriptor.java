package io.logship.format;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * Layout of a batch, the unit of append, replication and checksum. All fields little-endian.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                      Base Offset (int64)                      |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                  Batch Length (int32, bytes)                  |
 *  +---------------------------------------------------------------+
 *  |          CRC32C of bytes [CRC_COVERED_OFFSET, length)         |
 *  +---------------------------------------------------------------+  &lt;- CRC covers from here
 *  |                     Leader Epoch (int32)                      |
 *  +---------------------------------------------------------------+
 *  |                     Record Count (int32)                      |
 *  +---------------------------------------------------------------+
 *  |                First Timestamp (int64, epoch ms)              |
 *  |                                                               |
 *  +-------------------------------+---------------+---------------+
 *  |         Flags (int16)         | Magic (int8)  | Reserved (0)  |
 *  +-------------------------------+---------------+---------------+
 *  |                      Records ...                            ...
 * </pre>
 *
 * The base offset sits outside the checksum, as in Kafka, so the leader can stamp it at append time
 * without re-hashing the batch. Length counts the whole batch, header included, so a reader can
 * skip to the next batch with {@code position + length}. Records follow the layout in
 * {@link RecordDescriptor}. Followers store the leader's batches unchanged, so two logs agree exactly
 * when their bytes agree.
 */
public final class BatchDescriptor
{
    /** Byte order of every multi-byte field in a batch. */
    public static final ByteOrder BYTE_ORDER = ByteOrder.LITTLE_ENDIAN;

    public static final int BASE_OFFSET_OFFSET = 0;
    public static final int LENGTH_OFFSET = BASE_OFFSET_OFFSET + Long.BYTES;
    public static final int CRC_OFFSET = LENGTH_OFFSET + Integer.BYTES;
    public static final int EPOCH_OFFSET = CRC_OFFSET + Integer.BYTES;
    public static final int RECORD_COUNT_OFFSET = EPOCH_OFFSET + Integer.BYTES;
    public static final int FIRST_TIMESTAMP_OFFSET = RECORD_COUNT_OFFSET + Integer.BYTES;
    public static final int FLAGS_OFFSET = FIRST_TIMESTAMP_OFFSET + Long.BYTES;
    public static final int MAGIC_OFFSET = FLAGS_OFFSET + Short.BYTES;
    public static final int RESERVED_OFFSET = MAGIC_OFFSET + Byte.BYTES;
    public static final int HEADER_LENGTH = RESERVED_OFFSET + Byte.BYTES;

    /** The checksum covers everything from the epoch to the end of the batch. */
    public static final int CRC_COVERED_OFFSET = EPOCH_OFFSET;

    /** Format version of this layout; a batch with another magic is rejected, naming both values. */
    public static final byte MAGIC = 1;

    /**
     * Upper bound on one batch. It bounds the buffers every reader and follower must hold and keeps a
     * corrupt length field from sending recovery off the end of a segment. 16 MiB is far above the
     * 512-record batches of 1 KiB values the pipeline builds (about 520 KiB).
     */
    public static final int MAX_BATCH_LENGTH = 16 * 1024 * 1024;

    /** Flag bit: the batch was written by a leader to open its epoch (a NOOP-only batch). */
    public static final short FLAG_EPOCH_START = 1;

    /** Flag bit: the batch holds one {@link RecordType#MEMBERS} record, a cluster configuration change. */
    public static final short FLAG_MEMBERSHIP = 2;

    private BatchDescriptor()
    {
    }

    public static long baseOffset(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + BASE_OFFSET_OFFSET, BYTE_ORDER);
    }

    public static void baseOffset(final MutableDirectBuffer buffer, final int offset, final long baseOffset)
    {
        buffer.putLong(offset + BASE_OFFSET_OFFSET, baseOffset, BYTE_ORDER);
    }

    public static int length(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + LENGTH_OFFSET, BYTE_ORDER);
    }

    public static int crc(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + CRC_OFFSET, BYTE_ORDER);
    }

    public static int epoch(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + EPOCH_OFFSET, BYTE_ORDER);
    }

    public static int recordCount(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + RECORD_COUNT_OFFSET, BYTE_ORDER);
    }

    public static long firstTimestamp(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + FIRST_TIMESTAMP_OFFSET, BYTE_ORDER);
    }

    public static short flags(final DirectBuffer buffer, final int offset)
    {
        return buffer.getShort(offset + FLAGS_OFFSET, BYTE_ORDER);
    }

    public static byte magic(final DirectBuffer buffer, final int offset)
    {
        return buffer.getByte(offset + MAGIC_OFFSET);
    }

    /** Offset one past the last record of the batch at {@code offset}. */
    public static long nextOffset(final DirectBuffer buffer, final int offset)
    {
        return baseOffset(buffer, offset) + recordCount(buffer, offset);
    }

    /** CRC32C of the covered part of a batch of {@code length} bytes at {@code offset}. */
    public static int computeCrc(final DirectBuffer buffer, final int offset, final int length)
    {
        return Crc32cState.INSTANCE.get().compute(buffer, offset + CRC_COVERED_OFFSET, length - CRC_COVERED_OFFSET);
    }

    /**
     * Per-thread CRC32C engine and reusable views of the last few buffers hashed, so checksumming a
     * direct buffer allocates nothing (one thread may alternate several: a node that runs its journal
     * and conductor on one thread builds, reads and receives batches in three buffers). The JDK's {@link CRC32C} is an intrinsic for both arrays and
     * direct buffers; Agrona's address-based Crc32c would need {@code --add-opens java.util.zip} on
     * every JVM, which is one flag too many for operators.
     */
    private static final class Crc32cState
    {
        static final ThreadLocal<Crc32cState> INSTANCE = ThreadLocal.withInitial(Crc32cState::new);

        private final CRC32C crc = new CRC32C();
        private static final int VIEW_SLOTS = 4;

        private final java.nio.ByteBuffer[] sources = new java.nio.ByteBuffer[VIEW_SLOTS];
        private final java.nio.ByteBuffer[] views = new java.nio.ByteBuffer[VIEW_SLOTS];
        private int nextSlot;

        int compute(final DirectBuffer buffer, final int from, final int length)
        {
            crc.reset();
            final byte[] array = buffer.byteArray();
            if (null != array)
            {
                crc.update(array, (int)buffer.wrapAdjustment() + from, length);
                return (int)crc.getValue();
            }
            final java.nio.ByteBuffer underlying = buffer.byteBuffer();
            if (null == underlying)
            {
                final byte[] copy = new byte[length];
                buffer.getBytes(from, copy);
                crc.update(copy, 0, length);
                return (int)crc.getValue();
            }
            final java.nio.ByteBuffer view = viewOf(underlying);
            final int start = (int)buffer.wrapAdjustment() + from;
            view.limit(start + length).position(start);
            crc.update(view);
            return (int)crc.getValue();
        }

        private java.nio.ByteBuffer viewOf(final java.nio.ByteBuffer underlying)
        {
            for (int i = 0; i < VIEW_SLOTS; i++)
            {
                if (sources[i] == underlying)
                {
                    return views[i];
                }
            }
            final int slot = nextSlot;
            nextSlot = (slot + 1) % VIEW_SLOTS;
            sources[slot] = underlying;
            views[slot] = underlying.duplicate();
            return views[slot];
        }
    }

    /**
     * Checks a batch's header and checksum. Returns {@code null} if the batch is whole and valid, or a
     * reason naming the field, the value found and what was expected.
     *
     * @param available bytes readable from {@code offset}: a batch longer than this is torn.
     */
    public static String validate(final DirectBuffer buffer, final int offset, final int available)
    {
        if (available < HEADER_LENGTH)
        {
            return "short header: " + available + " bytes, need " + HEADER_LENGTH;
        }
        final int length = length(buffer, offset);
        if (length < HEADER_LENGTH || length > MAX_BATCH_LENGTH)
        {
            return "batch length " + length + " outside [" + HEADER_LENGTH + ", " + MAX_BATCH_LENGTH + "]";
        }
        if (length > available)
        {
            return "batch length " + length + " but only " + available + " bytes present";
        }
        final byte magic = magic(buffer, offset);
        if (magic != MAGIC)
        {
            return "magic " + magic + ", expected " + MAGIC;
        }
        final int count = recordCount(buffer, offset);
        if (count <= 0 || count > (length - HEADER_LENGTH) / RecordDescriptor.MIN_RECORD_LENGTH)
        {
            return "record count " + count + " impossible for a batch of " + length + " bytes";
        }
        final int stored = crc(buffer, offset);
        final int computed = computeCrc(buffer, offset, length);
        if (stored != computed)
        {
            return "CRC32C stored 0x" + Integer.toHexString(stored) + ", computed 0x" + Integer.toHexString(computed);
        }
        return null;
    }
}
