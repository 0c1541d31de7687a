package io.logship.cli.load;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The exact text of {@code load --json} (the summary) and of each {@code load --out} line. */
class LoadJsonTest
{
    @Test
    void shouldPrintSummaryWithFixedDecimalsInOrder()
    {
        final LoadGenerator.Report report = new LoadGenerator.Report(1000, 998, 2, "put key-7: deadline exceeded",
            81234, 12345.678, 1.2345678, 350, 900, 1500, 2100, 401.26, "quorum", 100, 0, 1024);

        assertThat(report.toJson()).isEqualTo("{\"records\":1000,\"acknowledged\":998,\"failed\":2," +
            "\"elapsedMs\":81234,\"recordsPerSec\":12345.7,\"mbPerSec\":1.235,\"latencyUs\":{\"p50\":350,\"p99\":900," +
            "\"p999\":1500,\"max\":2100,\"mean\":401.3},\"ack\":\"quorum\",\"valueSize\":100,\"rate\":0," +
            "\"inFlight\":1024,\"firstError\":\"put key-7: deadline exceeded\"}");
    }

    @Test
    void shouldPrintWholeNumbersWithTheirDecimalsAndNoErrorAsNull()
    {
        final LoadGenerator.Report report = new LoadGenerator.Report(10, 10, 0, null, 1000, 10.0, 0.0, 1, 2, 3, 4, 0,
            "all", 0, 5, 1);

        assertThat(report.toJson()).isEqualTo("{\"records\":10,\"acknowledged\":10,\"failed\":0,\"elapsedMs\":1000," +
            "\"recordsPerSec\":10.0,\"mbPerSec\":0.000,\"latencyUs\":{\"p50\":1,\"p99\":2,\"p999\":3,\"max\":4," +
            "\"mean\":0.0},\"ack\":\"all\",\"valueSize\":0,\"rate\":5,\"inFlight\":1,\"firstError\":null}");
    }

    @Test
    void shouldWriteOneAckLinePerWrite()
    {
        assertThat(LoadGenerator.ackLine("load-7", 1234, 3, 4294967295L, 1_700_000_000_123L))
            .isEqualTo("{\"key\":\"load-7\",\"offset\":1234,\"epoch\":3,\"crc32c\":4294967295," +
                "\"ackMs\":1700000000123}");
    }
}
