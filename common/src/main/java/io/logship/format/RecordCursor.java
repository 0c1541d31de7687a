package io.logship.format;

import io.logship.LogshipException;
import org.agrona.DirectBuffer;

import static io.logship.format.BatchDescriptor.BYTE_ORDER;

/**
 * Walks the records of one batch in place, without copying or allocating: {@link #wrap} a batch,
 * then {@link #next()} until it returns false and read the current record's fields. Checks every
 * length against the batch bounds, so a batch whose checksum passed but whose records do not add up
 * (a writer bug) fails loudly instead of reading neighbouring memory. Not thread-safe.
 */
public final class RecordCursor
{
    private DirectBuffer buffer;
    private int batchOffset;
    private int batchEnd;
    private long baseOffset;
    private int recordCount;
    private int index;
    private int position;

    private RecordType type;
    private boolean idempotent;
    private long clientId;
    private long sequence;
    private int keyOffset;
    private int keyLength;
    private int valueOffset;
    private int valueLength;

    /** Positions the cursor before the first record of the batch at {@code offset}. */
    public RecordCursor wrap(final DirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.batchOffset = offset;
        this.batchEnd = offset + BatchDescriptor.length(buffer, offset);
        this.baseOffset = BatchDescriptor.baseOffset(buffer, offset);
        this.recordCount = BatchDescriptor.recordCount(buffer, offset);
        this.index = -1;
        this.position = offset + BatchDescriptor.HEADER_LENGTH;
        return this;
    }

    /** Advances to the next record; false when the batch is exhausted. */
    public boolean next()
    {
        if (index + 1 >= recordCount)
        {
            if (position != batchEnd)
            {
                throw malformed("records end at " + (position - batchOffset) + " but batch length is " +
                    (batchEnd - batchOffset));
            }
            return false;
        }
        index++;
        int p = position;
        require(p, RecordDescriptor.FIXED_HEADER_LENGTH);
        final byte code = buffer.getByte(p + RecordDescriptor.TYPE_OFFSET);
        type = RecordType.get(code);
        if (null == type)
        {
            throw malformed("unknown record type " + code);
        }
        final byte attributes = buffer.getByte(p + RecordDescriptor.ATTRIBUTES_OFFSET);
        p += RecordDescriptor.FIXED_HEADER_LENGTH;
        idempotent = (attributes & RecordDescriptor.ATTR_IDEMPOTENT) != 0;
        if (idempotent)
        {
            require(p, RecordDescriptor.IDEMPOTENCE_LENGTH);
            clientId = buffer.getLong(p, BYTE_ORDER);
            sequence = buffer.getLong(p + Long.BYTES, BYTE_ORDER);
            p += RecordDescriptor.IDEMPOTENCE_LENGTH;
        }
        else
        {
            clientId = 0;
            sequence = 0;
        }
        require(p, Integer.BYTES);
        keyLength = buffer.getInt(p, BYTE_ORDER);
        p += Integer.BYTES;
        if (keyLength < 0 || keyLength > RecordDescriptor.MAX_KEY_LENGTH)
        {
            throw malformed("key length " + keyLength);
        }
        require(p, keyLength);
        keyOffset = p;
        p += keyLength;
        require(p, Integer.BYTES);
        valueLength = buffer.getInt(p, BYTE_ORDER);
        p += Integer.BYTES;
        if (valueLength < 0 || valueLength > RecordDescriptor.MAX_VALUE_LENGTH)
        {
            throw malformed("value length " + valueLength);
        }
        require(p, valueLength);
        valueOffset = p;
        p += valueLength;
        position = p;
        return true;
    }

    private void require(final int at, final int bytes)
    {
        if (at + bytes > batchEnd)
        {
            throw malformed("field of " + bytes + " bytes at " + (at - batchOffset) + " overruns the batch");
        }
    }

    private LogshipException malformed(final String detail)
    {
        return new LogshipException("malformed record " + index + " in batch at offset " + baseOffset + ": " + detail,
            LogshipException.Category.FATAL);
    }

    /** Log offset of the current record. */
    public long offset()
    {
        return baseOffset + index;
    }

    public RecordType type()
    {
        return type;
    }

    public boolean idempotent()
    {
        return idempotent;
    }

    public long clientId()
    {
        return clientId;
    }

    public long sequence()
    {
        return sequence;
    }

    public DirectBuffer buffer()
    {
        return buffer;
    }

    public int keyOffset()
    {
        return keyOffset;
    }

    public int keyLength()
    {
        return keyLength;
    }

    public int valueOffset()
    {
        return valueOffset;
    }

    public int valueLength()
    {
        return valueLength;
    }

    public byte[] keyBytes()
    {
        final byte[] bytes = new byte[keyLength];
        buffer.getBytes(keyOffset, bytes);
        return bytes;
    }

    public byte[] valueBytes()
    {
        final byte[] bytes = new byte[valueLength];
        buffer.getBytes(valueOffset, bytes);
        return bytes;
    }
}
