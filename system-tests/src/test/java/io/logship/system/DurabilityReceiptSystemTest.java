package io.logship.system;

import io.logship.system.harness.AdminCliProcess;
import io.logship.system.harness.SystemTestWatcher;
import io.logship.system.harness.TestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The durability receipt every write reply carries (docs/DESIGN.md#fsync-policy), as {@code logship put --json}
 * prints it: how many nodes had written the write, and how many had fsynced it, when the leader answered.
 */
class DurabilityReceiptSystemTest
{
    private static final Pattern RECEIPT = Pattern.compile("\"durability\":\\{\"written\":(\\d+),\"fsynced\":(\\d+)}");
    private static final Duration CLI_TIMEOUT = Duration.ofSeconds(60);
    /**
     * Long: a node forces its log at most once per interval, so once the cluster has caught up (every node forced
     * the epoch's opening NOOP, about one interval after it opened its log) the next write is fsynced nowhere for
     * most of an interval. Short enough for the catch-up wait.
     */
    private static final int LONG_INTERVAL_MS = 20_000;

    @RegisterExtension
    final SystemTestWatcher watcher = new SystemTestWatcher();

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void shouldReceiptEveryNodeUnderFsyncAlwaysAndOneFewerWrittenWithAFollowerDown()
    {
        final TestCluster cluster = watcher.cluster(3).start();
        cluster.awaitCaughtUp();

        final int[] all = put(cluster, "receipt-all", "all");
        assertThat(all).as("ack all, 3 nodes up: written and fsynced everywhere").containsExactly(3, 3);

        final int[] quorum = put(cluster, "receipt-quorum", "quorum");
        assertThat(quorum[1]).as("ack quorum under fsync=always: fsynced on a majority at least").isBetween(2, 3);
        assertThat(quorum[0]).as("written on at least as many nodes as fsynced it").isBetween(quorum[1], 3);

        final int leaderId = cluster.leaderId();
        final int downId = cluster.nodeIds().stream().filter((id) -> id != leaderId).findFirst().orElseThrow();
        cluster.node(downId).stop();

        final int[] degraded = put(cluster, "receipt-degraded", "quorum");
        assertThat(degraded).as("node %d down: the leader and the other follower, both fsynced", downId)
            .containsExactly(2, 2);
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void shouldAcknowledgeQuorumWritesUnderFsyncIntervalBeforeAnyNodeFsyncsThem()
    {
        final TestCluster cluster = watcher.cluster(3)
            .with("logship.log.fsync", "interval")
            .with("logship.log.fsync.interval.ms", LONG_INTERVAL_MS)
            .start();
        cluster.awaitCaughtUp();

        // Followers ack what they have written at once, and hold it by their policy: the commit needs no fsync.
        final int[] quorum = put(cluster, "interval-quorum", "quorum");
        assertThat(quorum[0]).as("written on a majority at least").isBetween(2, 3);
        assertThat(quorum[1]).as("fsynced on no majority (almost always on no node): fsync is off the ack path " +
            "under fsync=interval").isLessThan(2);
    }

    /** {@code logship put KEY v --ack ACK --json}; returns {written, fsynced} from its durability receipt. */
    private static int[] put(final TestCluster cluster, final String key, final String ack)
    {
        final AdminCliProcess.Result put = AdminCliProcess.run(cluster.dir(), CLI_TIMEOUT, "put", key, "v",
            "--ack", ack, "--json", "--config", cluster.node(cluster.leaderId()).configFile().toString());
        assertThat(put.exitCode()).as("%s", put).isZero();
        final Matcher receipt = RECEIPT.matcher(put.stdout());
        assertThat(receipt.find()).as("durability receipt in %s", put.stdout()).isTrue();
        return new int[] {Integer.parseInt(receipt.group(1)), Integer.parseInt(receipt.group(2))};
    }
}
