package io.logship.transport.auth;

import io.logship.transport.TransportException;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs and verifies messages with HMAC-SHA256 over the cluster secret. The 32-byte tag follows the
 * SBE message inside the same Aeron message:
 *
 * <pre>
 *  +------------------------------+---------------------------------+
 *  | SBE header + message (n)     | HMAC-SHA256(secret, bytes 0..n) |
 *  |                              | 32 bytes                        |
 *  +------------------------------+---------------------------------+
 * </pre>
 *
 * The tag covers the SBE header too, so a template id or version cannot be changed in flight. There
 * is no nonce: a captured message can be replayed; epochs make replayed replication and election
 * messages harmless (a stale epoch is refused), and admin requests are idempotent by design.
 *
 * <p>One instance per thread: it reuses one {@link Mac} and scratch arrays and is not thread-safe.
 * Message bytes are fed to the Mac from the backing array when there is one, else copied through a
 * 64 KiB scratch array, so nothing is allocated per message by this class (the JDK's HmacCore still
 * allocates a 32-byte digest internally per {@code doFinal}). Tags are compared in constant time.
 */
public final class Authenticator
{
    public static final int TAG_LENGTH = 32;
    public static final String ALGORITHM = "HmacSHA256";

    private static final int SCRATCH_LENGTH = 64 * 1024;

    private final Mac mac;
    private final byte[] scratch = new byte[SCRATCH_LENGTH];
    private final byte[] expectedTag = new byte[TAG_LENGTH];
    private final byte[] receivedTag = new byte[TAG_LENGTH];
    private final UnsafeBuffer tagBuffer = new UnsafeBuffer(new byte[TAG_LENGTH]);

    public Authenticator(final ClusterSecret secret)
    {
        try
        {
            mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(secret.key(), ALGORITHM));
        }
        catch (final GeneralSecurityException ex)
        {
            throw new TransportException("cannot initialise " + ALGORITHM + ": " + ex, TransportException.Category.FATAL, ex);
        }
    }

    /**
     * Computes the tag of {@code buffer[offset, offset + length)} into an internal 32-byte buffer, valid
     * until the next call; suits {@code Publication.offer(message, tag)}.
     */
    public DirectBuffer sign(final DirectBuffer buffer, final int offset, final int length)
    {
        computeTag(buffer, offset, length, tagBuffer.byteArray());
        return tagBuffer;
    }

    /** Writes the tag of {@code buffer[offset, offset + length)} at {@code offset + length}. */
    public void signInPlace(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        computeTag(buffer, offset, length, expectedTag);
        buffer.putBytes(offset + length, expectedTag);
    }

    /**
     * Verifies a frame whose last {@link #TAG_LENGTH} bytes are the tag of the bytes before them.
     *
     * @return true if the frame is long enough and the tag matches.
     */
    public boolean verify(final DirectBuffer buffer, final int offset, final int frameLength)
    {
        final int messageLength = frameLength - TAG_LENGTH;
        if (messageLength < 0)
        {
            return false;
        }
        computeTag(buffer, offset, messageLength, expectedTag);
        buffer.getBytes(offset + messageLength, receivedTag);
        return MessageDigest.isEqual(expectedTag, receivedTag);
    }

    private void computeTag(final DirectBuffer buffer, final int offset, final int length, final byte[] tag)
    {
        final byte[] array = buffer.byteArray();
        if (null != array)
        {
            mac.update(array, buffer.wrapAdjustment() + offset, length);
        }
        else
        {
            int position = offset;
            int remaining = length;
            while (remaining > 0)
            {
                final int chunk = Math.min(remaining, SCRATCH_LENGTH);
                buffer.getBytes(position, scratch, 0, chunk);
                mac.update(scratch, 0, chunk);
                position += chunk;
                remaining -= chunk;
            }
        }

        try
        {
            mac.doFinal(tag, 0);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new TransportException("HMAC failed: " + ex, TransportException.Category.FATAL, ex);
        }
    }
}
