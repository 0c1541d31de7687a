package io.logship.cli.load;

import io.logship.client.AckLevel;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LoadGeneratorTest
{
    @Test
    void shouldDeriveValueFromKeyAlone()
    {
        final byte[] key = "key-12".getBytes(StandardCharsets.UTF_8);

        assertThat(new String(LoadGenerator.value(key, 14), StandardCharsets.UTF_8)).isEqualTo("key-12key-12ke");
        assertThat(LoadGenerator.value(key, 0)).isEmpty();
        // `logship verify` recomputes the checksum from the key alone, so it must be one fixed value per
        // (key, size): the constant is the CRC-32C of "key-12" repeated to 100 bytes, computed once.
        assertThat(LoadGenerator.value(key, 100))
            .isEqualTo("key-12".repeat(17).substring(0, 100).getBytes(StandardCharsets.UTF_8));
        assertThat(LoadGenerator.crc32c(LoadGenerator.value(key, 100))).isEqualTo(0x657B7026L);
        // A different key must give a different value, or verify could not tell two records apart.
        assertThat(LoadGenerator.crc32c(LoadGenerator.value("key-13".getBytes(StandardCharsets.UTF_8), 100)))
            .isNotEqualTo(0x657B7026L);
    }

    @Test
    void shouldComputeUnsignedCrc32c()
    {
        // CRC-32C check value of "123456789" (RFC 3720).
        assertThat(LoadGenerator.crc32c("123456789".getBytes(StandardCharsets.US_ASCII))).isEqualTo(0xE3069283L);
    }

    @Test
    void shouldCycleKeysOverTheKeySpace()
    {
        assertThat(LoadGenerator.key("k", 3, 7)).isEqualTo("k1");
        assertThat(new LoadGenerator.Settings().records(10).keys()).isEqualTo(10);
        assertThat(new LoadGenerator.Settings().records(10).keys(4).keys()).isEqualTo(4);
    }

    @Test
    void shouldRejectBadSettingsNamingTheOption()
    {
        assertThatThrownBy(() -> new LoadGenerator.Settings().records(0).validate()).hasMessageContaining("--records=0");
        assertThatThrownBy(() -> new LoadGenerator.Settings().rate(-1).validate()).hasMessageContaining("--rate=-1");
        assertThatThrownBy(() -> new LoadGenerator.Settings().inFlight(0).validate())
            .hasMessageContaining("--in-flight=0");
        assertThatThrownBy(() -> new LoadGenerator.Settings().valueSize(-1).validate())
            .hasMessageContaining("--value-size=-1");
        assertThatThrownBy(() -> new LoadGenerator.Settings().keys(0).validate()).hasMessageContaining("--keys=0");
        assertThat(new LoadGenerator.Settings().ackLevel(AckLevel.ALL).validate().ackLevel()).isEqualTo(AckLevel.ALL);
    }

    @Test
    void shouldWriteParseableSummary()
    {
        final LoadGenerator.Report report = new LoadGenerator.Report(10, 9, 1, "put k: \"boom\"", 1000, 9.0, 0.001,
            100, 200, 300, 400, 150.5, "quorum", 100, 0, 1024);

        assertThat(report.ok()).isFalse();
        assertThat(report.toJson()).startsWith("{\"records\":10,\"acknowledged\":9,\"failed\":1,")
            .contains("\"latencyUs\":{\"p50\":100,\"p99\":200,\"p999\":300,\"max\":400,\"mean\":150.5}")
            .contains("\"firstError\":\"put k: \\\"boom\\\"\",")
            .endsWith("\"durability\":{\"minWritten\":null,\"minFsynced\":null,\"byWritten\":[],\"byFsynced\":[]}}");
    }
}
