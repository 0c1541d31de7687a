package io.logship.kv;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * Layout of a snapshot file, {@code snapshots/<20-digit applied offset>.snap}. All fields
 * little-endian, like the log's batches.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+  header, HEADER_LENGTH bytes
 *  |                 Magic (int64, ASCII "LGSHSNAP")               |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                        Version (int32)                        |
 *  +---------------------------------------------------------------+
 *  |                 Header Length (int32, bytes)                  |
 *  +---------------------------------------------------------------+
 *  |     Applied Offset (int64): next log offset to apply on top   |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                   Key/Value Entry Count (int64)               |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                  De-duplication Entry Count (int64)           |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                        Reserved (int32, 0)                    |
 *  +---------------------------------------------------------------+
 *  |             Header CRC32C of header bytes [0, 44)             |
 *  +---------------------------------------------------------------+  body starts
 *  |  Key/value entries, Entry Count times:                        |
 *  |    Key Length (int32) | Key bytes | Value Length (int32) | Value bytes (the writing record's offset, int64 LE, then the value)
 *  +---------------------------------------------------------------+
 *  |  De-duplication entries, De-duplication Entry Count times:    |
 *  |    Client Id (int64) | Last Sequence (int64) | Offset of that record (int64)
 *  +---------------------------------------------------------------+  trailer, TRAILER_LENGTH bytes
 *  |         Total Entry Count (int64, key/value + dedup)          |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                    Body Length (int64, bytes)                 |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                CRC32C of the whole body (int32)               |
 *  +---------------------------------------------------------------+
 *  |                       Reserved (int32, 0)                     |
 *  +---------------------------------------------------------------+
 *  |               End Magic (int64, ASCII "SNAPEND.")             |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * Why this shape: the writer streams entries straight out of MapDB without knowing the counts in
 * advance, so it leaves the header zeroed, writes body and trailer, then fills in the header at
 * position 0 before the fsync. A file is valid only if the header CRC matches, the end magic sits
 * exactly at {@code fileLength - TRAILER_LENGTH}, {@code HEADER_LENGTH + bodyLength +
 * TRAILER_LENGTH == fileLength}, the body CRC matches and the counts agree with the header: a
 * truncated file fails the trailer checks, a flipped bit fails a CRC. One CRC over the whole body
 * (rather than per chunk) keeps the format simple; a corrupt snapshot is skipped as a whole anyway.
 * Entry order is MapDB's iteration order, so two snapshots of equal stores need not be byte-equal.
 */
public final class SnapshotDescriptor
{
    public static final ByteOrder BYTE_ORDER = ByteOrder.LITTLE_ENDIAN;

    /** "LGSHSNAP" read as a little-endian int64. */
    public static final long MAGIC = ByteBuffer.wrap("LGSHSNAP".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
        .order(BYTE_ORDER).getLong();
    /** "SNAPEND." read as a little-endian int64. */
    public static final long END_MAGIC = ByteBuffer.wrap("SNAPEND.".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
        .order(BYTE_ORDER).getLong();
    public static final int VERSION = 1;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = MAGIC_OFFSET + Long.BYTES;
    public static final int HEADER_LENGTH_OFFSET = VERSION_OFFSET + Integer.BYTES;
    public static final int APPLIED_OFFSET_OFFSET = HEADER_LENGTH_OFFSET + Integer.BYTES;
    public static final int ENTRY_COUNT_OFFSET = APPLIED_OFFSET_OFFSET + Long.BYTES;
    public static final int DEDUP_COUNT_OFFSET = ENTRY_COUNT_OFFSET + Long.BYTES;
    public static final int HEADER_RESERVED_OFFSET = DEDUP_COUNT_OFFSET + Long.BYTES;
    public static final int HEADER_CRC_OFFSET = HEADER_RESERVED_OFFSET + Integer.BYTES;
    public static final int HEADER_LENGTH = HEADER_CRC_OFFSET + Integer.BYTES;

    public static final int TRAILER_TOTAL_COUNT_OFFSET = 0;
    public static final int TRAILER_BODY_LENGTH_OFFSET = TRAILER_TOTAL_COUNT_OFFSET + Long.BYTES;
    public static final int TRAILER_BODY_CRC_OFFSET = TRAILER_BODY_LENGTH_OFFSET + Long.BYTES;
    public static final int TRAILER_RESERVED_OFFSET = TRAILER_BODY_CRC_OFFSET + Integer.BYTES;
    public static final int TRAILER_END_MAGIC_OFFSET = TRAILER_RESERVED_OFFSET + Integer.BYTES;
    public static final int TRAILER_LENGTH = TRAILER_END_MAGIC_OFFSET + Long.BYTES;

    /** Bytes of one de-duplication entry in the body. */
    public static final int DEDUP_ENTRY_LENGTH = 3 * Long.BYTES;

    /** Suffix of a complete snapshot file. */
    public static final String SUFFIX = ".snap";
    /** Suffix of a snapshot being written or received; never read as a snapshot, removed on start. */
    public static final String TEMP_SUFFIX = ".snap.tmp";

    private SnapshotDescriptor()
    {
    }

    /** File name of the snapshot taken at {@code appliedOffset}: 20 zero-padded digits, so names sort by offset. */
    public static String fileName(final long appliedOffset)
    {
        return String.format("%020d", appliedOffset) + SUFFIX;
    }

    /** The applied offset a snapshot file name claims, or -1 if the name is not a snapshot's. */
    public static long parseFileName(final String name)
    {
        if (name.length() != 20 + SUFFIX.length() || !name.endsWith(SUFFIX))
        {
            return -1;
        }
        for (int i = 0; i < 20; i++)
        {
            if (!Character.isDigit(name.charAt(i)))
            {
                return -1;
            }
        }
        try
        {
            return Long.parseLong(name.substring(0, 20));
        }
        catch (final NumberFormatException ex)
        {
            return -1;
        }
    }

    /** Fills {@code header} (position 0, HEADER_LENGTH bytes, little-endian) including its CRC. */
    static void encodeHeader(final ByteBuffer header, final long appliedOffset, final long entryCount, final long dedupCount)
    {
        header.order(BYTE_ORDER);
        header.putLong(MAGIC_OFFSET, MAGIC);
        header.putInt(VERSION_OFFSET, VERSION);
        header.putInt(HEADER_LENGTH_OFFSET, HEADER_LENGTH);
        header.putLong(APPLIED_OFFSET_OFFSET, appliedOffset);
        header.putLong(ENTRY_COUNT_OFFSET, entryCount);
        header.putLong(DEDUP_COUNT_OFFSET, dedupCount);
        header.putInt(HEADER_RESERVED_OFFSET, 0);
        header.putInt(HEADER_CRC_OFFSET, headerCrc(header));
    }

    static int headerCrc(final ByteBuffer header)
    {
        final CRC32C crc = new CRC32C();
        crc.update(header.duplicate().position(0).limit(HEADER_CRC_OFFSET));
        return (int)crc.getValue();
    }

    /**
     * Checks a header's fixed fields. Returns null if it is well formed, or a reason naming the field,
     * the value found and what was expected.
     */
    static String validateHeader(final ByteBuffer header)
    {
        header.order(BYTE_ORDER);
        final long magic = header.getLong(MAGIC_OFFSET);
        if (magic != MAGIC)
        {
            return "magic 0x" + Long.toHexString(magic) + ", expected 0x" + Long.toHexString(MAGIC);
        }
        final int version = header.getInt(VERSION_OFFSET);
        if (version != VERSION)
        {
            return "version " + version + ", expected " + VERSION;
        }
        final int headerLength = header.getInt(HEADER_LENGTH_OFFSET);
        if (headerLength != HEADER_LENGTH)
        {
            return "header length " + headerLength + ", expected " + HEADER_LENGTH;
        }
        final int storedCrc = header.getInt(HEADER_CRC_OFFSET);
        final int computedCrc = headerCrc(header);
        if (storedCrc != computedCrc)
        {
            return "header CRC32C stored 0x" + Integer.toHexString(storedCrc) + ", computed 0x" +
                Integer.toHexString(computedCrc);
        }
        final long appliedOffset = header.getLong(APPLIED_OFFSET_OFFSET);
        final long entryCount = header.getLong(ENTRY_COUNT_OFFSET);
        final long dedupCount = header.getLong(DEDUP_COUNT_OFFSET);
        if (appliedOffset < 0 || entryCount < 0 || dedupCount < 0)
        {
            return "negative applied offset " + appliedOffset + ", entry count " + entryCount + " or dedup count " +
                dedupCount;
        }
        return null;
    }
}
