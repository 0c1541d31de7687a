package io.logship.cluster;

import io.logship.LogshipException;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static io.logship.cluster.MembershipTest.THREE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MembershipCodecTest
{
    @Test
    void shouldDecodeWhatItEncoded()
    {
        final Membership membership = THREE.withLearner(4, "node-4.example", 7004);

        assertThat(MembershipCodec.decode(MembershipCodec.encode(membership))).isEqualTo(membership);
    }

    @Test
    void shouldNameWhatIsWrongWithATruncatedOrUnknownEncoding()
    {
        final byte[] bytes = MembershipCodec.encode(THREE);

        assertThatThrownBy(() -> MembershipCodec.decode(Arrays.copyOf(bytes, bytes.length - 1)))
            .isInstanceOf(LogshipException.class)
            .hasMessageContaining("member 3 host needs");
        final byte[] wrongVersion = bytes.clone();
        wrongVersion[0] = 9;
        assertThatThrownBy(() -> MembershipCodec.decode(wrongVersion)).hasMessage("membership encoding: version 9, expected 1");
        assertThatThrownBy(() -> MembershipCodec.decode(Arrays.copyOf(bytes, bytes.length + 2)))
            .hasMessageContaining("2 bytes left after 3 members");
    }
}
