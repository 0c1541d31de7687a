package io.logship.format;

/**
 * Layout of one record inside a batch (little-endian, no padding):
 *
 * <pre>
 *  +---------------+---------------+
 *  |  Type (int8)  | Attrs (int8)  |
 *  +---------------+---------------+-------------------------------+
 *  |  [Client Id (int64), Sequence (int64)] when ATTR_IDEMPOTENT   |
 *  +---------------------------------------------------------------+
 *  |                       Key Length (int32)                      |
 *  +---------------------------------------------------------------+
 *  |                       Key bytes ...                         ...
 *  +---------------------------------------------------------------+
 *  |            Value Length (int32, 0 for DELETE/NOOP)            |
 *  +---------------------------------------------------------------+
 *  |                       Value bytes ...                       ...
 * </pre>
 *
 * The optional client id and sequence carry an idempotent write's identity into the log, so the
 * de-duplication table is rebuilt by replaying the log like every other piece of replicated state.
 * A record's offset is its batch's base offset plus its index in the batch; it is not stored.
 */
public final class RecordDescriptor
{
    public static final int TYPE_OFFSET = 0;
    public static final int ATTRIBUTES_OFFSET = 1;
    public static final int FIXED_HEADER_LENGTH = 2;
    public static final int IDEMPOTENCE_LENGTH = Long.BYTES + Long.BYTES;

    /** Attribute bit: a client id and sequence number follow the fixed header. */
    public static final byte ATTR_IDEMPOTENT = 1;

    /** Smallest possible record: type, attributes, empty key, empty value. */
    public static final int MIN_RECORD_LENGTH = FIXED_HEADER_LENGTH + Integer.BYTES + Integer.BYTES;

    /** Keys are bounded so a key always fits the store's and the wire's fixed buffers. */
    public static final int MAX_KEY_LENGTH = 1024;

    /** Values are bounded so one record always fits in one batch. */
    public static final int MAX_VALUE_LENGTH = 1024 * 1024;

    private RecordDescriptor()
    {
    }

    /** Encoded size of a record with these lengths. */
    public static int recordLength(final int keyLength, final int valueLength, final boolean idempotent)
    {
        return FIXED_HEADER_LENGTH + (idempotent ? IDEMPOTENCE_LENGTH : 0) + Integer.BYTES + keyLength +
            Integer.BYTES + valueLength;
    }
}
