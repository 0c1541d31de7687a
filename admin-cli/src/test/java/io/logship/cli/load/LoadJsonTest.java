package io.logship.cli.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The exact text of {@code load --json} (the summary) and of the {@code load --out} file. */
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
            "\"inFlight\":1024,\"firstError\":\"put key-7: deadline exceeded\",\"durability\":{\"minWritten\":null," +
            "\"minFsynced\":null,\"byWritten\":[],\"byFsynced\":[]}}");
    }

    @Test
    void shouldPrintWholeNumbersWithTheirDecimalsAndNoErrorAsNull()
    {
        final LoadGenerator.Report report = new LoadGenerator.Report(10, 10, 0, null, 1000, 10.0, 0.0, 1, 2, 3, 4, 0,
            "all", 0, 5, 1);

        assertThat(report.toJson()).isEqualTo("{\"records\":10,\"acknowledged\":10,\"failed\":0,\"elapsedMs\":1000," +
            "\"recordsPerSec\":10.0,\"mbPerSec\":0.000,\"latencyUs\":{\"p50\":1,\"p99\":2,\"p999\":3,\"max\":4," +
            "\"mean\":0.0},\"ack\":\"all\",\"valueSize\":0,\"rate\":5,\"inFlight\":1,\"firstError\":null," +
            "\"durability\":{\"minWritten\":null,\"minFsynced\":null,\"byWritten\":[],\"byFsynced\":[]}}");
    }

    @Test
    void shouldPrintRatesThatAreNotNumbersAsNull() throws Exception
    {
        final LoadGenerator.Report report = new LoadGenerator.Report(1, 0, 1, "put k: boom", 0, Double.NaN,
            Double.POSITIVE_INFINITY, 0, 0, 0, 0, Double.NaN, "leader", 1, 0, 1);

        final JsonNode json = new ObjectMapper().readTree(report.toJson());

        assertThat(json.get("recordsPerSec").isNull()).isTrue();
        assertThat(json.get("mbPerSec").isNull()).isTrue();
        assertThat(json.get("latencyUs").get("mean").isNull()).isTrue();
        assertThat(json.get("firstError").asText()).isEqualTo("put k: boom");
    }

    @Test
    void shouldCountDurabilityReceiptsByNodes()
    {
        final LoadGenerator.Receipts receipts = new LoadGenerator.Receipts(2, 1, new long[] {0, 0, 3, 7},
            new long[] {0, 1, 4, 5});
        final LoadGenerator.Report report = new LoadGenerator.Report(10, 10, 0, null, 1000, 10.0, 0.0, 1, 2, 3, 4, 0,
            "quorum", 0, 0, 1, receipts);

        assertThat(report.toJson()).endsWith("\"firstError\":null,\"durability\":{\"minWritten\":2,\"minFsynced\":1," +
            "\"byWritten\":[0,0,3,7],\"byFsynced\":[0,1,4,5]}}");
        assertThat(receipts.fsyncedOnAtLeast(2)).as("fsynced by a majority of 3").isEqualTo(9);
    }

    @Test
    void shouldWriteOneAckLinePerWrite(@TempDir final Path dir) throws Exception
    {
        final Path file = dir.resolve("acks.jsonl");
        try (AckLog log = AckLog.open(file))
        {
            log.append("load-7", 1234, 3, 4294967295L, 1_700_000_000_123L, 3, 2);
            log.flush();
            log.append("quote\"d", 1235, 4, 0, 1_700_000_000_124L, 2, 0);
        }

        assertThat(Files.readAllLines(file)).containsExactly(
            "{\"key\":\"load-7\",\"offset\":1234,\"epoch\":3,\"crc32c\":4294967295,\"ackMs\":1700000000123," +
                "\"written\":3,\"fsynced\":2}",
            "{\"key\":\"quote\\\"d\",\"offset\":1235,\"epoch\":4,\"crc32c\":0,\"ackMs\":1700000000124," +
                "\"written\":2,\"fsynced\":0}");
        assertThat(Files.readString(file)).endsWith("}\n");
    }

    @Test
    void shouldNameTheAckFileItCannotOpen(@TempDir final Path dir)
    {
        final Path file = dir.resolve("missing").resolve("acks.jsonl");

        assertThatThrownBy(() -> AckLog.open(file)).isInstanceOf(UncheckedIOException.class)
            .hasMessageContaining("--out " + file);
    }
}
