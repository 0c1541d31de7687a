package io.logship.system;

import io.logship.client.LogshipClient;
import io.logship.client.NodeStatus;
import io.logship.client.ReadConsistency;
import io.logship.client.ReadResult;
import io.logship.system.harness.AckedWrites;
import io.logship.system.harness.AdminCliProcess;
import io.logship.system.harness.CommittedLog;
import io.logship.system.harness.Json;
import io.logship.system.harness.SystemTestWatcher;
import io.logship.system.harness.TestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** The operator's tools against a real cluster: {@code logship load --out} and {@code logship verify}. */
class AdminCliSystemTest
{
    /** The fields of a {@code load --out} line, in order (admin-cli/README.md). */
    private static final List<String> ACK_FIELDS = List.of("key", "offset", "epoch", "crc32c", "ackMs", "written", "fsynced");
    private static final Duration CLI_TIMEOUT = Duration.ofSeconds(90);
    private static final byte[] PROBE_KEY = "verify-probe".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PROBE_VALUE = "the value every node holds, until node 3's copy is rewritten"
        .getBytes(StandardCharsets.US_ASCII);

    @RegisterExtension
    final SystemTestWatcher watcher = new SystemTestWatcher();

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void shouldLoadWithTheCliAndFindEveryAcknowledgedWriteOnEveryNodeAndVerifyTheLogs() throws Exception
    {
        final int records = 20_000;
        final TestCluster cluster = watcher.cluster(3).start();
        final String config = cluster.node(1).configFile().toString();
        final Path acks = cluster.dir().resolve("acks.jsonl");

        final AdminCliProcess.Result load = AdminCliProcess.run(cluster.dir(), CLI_TIMEOUT, "load",
            "--records", Integer.toString(records), "--value-size", "100", "--key-prefix", "cli-",
            "--out", acks.toString(), "--json", "--config", config);
        assertThat(load.exitCode()).as("%s", load).isZero();
        final Json summary = Json.parse(load.stdout(), "load --json");
        assertThat(summary.getLong("records")).as("%s", summary).isEqualTo(records);
        assertThat(summary.getLong("acknowledged")).as("%s", summary).isEqualTo(records);
        assertThat(summary.getLong("failed")).as("%s", summary).isZero();
        // --json keeps stderr for what went wrong: the line saying the client threads got their scheduler slice is
        // not printed (it used to come through java.util.logging's two-line default format, "INFO: ...").
        assertThat(load.stderr()).as("%s", load).doesNotContain("INFO").doesNotContain("µs scheduler slices");

        // Every line of --out is an acknowledged write: (key, offset, epoch, CRC32C of the value, ack time).
        final List<Json> lines = Json.parseLines(acks);
        assertThat(lines).hasSize(records);
        final List<String> keys = new ArrayList<>();
        final List<Long> offsets = new ArrayList<>();
        final List<Long> crcs = new ArrayList<>();
        final Set<Long> distinctOffsets = new HashSet<>();
        for (final Json line : lines)
        {
            assertThat(line.fieldNames()).as("ack line %s", line).isEqualTo(ACK_FIELDS);
            assertThat(line.getInt("epoch")).as("ack line %s", line).isPositive();
            assertThat(line.getLong("ackMs")).as("ack line %s", line).isPositive();
            // The durability receipt of a quorum write under fsync always (the default): a majority fsynced it.
            assertThat(line.getInt("fsynced")).as("ack line %s", line).isBetween(2, 3);
            assertThat(line.getInt("written")).as("ack line %s", line).isBetween(line.getInt("fsynced"), 3);
            final long crc = line.getLong("crc32c");
            assertThat(crc).as("ack line %s: an unsigned 32-bit CRC", line).isBetween(0L, 0xFFFF_FFFFL);
            keys.add(line.getString("key"));
            offsets.add(line.getLong("offset"));
            crcs.add(crc);
            assertThat(distinctOffsets.add(line.getLong("offset"))).as("offset acknowledged twice: %s", line)
                .isTrue();
        }

        final NodeStatus leader = cluster.awaitCaughtUp();
        assertThat(leader.commitOffset()).isEqualTo(records + 1);
        final TestCluster.CommonRange range = cluster.assertCommittedChecksumsMatch();

        // Every acknowledged write, in every node's whole committed log: its key once, at its offset, with its CRC.
        final LogshipClient client = cluster.client();
        for (final int nodeId : cluster.nodeIds())
        {
            final CommittedLog log = CommittedLog.read(client, nodeId, leader.commitOffset());
            final List<String> mismatches = new ArrayList<>();
            for (int i = 0; i < records && mismatches.size() < 10; i++)
            {
                final long offset = offsets.get(i);
                final List<Long> at = log.offsetsOf(keys.get(i));
                if (!at.equals(List.of(offset)) || log.valueCrc(offset) != crcs.get(i))
                {
                    mismatches.add("ack " + lines.get(i) + ": node " + nodeId + " holds the key at " + at +
                        (at.contains(offset) ? " with value CRC " + log.valueCrc(offset) : ""));
                }
            }
            assertThat(mismatches).as("acknowledged writes not in node %s's log as acknowledged", nodeId).isEmpty();
            assertThat(log.distinctKeys()).as("node %s: keys in the log", nodeId).isEqualTo(records);
        }
        // Through the store (get by key with minOffset), a sample: the log check above is the exact one.
        for (final int nodeId : cluster.nodeIds())
        {
            final List<CompletableFuture<String>> checks = new ArrayList<>();
            for (int i = 0; i < records; i += 53)
            {
                final int index = i;
                checks.add(client.get(nodeId, keys.get(i).getBytes(StandardCharsets.UTF_8),
                    ReadConsistency.minOffset(offsets.get(i))).thenApply((ReadResult r) ->
                        r.found() && r.valueOffset() == offsets.get(index) && AckedWrites.crc(r.value()) == crcs.get(index) ?
                            null : "ack " + lines.get(index) + " read from node " + nodeId + ": found=" + r.found() +
                            " valueOffset=" + r.valueOffset()));
            }
            final List<String> mismatches = checks.stream().map(CompletableFuture::join).filter(m -> null != m).toList();
            assertThat(mismatches).as("acknowledged writes that did not read back").isEmpty();
        }

        final AdminCliProcess.Result verify = AdminCliProcess.run(cluster.dir(), CLI_TIMEOUT, "verify", "--json",
            "--config", config);
        assertThat(verify.exitCode()).as("%s", verify).isZero();
        final Json verified = Json.parse(verify.stdout(), "verify --json");
        assertThat(verified.getBoolean("ok")).as("%s", verified).isTrue();
        assertThat(verified.getStrings("failures")).as("%s", verified).isEmpty();
        assertThat(verified.getLong("fromOffset")).as("%s", verified).isEqualTo(range.fromOffset());
        assertThat(verified.getLong("toOffset")).as("%s", verified).isEqualTo(range.toOffset());
        // Each node's row: the same range, batches, bytes and CRC as the harness's own comparison found.
        final List<Json> rows = verified.getObjects("nodes");
        assertThat(rows.stream().map(row -> row.getInt("id")).toList()).as("%s", verified)
            .isEqualTo(cluster.nodeIds());
        for (final Json row : rows)
        {
            assertThat(row.getBoolean("ok")).as("%s", row).isTrue();
            assertThat(List.of(row.getLong("fromOffset"), row.getLong("toOffset"), row.getLong("batchCount"),
                row.getLong("byteCount"), row.getLong("crc32c"))).as("%s", row)
                .isEqualTo(List.of(range.fromOffset(), range.toOffset(), range.batchCount(), range.byteCount(),
                    range.crc32c()));
        }

        // A record whose value only node 3 will have changed: written now, committed everywhere.
        final long probeOffset = client.put(PROBE_KEY, PROBE_VALUE).join().offset();
        cluster.awaitCaughtUp();

        // With a node down, verify must not pass: exit 1, naming the node.
        cluster.node(3).stopCleanly();
        final AdminCliProcess.Result partial = AdminCliProcess.run(cluster.dir(), CLI_TIMEOUT, "verify",
            "--config", config);
        assertThat(partial.exitCode()).as("%s", partial).isEqualTo(1);
        assertThat(partial.stderr()).contains("node 3");

        // Logs that differ: node 3's copy of the probe's value is rewritten offline, its batch CRC recomputed so the
        // node opens it as valid (as a bit flip between checksum and disk, or a bug writing a wrong value, would
        // look). Same offsets, same epochs: the cluster sees nothing, and only a comparison of contents finds it.
        rewriteValue(cluster.node(3).dataDir().resolve("log"), PROBE_VALUE, "P".repeat(PROBE_VALUE.length)
            .getBytes(StandardCharsets.US_ASCII));
        cluster.node(3).start();
        final NodeStatus rejoined = cluster.awaitCaughtUp();
        assertThat(rejoined.commitOffset()).isGreaterThan(probeOffset);
        final AdminCliProcess.Result differ = AdminCliProcess.run(cluster.dir(), CLI_TIMEOUT, "verify",
            "--config", config);
        assertThat(differ.exitCode()).as("%s", differ).isEqualTo(1);
        assertThat(differ.stderr()).as("%s", differ).containsPattern("node 3 \\([^)]*\\) differs")
            .doesNotContainPattern("node [12] \\([^)]*\\) differs");
        assertThat(differ.stdout()).as("%s", differ).containsPattern("(?m)^\\s*3\\s.*DIFFERS");
        assertThat(differ.stdout().lines().filter(line -> line.contains("DIFFERS"))).as("%s", differ).hasSize(1);
        // The record-by-record log check the test made above would catch it too: node 3 holds another value there.
        final CommittedLog changed = CommittedLog.read(client, 3, rejoined.commitOffset());
        assertThat(changed.key(probeOffset)).isEqualTo(new String(PROBE_KEY, StandardCharsets.US_ASCII));
        assertThat(changed.valueCrc(probeOffset)).isNotEqualTo(AckedWrites.crc(PROBE_VALUE));
        assertThat(CommittedLog.read(client, 1, rejoined.commitOffset()).valueCrc(probeOffset))
            .isEqualTo(AckedWrites.crc(PROBE_VALUE));
        final Throwable harnessCheck = catchThrowable(cluster::assertCommittedChecksumsMatch);
        assertThat(harnessCheck).as("the harness's own comparison").isInstanceOf(AssertionError.class)
            .hasMessageContaining("committed logs differ");
    }

