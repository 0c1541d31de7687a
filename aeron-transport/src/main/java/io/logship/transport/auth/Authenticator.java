package io.logship.transport.auth;

import io.logship.transport.TransportException;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.security.DigestException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;

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
 * <p>One instance per thread: it reuses two SHA-256 digests and its buffers and is not thread-safe. It
 * allocates nothing per message, so the replication hot path stays garbage-free: HMAC (RFC 2104) is computed
 * here over two {@link MessageDigest}s, because the JDK's {@code Mac} allocates its inner digest on every
 * {@code doFinal}. Message bytes are fed to the digest where they are: from the backing array of a heap
 * buffer, or through a reused view of the {@link ByteBuffer} behind a direct buffer (Aeron's term buffers,
 * the node's send buffer); only a buffer over a bare address is copied, in 4 KiB chunks. Tags are compared
 * in constant time.
 */
public final class Authenticator
{
    public static final int TAG_LENGTH = 32;
    public static final String ALGORITHM = "HmacSHA256";

    private static final String DIGEST = "SHA-256";
    private static final int BLOCK_LENGTH = 64;
    private static final int SCRATCH_LENGTH = 4 * 1024;
    private static final int VIEW_SLOTS = 4;

    private final MessageDigest inner;
    private final MessageDigest outer;
    private final byte[] innerPad = new byte[BLOCK_LENGTH];
    private final byte[] outerPad = new byte[BLOCK_LENGTH];
    private final byte[] innerHash = new byte[TAG_LENGTH];
    private final byte[] expectedTag = new byte[TAG_LENGTH];
    private final byte[] receivedTag = new byte[TAG_LENGTH];
    private final UnsafeBuffer tagBuffer = new UnsafeBuffer(new byte[TAG_LENGTH]);
    private byte[] scratch;
    /** Views of the last few direct ByteBuffers hashed (a node alternates a handful: term buffers, send buffer). */
    private final ByteBuffer[] viewSources = new ByteBuffer[VIEW_SLOTS];
    private final ByteBuffer[] views = new ByteBuffer[VIEW_SLOTS];
    private int nextViewSlot;

    public Authenticator(final ClusterSecret secret)
    {
        try
        {
            inner = MessageDigest.getInstance(DIGEST);
            outer = MessageDigest.getInstance(DIGEST);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new TransportException("cannot initialise " + ALGORITHM + ": " + ex, TransportException.Category.FATAL, ex);
        }
        // RFC 2104: a key longer than the block is hashed first; the key is then zero-padded to the block.
        final byte[] key = secret.key().length > BLOCK_LENGTH ? inner.digest(secret.key()) : secret.key();
        for (int i = 0; i < BLOCK_LENGTH; i++)
        {
            final byte k = i < key.length ? key[i] : 0;
            innerPad[i] = (byte)(k ^ 0x36);
            outerPad[i] = (byte)(k ^ 0x5c);
        }
        inner.reset();
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
        inner.update(innerPad);
        final byte[] array = buffer.byteArray();
        final ByteBuffer underlying = buffer.byteBuffer();
        if (null != array)
        {
            inner.update(array, (int)buffer.wrapAdjustment() + offset, length);
        }
        else if (null != underlying)
        {
            final ByteBuffer view = viewOf(underlying);
            final int start = (int)buffer.wrapAdjustment() + offset;
            view.limit(start + length).position(start);
            inner.update(view);
        }
        else
        {
            updateByCopy(buffer, offset, length);
        }
        try
        {
            inner.digest(innerHash, 0, TAG_LENGTH);
            outer.update(outerPad);
            outer.update(innerHash);
            outer.digest(tag, 0, TAG_LENGTH);
        }
        catch (final DigestException ex)
        {
            throw new TransportException("HMAC failed: " + ex, TransportException.Category.FATAL, ex);
        }
    }

    /** A reused duplicate of {@code source} (its own position and limit), made once per buffer seen recently. */
    private ByteBuffer viewOf(final ByteBuffer source)
    {
        for (int i = 0; i < VIEW_SLOTS; i++)
        {
            if (viewSources[i] == source)
            {
                return views[i];
            }
        }
        final int slot = nextViewSlot;
        nextViewSlot = (slot + 1) % VIEW_SLOTS;
        viewSources[slot] = source;
        views[slot] = source.duplicate().clear();
        return views[slot];
    }

    private void updateByCopy(final DirectBuffer buffer, final int offset, final int length)
    {
        if (null == scratch)
        {
            scratch = new byte[SCRATCH_LENGTH];
        }
        int position = offset;
        int remaining = length;
        while (remaining > 0)
        {
            final int chunk = Math.min(remaining, SCRATCH_LENGTH);
            buffer.getBytes(position, scratch, 0, chunk);
            inner.update(scratch, 0, chunk);
            position += chunk;
            remaining -= chunk;
        }
    }
}
