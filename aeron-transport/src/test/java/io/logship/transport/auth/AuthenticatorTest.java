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
}
