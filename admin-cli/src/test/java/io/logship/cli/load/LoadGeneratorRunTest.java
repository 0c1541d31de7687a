package io.logship.cli.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.logship.client.AckLevel;
import io.logship.client.WriteResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link LoadGenerator#run} against an in-process writer that acknowledges on a thread of its own, as the
 * client's conductor does: what is counted, what reaches {@code --out}, and the warm-up.
 */
class LoadGeneratorRunTest
{
    private final ExecutorService conductor = Executors.newSingleThreadExecutor(r -> new Thread(r, "test-conductor"));
    private final List<String> sentKeys = new CopyOnWriteArrayList<>();
    private final AtomicLong nextOffset = new AtomicLong();

    @AfterEach
    void stopConductor() throws InterruptedException
    {
        conductor.shutdownNow();
        assertThat(conductor.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    /** Acknowledges every write at the next offset, epoch 2; fails keys containing {@code failing}. */
    private LoadGenerator.Writer writer(final String failing)
    {
        return (key, value, ackLevel) ->
        {
            final String k = new String(key, StandardCharsets.UTF_8);
            sentKeys.add(k);
            return CompletableFuture.supplyAsync(() ->
            {
                if (null != failing && k.contains(failing))
                {
                    throw new IllegalStateException("refused " + k);
                }
                return new WriteResult(nextOffset.getAndIncrement(), 2, ackLevel, 1);
            }, conductor);
        };
    }

    @Test
    void shouldNotCountOrLogWarmupWrites(@TempDir final Path dir) throws IOException
    {
        final Path out = dir.resolve("acks.jsonl");
        final LoadGenerator.Settings settings = new LoadGenerator.Settings().records(200).warmupRecords(50)
            .inFlight(16).keyPrefix("k-").out(out);

        final LoadGenerator.Report report = new LoadGenerator(settings).run(writer(null), null);

        assertThat(report.records()).isEqualTo(200);
        assertThat(report.acknowledged()).isEqualTo(200);
        assertThat(report.ok()).isTrue();
        assertThat(sentKeys).hasSize(250);
        assertThat(sentKeys.subList(0, 50)).allMatch(k -> k.startsWith("warmup-k-"));
        assertThat(sentKeys.subList(50, 250)).noneMatch(k -> k.startsWith("warmup-"));
        final List<String> lines = Files.readAllLines(out);
        assertThat(lines).hasSize(200).noneMatch(line -> line.contains("warmup-"));
    }

    @Test
    void shouldSettleOnceBetweenTheWarmupAndTheMeasuredRunAndNotWithoutAWarmup()
    {
        final List<Integer> sentBeforeSettling = new ArrayList<>();
        final LoadGenerator.Settings settings = new LoadGenerator.Settings().records(100).warmupRecords(40)
            .inFlight(8).keyPrefix("s-");

        final LoadGenerator.Report report = new LoadGenerator(settings)
            .run(writer(null), () -> sentBeforeSettling.add(sentKeys.size()), null);

        assertThat(report.acknowledged()).isEqualTo(100);
        assertThat(sentBeforeSettling).as("writes sent when the settle step ran").containsExactly(40);
        final List<Integer> withoutWarmup = new ArrayList<>();
        new LoadGenerator(new LoadGenerator.Settings().records(10).inFlight(4))
            .run(writer(null), () -> withoutWarmup.add(sentKeys.size()), null);
        assertThat(withoutWarmup).as("a run without a warm-up has nothing to settle").isEmpty();
    }

    @Test
    void shouldWriteOneOutLinePerAckInAckOrderWithTheSameFields(@TempDir final Path dir) throws IOException
    {
        final Path out = dir.resolve("acks.jsonl");
        final long before = System.currentTimeMillis();
        final LoadGenerator.Settings settings = new LoadGenerator.Settings().records(500).inFlight(64).out(out);

        final LoadGenerator.Report report = new LoadGenerator(settings).run(writer(null), null);

        assertThat(report.ok()).isTrue();
        assertThat(report.megabytesPerSecond()).isPositive();
        final List<String> lines = Files.readAllLines(out);
        assertThat(lines).hasSize(500);
        final ObjectMapper mapper = new ObjectMapper();
        long previousOffset = -1;
        for (final String line : lines)
        {
            final JsonNode json = mapper.readTree(line);
            // The fields readers rely on, first and in this order (later fields may be added, never these moved).
            assertThat(json.fieldNames()).toIterable().startsWith("key", "offset", "epoch", "crc32c", "ackMs");
            final String key = json.get("key").asText();
            // The writer acknowledges in order: lines must come out in ack order, one per write.
            assertThat(json.get("offset").asLong()).isEqualTo(previousOffset + 1);
            previousOffset = json.get("offset").asLong();
            assertThat(json.get("epoch").asInt()).isEqualTo(2);
            assertThat(json.get("crc32c").asLong())
                .isEqualTo(LoadGenerator.crc32c(LoadGenerator.value(key.getBytes(StandardCharsets.UTF_8), 100)));
            assertThat(json.get("ackMs").asLong()).isBetween(before, System.currentTimeMillis());
        }
    }

    @Test
    void shouldCountFailedWritesAndKeepTheFirstError()
    {
        final LoadGenerator.Settings settings = new LoadGenerator.Settings().records(100).inFlight(8).keyPrefix("f-");

        final LoadGenerator.Report report = new LoadGenerator(settings).run(writer("f-7"), null);

        // f-7 and f-70..f-79 fail; the sender and the conductor may interleave, so any of them may be first.
        assertThat(report.failed()).isEqualTo(11);
        assertThat(report.acknowledged()).isEqualTo(89);
        assertThat(report.ok()).isFalse();
        assertThat(report.firstError()).matches("put f-7[0-9]?: .*refused f-7[0-9]?");
    }

    @Test
    void shouldStopBeforeMeasuringWhenWarmupWritesFail()
    {
        final LoadGenerator.Settings settings = new LoadGenerator.Settings().records(10).warmupRecords(20)
            .keyPrefix("w-");

        assertThatThrownBy(() -> new LoadGenerator(settings).run(writer("warmup-w-3"), null))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("--warmup-records=20")
            .hasMessageContaining("gave up on 1 of 20 warm-up writes");
        assertThat(sentKeys).hasSize(20);
    }

    @Test
    void shouldRejectNegativeWarmupNamingTheOption()
    {
        assertThatThrownBy(() -> new LoadGenerator.Settings().warmupRecords(-1).validate())
            .hasMessageContaining("--warmup-records=-1");
        assertThatThrownBy(() -> new LoadGenerator.Settings().warmupRate(-5).validate())
            .hasMessageContaining("--warmup-rate=-5");
    }
}
