package io.logship.system;

import io.logship.client.LogshipClient;
import io.logship.client.NodeStatus;
import io.logship.client.ReadConsistency;
import io.logship.client.ReadResult;
import io.logship.system.harness.AckedWrites;
import io.logship.system.harness.AdminCliProcess;
import io.logship.system.harness.SystemTestWatcher;
import io.logship.system.harness.TestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The operator's tools against a real cluster: {@code logship load --out} and {@code logship verify}. */
class AdminCliSystemTest
{
    private static final Pattern ACK_LINE = Pattern.compile(
        "\"key\":\"([^\"]*)\".*\"offset\":(\\d+).*\"epoch\":(\\d+).*\"crc32c\":(\\d+)");
    private static final Duration CLI_TIMEOUT = Duration.ofSeconds(90);

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
        assertThat(load.stdout()).contains("\"acknowledged\":" + records).contains("\"failed\":0");

        // Every line of --out is an acknowledged write: (key, offset, epoch, CRC32C of the value).
        final List<String> lines = Files.readAllLines(acks, StandardCharsets.UTF_8);
        assertThat(lines).hasSize(records);
        final List<String> keys = new ArrayList<>();
        final List<Long> offsets = new ArrayList<>();
        final List<Long> crcs = new ArrayList<>();
        final Set<Long> distinctOffsets = new HashSet<>();
        for (final String line : lines)
        {
            final Matcher m = ACK_LINE.matcher(line);
            assertThat(m.find()).as("ack line %s", line).isTrue();
            keys.add(m.group(1));
            offsets.add(Long.parseLong(m.group(2)));
            crcs.add(Long.parseLong(m.group(4)));
            assertThat(distinctOffsets.add(Long.parseLong(m.group(2)))).as("offset acknowledged twice: %s", line)
                .isTrue();
        }

        final NodeStatus leader = cluster.awaitCaughtUp();
        assertThat(leader.commitOffset()).isEqualTo(records + 1);
        final TestCluster.CommonRange range = cluster.assertCommittedChecksumsMatch();

        final LogshipClient client = cluster.client();
        for (final int nodeId : cluster.nodeIds())
        {
            final List<CompletableFuture<String>> checks = new ArrayList<>();
            for (int i = 0; i < records; i++)
            {
                if (i % 53 != 0 && i < records - 200)
                {
                    continue;
                }
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
        assertThat(verify.stdout()).contains("\"ok\":true")
            .contains("\"fromOffset\":" + range.fromOffset())
            .contains("\"toOffset\":" + range.toOffset())
            .contains("\"crc32c\":" + range.crc32c());

        // With a node down, verify must not pass: exit 1, naming the node.
        cluster.node(3).stopCleanly();
        final AdminCliProcess.Result partial = AdminCliProcess.run(cluster.dir(), CLI_TIMEOUT, "verify",
            "--config", config);
        assertThat(partial.exitCode()).as("%s", partial).isEqualTo(1);
        assertThat(partial.stderr()).contains("node 3");
    }
}
