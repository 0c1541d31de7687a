package io.logship.client;

import io.logship.LogshipException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A linger out of range is refused when the config is concluded, naming the setting, not discovered at run time. */
class ClientConfigLingerTest
{
    @Test
    void shouldTakeALingerUpToOneSecond()
    {
        assertThat(new ClientConfig().node(1, "127.0.0.1", 7001).conclude().lingerMicros()).isZero();
        assertThat(new ClientConfig().node(1, "127.0.0.1", 7001).lingerMicros(ClientConfig.MAX_LINGER_MICROS)
            .conclude().lingerMicros()).isEqualTo(1_000_000);
    }

    @Test
    void shouldRefuseANegativeOrLongerLinger()
    {
        assertThatThrownBy(() -> new ClientConfig().node(1, "127.0.0.1", 7001).lingerMicros(-1).conclude())
            .isInstanceOf(LogshipException.class).hasMessageContaining("lingerMicros=-1");
        assertThatThrownBy(() -> new ClientConfig().node(1, "127.0.0.1", 7001).lingerMicros(1_000_001).conclude())
            .isInstanceOf(LogshipException.class).hasMessageContaining("lingerMicros=1000001");
    }
}
