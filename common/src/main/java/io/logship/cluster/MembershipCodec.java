package io.logship.cluster;

import io.logship.LogshipException;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The one binary form of a {@link Membership}: the value of a membership change record, the {@code members}
 * field of a status answer, and (as a list of offset + configuration) the node's persisted membership history
 * (docs/DESIGN.md#membership). Little-endian:
 *
 * <pre>
 *   configuration := version (int8 = 1) | count (int16) | member{count}
 *   member        := id (int32) | role (int8, {@link MemberRole#code()}) | port (int32) | hostLength (int16) | host (UTF-8)
 *   history       := version (int8 = 1) | count (int32) | (offset (int64) | length (int32) | configuration){count}
 * </pre>
 *
 * Stateless and thread-safe. Decoding checks every length against the bytes present and names what is wrong.
 */
public final class MembershipCodec
{
    public static final byte VERSION = 1;
    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    private static final int MAX_HOST_LENGTH = 255;

    private MembershipCodec()
    {
    }

    /** Encodes {@code membership} into a new array. */
    public static byte[] encode(final Membership membership)
    {
        final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(64);
        final int length = encode(membership, buffer, 0);
        final byte[] bytes = new byte[length];
        buffer.getBytes(0, bytes);
        return bytes;
    }

    /** Encodes {@code membership} at {@code offset}; returns the number of bytes written. */
    public static int encode(final Membership membership, final MutableDirectBuffer buffer, final int offset)
    {
        int position = offset;
        buffer.putByte(position, VERSION);
        position += Byte.BYTES;
        buffer.putShort(position, (short)membership.members().size(), ORDER);
        position += Short.BYTES;
        for (final Member member : membership.members())
        {
            final byte[] host = member.host().getBytes(StandardCharsets.UTF_8);
            if (host.length > MAX_HOST_LENGTH)
            {
                throw new LogshipException("member " + member.id() + " host is " + host.length +
                    " bytes: at most " + MAX_HOST_LENGTH + " allowed", LogshipException.Category.ERROR);
            }
            buffer.putInt(position, member.id(), ORDER);
            position += Integer.BYTES;
            buffer.putByte(position, member.role().code());
            position += Byte.BYTES;
            buffer.putInt(position, member.port(), ORDER);
            position += Integer.BYTES;
            buffer.putShort(position, (short)host.length, ORDER);
            position += Short.BYTES;
            buffer.putBytes(position, host);
            position += host.length;
        }
        return position - offset;
    }

    /** Decodes a configuration of {@code array}. */
    public static Membership decode(final byte[] array)
    {
        return decode(new UnsafeBuffer(array), 0, array.length);
    }

    /**
     * Decodes the configuration of exactly {@code length} bytes at {@code offset}.
     *
     * @throws LogshipException (ERROR) naming the field, the value found and what was expected.
     */
    public static Membership decode(final DirectBuffer buffer, final int offset, final int length)
    {
        final int end = offset + length;
        int position = offset;
        need(position, Byte.BYTES + Short.BYTES, end, "header");
        final byte version = buffer.getByte(position);
        if (version != VERSION)
        {
            throw bad("version " + version + ", expected " + VERSION);
        }
        position += Byte.BYTES;
        final int count = buffer.getShort(position, ORDER);
        position += Short.BYTES;
        if (count < 1)
        {
            throw bad("member count " + count + ", expected ≥ 1");
        }
        final List<Member> members = new ArrayList<>(count);
        for (int i = 0; i < count; i++)
        {
            need(position, Integer.BYTES + Byte.BYTES + Integer.BYTES + Short.BYTES, end, "member " + i);
            final int id = buffer.getInt(position, ORDER);
            position += Integer.BYTES;
            final byte roleCode = buffer.getByte(position);
            final MemberRole role = MemberRole.get(roleCode);
            if (null == role)
            {
                throw bad("member " + id + " role code " + roleCode + ", expected 1 (voter) or 2 (learner)");
            }
            position += Byte.BYTES;
            final int port = buffer.getInt(position, ORDER);
            position += Integer.BYTES;
            final int hostLength = buffer.getShort(position, ORDER);
            position += Short.BYTES;
            if (hostLength < 1 || hostLength > MAX_HOST_LENGTH)
            {
                throw bad("member " + id + " host length " + hostLength + ", expected [1, " + MAX_HOST_LENGTH + "]");
            }
            need(position, hostLength, end, "member " + id + " host");
            members.add(new Member(id, buffer.getStringWithoutLengthUtf8(position, hostLength), port, role));
            position += hostLength;
        }
        if (position != end)
        {
            throw bad((end - position) + " bytes left after " + count + " members, expected none");
        }
        return new Membership(members);
    }

    /** Encodes a membership history ({@link MembershipLog#entries()}) into a new array. */
    public static byte[] encodeHistory(final List<MembershipLog.Entry> entries)
    {
        final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(128);
        int position = 0;
        buffer.putByte(position, VERSION);
        position += Byte.BYTES;
        buffer.putInt(position, entries.size(), ORDER);
        position += Integer.BYTES;
        for (final MembershipLog.Entry entry : entries)
        {
            buffer.putLong(position, entry.offset(), ORDER);
            position += Long.BYTES;
            final int length = encode(entry.membership(), buffer, position + Integer.BYTES);
            buffer.putInt(position, length, ORDER);
            position += Integer.BYTES + length;
        }
        final byte[] bytes = new byte[position];
        buffer.getBytes(0, bytes);
        return bytes;
    }

    /**
     * Decodes a membership history written by {@link #encodeHistory}.
     *
     * @throws LogshipException (ERROR) naming the field, the value found and what was expected.
     */
    public static List<MembershipLog.Entry> decodeHistory(final byte[] array)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(array);
        final int end = array.length;
        int position = 0;
        need(position, Byte.BYTES + Integer.BYTES, end, "history header");
        final byte version = buffer.getByte(position);
        if (version != VERSION)
        {
            throw bad("history version " + version + ", expected " + VERSION);
        }
        position += Byte.BYTES;
        final int count = buffer.getInt(position, ORDER);
        position += Integer.BYTES;
        if (count < 1 || count > end)
        {
            throw bad("history entry count " + count + ", expected [1, " + end + "]");
        }
        final List<MembershipLog.Entry> entries = new ArrayList<>(count);
        for (int i = 0; i < count; i++)
        {
            need(position, Long.BYTES + Integer.BYTES, end, "history entry " + i);
            final long offset = buffer.getLong(position, ORDER);
            position += Long.BYTES;
            final int length = buffer.getInt(position, ORDER);
            position += Integer.BYTES;
            need(position, length, end, "history entry " + i + " configuration");
            entries.add(new MembershipLog.Entry(offset, decode(buffer, position, length)));
            position += length;
        }
        if (position != end)
        {
            throw bad((end - position) + " bytes left after " + count + " history entries, expected none");
        }
        return entries;
    }

    private static void need(final int position, final int wanted, final int end, final String what)
    {
        if (wanted < 0 || position + wanted > end)
        {
            throw bad(what + " needs " + wanted + " bytes at " + position + " but the configuration ends at " + end);
        }
    }

    private static LogshipException bad(final String detail)
    {
        return new LogshipException("membership encoding: " + detail, LogshipException.Category.ERROR);
    }
}
