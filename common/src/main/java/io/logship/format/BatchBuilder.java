package io.logship.format;

import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import static io.logship.format.BatchDescriptor.BYTE_ORDER;
import static io.logship.format.BatchDescriptor.HEADER_LENGTH;

/**
 * Encodes records into one batch in a reusable off-heap buffer: {@link #reset}, add records, then
 * {@link #build} writes the header and checksum. The base offset is left at zero; the log stamps it
 * on append. Not thread-safe; one builder per writer, reused for every batch, so the write path
 * allocates nothing.
 *
 * <p>A client builds its batches straight into the message it sends ({@link #BatchBuilder(UnsafeBuffer)}),
 * and the leader's journal adds such a batch's records, already in this format, with one copy
 * ({@link #appendRecords}).
 */
public final class BatchBuilder
{
    private final UnsafeBuffer buffer;
    private int epoch;
    private long firstTimestampMs;
    private short flags;
    private int recordCount;
    private int position;

    /** @param capacity largest batch this builder will produce, in bytes (at most {@link BatchDescriptor#MAX_BATCH_LENGTH}). */
    public BatchBuilder(final int capacity)
    {
        if (capacity < HEADER_LENGTH + RecordDescriptor.MIN_RECORD_LENGTH || capacity > BatchDescriptor.MAX_BATCH_LENGTH)
        {
            throw new IllegalArgumentException("batch capacity " + capacity + " outside [" +
                (HEADER_LENGTH + RecordDescriptor.MIN_RECORD_LENGTH) + ", " + BatchDescriptor.MAX_BATCH_LENGTH + "]");
        }
        buffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(org.agrona.BitUtil.align(capacity, 64), 64), 0, capacity);
        reset(0, 0);
    }

    /**
     * A builder that writes into {@code target}, which the caller owns: the batch is built at its byte 0 and may
     * take all of its capacity. The caller may re-wrap {@code target} (for a message's bytes) before each
     * {@link #reset}, so a batch is encoded where it is sent from, with no copy.
     */
    public BatchBuilder(final UnsafeBuffer target)
    {
        buffer = target;
        reset(0, 0);
    }

    /** Starts a new batch, discarding anything not yet built. */
    public BatchBuilder reset(final int epoch, final long firstTimestampMs)
    {
        this.epoch = epoch;
        this.firstTimestampMs = firstTimestampMs;
        this.flags = 0;
        this.recordCount = 0;
        this.position = HEADER_LENGTH;
        return this;
    }

    public BatchBuilder flags(final short flags)
    {
        this.flags = flags;
        return this;
    }

    public int recordCount()
    {
        return recordCount;
    }

    /** Bytes the batch would occupy if built now. */
    public int length()
    {
        return position;
    }

    public int capacity()
    {
        return buffer.capacity();
    }

    public boolean isEmpty()
    {
        return 0 == recordCount;
    }

    /** Whether a record with these lengths still fits. */
    public boolean fits(final int keyLength, final int valueLength, final boolean idempotent)
    {
        return position + RecordDescriptor.recordLength(keyLength, valueLength, idempotent) <= buffer.capacity();
    }

    /** Appends a PUT; returns false, changing nothing, if it does not fit. */
    public boolean put(
        final DirectBuffer key, final int keyOffset, final int keyLength,
        final DirectBuffer value, final int valueOffset, final int valueLength)
    {
        return append(RecordType.PUT, false, 0, 0, key, keyOffset, keyLength, value, valueOffset, valueLength);
    }

    public boolean put(final byte[] key, final byte[] value)
    {
        return append(RecordType.PUT, false, 0, 0, new UnsafeBuffer(key), 0, key.length,
            new UnsafeBuffer(value), 0, value.length);
    }

    public boolean delete(final DirectBuffer key, final int keyOffset, final int keyLength)
    {
        return append(RecordType.DELETE, false, 0, 0, key, keyOffset, keyLength, null, 0, 0);
    }

    public boolean delete(final byte[] key)
    {
        return delete(new UnsafeBuffer(key), 0, key.length);
    }

    public boolean noop()
    {
        return append(RecordType.NOOP, false, 0, 0, null, 0, 0, null, 0, 0);
    }

    /**
     * Appends a record of any type. With {@code idempotent}, the client id and sequence are stored
     * so the de-duplication table can be rebuilt from the log. Returns false if it does not fit.
     *
     * @throws IllegalArgumentException if the key or value exceeds its limit (bad input, named).
     */
    public boolean append(
        final RecordType type,
        final boolean idempotent,
        final long clientId,
        final long sequence,
        final DirectBuffer key, final int keyOffset, final int keyLength,
        final DirectBuffer value, final int valueOffset, final int valueLength)
    {
        if (keyLength < 0 || keyLength > RecordDescriptor.MAX_KEY_LENGTH)
        {
            throw new IllegalArgumentException(
                "key length " + keyLength + " outside [0, " + RecordDescriptor.MAX_KEY_LENGTH + "]");
        }
        if (valueLength < 0 || valueLength > RecordDescriptor.MAX_VALUE_LENGTH)
        {
            throw new IllegalArgumentException(
                "value length " + valueLength + " outside [0, " + RecordDescriptor.MAX_VALUE_LENGTH + "]");
        }
        if (!fits(keyLength, valueLength, idempotent))
        {
            return false;
        }

        final UnsafeBuffer buffer = this.buffer;
        int p = position;
        buffer.putByte(p + RecordDescriptor.TYPE_OFFSET, type.code());
        buffer.putByte(p + RecordDescriptor.ATTRIBUTES_OFFSET, idempotent ? RecordDescriptor.ATTR_IDEMPOTENT : 0);
        p += RecordDescriptor.FIXED_HEADER_LENGTH;
        if (idempotent)
        {
            buffer.putLong(p, clientId, BYTE_ORDER);
            buffer.putLong(p + Long.BYTES, sequence, BYTE_ORDER);
            p += RecordDescriptor.IDEMPOTENCE_LENGTH;
        }
        buffer.putInt(p, keyLength, BYTE_ORDER);
        p += Integer.BYTES;
        if (keyLength > 0)
        {
            buffer.putBytes(p, key, keyOffset, keyLength);
            p += keyLength;
        }
        buffer.putInt(p, valueLength, BYTE_ORDER);
        p += Integer.BYTES;
        if (valueLength > 0)
        {
            buffer.putBytes(p, value, valueOffset, valueLength);
            p += valueLength;
        }
        position = p;
        recordCount++;
        return true;
    }

    /**
     * Appends {@code count} records that are already in this format ({@link RecordDescriptor}), the
     * {@code length} bytes at {@code offset} of {@code source}, with one copy. The caller has checked them
     * (a client's batch is checked record by record before it reaches the journal). Returns false, changing
     * nothing, if they do not fit.
     */
    public boolean appendRecords(final DirectBuffer source, final int offset, final int length, final int count)
    {
        if (count <= 0 || length < count * RecordDescriptor.MIN_RECORD_LENGTH)
        {
            throw new IllegalArgumentException(count + " records cannot take " + length + " bytes");
        }
        if (position + length > buffer.capacity())
        {
            return false;
        }
        buffer.putBytes(position, source, offset, length);
        position += length;
        recordCount += count;
        return true;
    }

    /**
     * Drops every record appended since the batch was {@code length} bytes long with {@code recordCount} records
     * (a {@link #length()} and {@link #recordCount()} read earlier), so a caller that must add a group of records
     * all or none can take back a group that went in only in part.
     *
     * @throws IllegalArgumentException if the batch was never that long with that many records.
     */
    public void truncate(final int length, final int recordCount)
    {
        if (length < HEADER_LENGTH || length > position || recordCount < 0 || recordCount > this.recordCount ||
            (recordCount == this.recordCount) != (length == position))
        {
            throw new IllegalArgumentException("cannot truncate a batch of " + position + " bytes and " +
                this.recordCount + " records to " + length + " bytes and " + recordCount + " records");
        }
        position = length;
        this.recordCount = recordCount;
    }

    /**
     * Writes the header and CRC and returns the batch length. The batch is {@link #buffer()} bytes
     * {@code [0, length)}; its base offset is zero until the log stamps it.
     *
     * @throws IllegalStateException if the batch has no records: an empty batch has no offset.
     */
    public int build()
    {
        if (0 == recordCount)
        {
            throw new IllegalStateException("cannot build an empty batch");
        }
        final MutableDirectBuffer buffer = this.buffer;
        buffer.putLong(BatchDescriptor.BASE_OFFSET_OFFSET, 0L, BYTE_ORDER);
        buffer.putInt(BatchDescriptor.LENGTH_OFFSET, position, BYTE_ORDER);
        buffer.putInt(BatchDescriptor.EPOCH_OFFSET, epoch, BYTE_ORDER);
        buffer.putInt(BatchDescriptor.RECORD_COUNT_OFFSET, recordCount, BYTE_ORDER);
        buffer.putLong(BatchDescriptor.FIRST_TIMESTAMP_OFFSET, firstTimestampMs, BYTE_ORDER);
        buffer.putShort(BatchDescriptor.FLAGS_OFFSET, flags, BYTE_ORDER);
        buffer.putByte(BatchDescriptor.MAGIC_OFFSET, BatchDescriptor.MAGIC);
        buffer.putByte(BatchDescriptor.RESERVED_OFFSET, (byte)0);
        buffer.putInt(BatchDescriptor.CRC_OFFSET, BatchDescriptor.computeCrc(buffer, 0, position), BYTE_ORDER);
        return position;
    }

    /** The buffer holding the batch under construction; valid until the next {@link #reset}. */
    public UnsafeBuffer buffer()
    {
        return buffer;
    }
}