    /**
     * Replaces the only occurrence of {@code from} in the log directory's segment files by {@code to} (same length)
     * and recomputes the CRC32C of the batch holding it (log-store/README.md: base offset int64, length int32, crc
     * int32 over every byte after it, all little-endian), so the batch stays valid.
     */
    private static void rewriteValue(final Path logDir, final byte[] from, final byte[] to) throws Exception
    {
        assertThat(to).hasSameSizeAs(from);
        final List<Path> segments;
        try (java.util.stream.Stream<Path> files = Files.list(logDir))
        {
            segments = files.filter(p -> p.getFileName().toString().endsWith(".log")).sorted().toList();
        }
        int found = 0;
        for (final Path segment : segments)
        {
            final byte[] bytes = Files.readAllBytes(segment);
            final ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            int batch = 0;
            while (batch + 16 <= bytes.length && buffer.getInt(batch + 8) > 0)
            {
                final int length = buffer.getInt(batch + 8);
                for (int at = indexOf(bytes, from, batch, batch + length); at >= 0;
                     at = indexOf(bytes, from, at + 1, batch + length))
                {
                    System.arraycopy(to, 0, bytes, at, to.length);
                    final CRC32C crc = new CRC32C();
                    crc.update(bytes, batch + 16, length - 16);
                    buffer.putInt(batch + 12, (int)crc.getValue());
                    found++;
                }
                batch += length;
            }
            if (found > 0)
            {
                Files.write(segment, bytes);
                break;
            }
        }
        assertThat(found).as("occurrences of the value to rewrite in %s", segments).isEqualTo(1);
    }

    private static int indexOf(final byte[] bytes, final byte[] needle, final int from, final int to)
    {
        for (int i = from; i + needle.length <= to; i++)
        {
            if (Arrays.equals(bytes, i, i + needle.length, needle, 0, needle.length))
            {
                return i;
            }
        }
        return -1;
    }
}
