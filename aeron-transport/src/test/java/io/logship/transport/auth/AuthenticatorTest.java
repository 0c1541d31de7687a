package io.logship.transport.auth;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import static org.assertj.core.api.Assertions.assertThat;

class AuthenticatorTest
{
    private static final byte[] KEY = "0123456789abcdef0123".getBytes(StandardCharsets.US_ASCII);

    @Test
    void shouldProduceStandardHmacSha256OverHeapAndDirectBuffers() throws Exception
    {
        final byte[] message = new byte[200_000];
        for (int i = 0; i < message.length; i++)
        {
            message[i] = (byte)(i * 7);
        }
        final Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(KEY, "HmacSHA256"));
        mac.update(message, 100, 150_000);
        final byte[] expected = mac.doFinal();

        final Authenticator authenticator = new Authenticator(ClusterSecret.of(KEY));
        final DirectBuffer heapTag = authenticator.sign(new UnsafeBuffer(message), 100, 150_000);
        final byte[] heap = new byte[32];
        heapTag.getBytes(0, heap);
        assertThat(heap).isEqualTo(expected);

        final UnsafeBuffer direct = new UnsafeBuffer(ByteBuffer.allocateDirect(message.length + 32));
        direct.putBytes(0, message);
        authenticator.signInPlace(direct, 100, 150_000);
        final byte[] directTag = new byte[32];
        direct.getBytes(150_100, directTag);
        assertThat(directTag).isEqualTo(expected);
        assertThat(authenticator.verify(direct, 100, 150_032)).isTrue();

        direct.putByte(500, (byte)~direct.getByte(500));
        assertThat(authenticator.verify(direct, 100, 150_032)).isFalse();
        assertThat(new Authenticator(ClusterSecret.of("another-secret-of-16+".getBytes(StandardCharsets.US_ASCII)))
            .verify(new UnsafeBuffer(new byte[40]), 0, 40)).isFalse();
        assertThat(authenticator.verify(direct, 0, 31)).isFalse();
    }

    @Test
    void shouldMatchTheJdkHmacForEveryKindOfBufferAndKeysLongerThanOneBlock() throws Exception
    {
        final java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        final byte[] longKey = new byte[100];
        random.nextBytes(longKey);
        for (final byte[] key : new byte[][]{KEY, longKey})
        {
            final Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            final Authenticator authenticator = new Authenticator(ClusterSecret.of(key));
            final ByteBuffer direct = ByteBuffer.allocateDirect(70_000);
            final UnsafeBuffer overByteBuffer = new UnsafeBuffer(direct, 16, 60_000);
            final UnsafeBuffer overAddress = new UnsafeBuffer(org.agrona.BufferUtil.address(direct) + 16, 60_000);
            for (int round = 0; round < 50; round++)
            {
                final int length = random.nextInt(60_000 - 100);
                final int offset = random.nextInt(100);
                final byte[] message = new byte[length];
                random.nextBytes(message);
                overByteBuffer.putBytes(offset, message);
                final byte[] expected = mac.doFinal(message);
                for (final DirectBuffer buffer : new DirectBuffer[]{overByteBuffer, overAddress})
                {
                    final byte[] tag = new byte[Authenticator.TAG_LENGTH];
                    authenticator.sign(buffer, offset, length).getBytes(0, tag);
                    assertThat(tag).as("key of %d bytes, %d bytes at %d of %s", key.length, length, offset,
                        buffer.byteBuffer() == null ? "an address" : "a ByteBuffer").isEqualTo(expected);
                }
            }
        }
    }

    @Test
    void shouldAllocateNothingPerMessageOnceWarm()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
        final Authenticator authenticator = new Authenticator(ClusterSecret.of(KEY));
        final UnsafeBuffer direct = new UnsafeBuffer(ByteBuffer.allocateDirect(64 * 1024 + 32));
        final UnsafeBuffer heap = new UnsafeBuffer(new byte[1024 + 32]);
        for (int i = 0; i < 1_000; i++)
        {
            authenticator.signInPlace(direct, 0, 64 * 1024);
            authenticator.verify(direct, 0, 64 * 1024 + 32);
            authenticator.sign(heap, 0, 1024);
        }
        final long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 1_000; i++)
        {
            authenticator.signInPlace(direct, 0, 64 * 1024);
            authenticator.verify(direct, 0, 64 * 1024 + 32);
            authenticator.sign(heap, 0, 1024);
        }
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(allocated).as("bytes allocated by 3,000 tag computations").isLessThan(1_000);
    }
}
