package io.logship.system;

import io.logship.client.LogshipClient;
import io.logship.system.harness.AckedWrites;
import io.logship.system.harness.NodeProcess;
import io.logship.system.harness.SystemTestWatcher;
import io.logship.system.harness.TestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Stopping nodes of a cluster with SIGTERM close together, as an operator stopping several hosts, or {@code logship
 * demo} stopping all its nodes at once, does. A stopping leader hands its epoch over first (Node.close); before, when
 * the follower it picked had just stopped, or was stopping too and took the handover, the leader waited out the
 * handover timeout (seconds) before it exited. Now a stopping node takes no handover and never stands, and a leader
 * gives a silent target up after one lease timeout (docs/DESIGN.md#promote-demote-handover).
 */
class ClusterStopSystemTest
{
    /**
     * Far above what a clean stop takes, so a leader that waited for it would outlast the harness's stop timeout
     * ({@link NodeProcess#STOP_TIMEOUT}) and fail the test, not just slow it.
     */
    private static final int HANDOVER_TIMEOUT_MS = 30_000;
    /** A clean stop takes about a second; the margin is for a loaded CI machine. */
    private static final Duration STOP_BOUND = Duration.ofSeconds(10);

    @RegisterExtension
    final SystemTestWatcher watcher = new SystemTestWatcher();

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void shouldStopALeaderRightAfterAFollowerAndThenTheRestAtOnceWithoutWaitingOutTheHandover() throws Exception
    {
        final TestCluster cluster = watcher.cluster(5)
            .with("logship.node.election.handover.timeout.ms", HANDOVER_TIMEOUT_MS)
            .start();
        final LogshipClient client = cluster.client();
        final AckedWrites writes = new AckedWrites("stop", 200);
        AckedWrites.awaitAll(writes.write(client, 0, 100), 60);
        cluster.awaitCaughtUp(); // every follower holds the same end: the lowest id wins the handover's tie

        // A follower, then the leader at once: the leader's most caught-up follower may be the one that just stopped.
        final int leader = cluster.leaderId();
        final NodeProcess follower = cluster.node(cluster.nodeIds().stream().filter(id -> id != leader)
            .findFirst().orElseThrow());
        follower.stopCleanly();
        final long leaderStopMs = timedStop(cluster.node(leader));
        final String leaderLine = stopLine(cluster.node(leader));
        System.out.println("node " + follower.nodeId() + " stopped, then leader " + leader + " in " + leaderStopMs +
            " ms: " + leaderLine);
        assertThat(Duration.ofMillis(leaderStopMs)).as(leaderLine).isLessThan(STOP_BOUND);
        assertThat(leaderLine).doesNotContain("did not complete");

        // The three left are a majority of five: they go on taking writes.
        AckedWrites.awaitAll(writes.write(client, 100, 200), 60);
        assertThat(writes.failedCount()).as("first: %s", writes.firstFailure()).isZero();

        // The rest at once: each stopping node takes no handover and never stands.
        final int secondLeader = cluster.leaderId();
        final List<NodeProcess> rest = cluster.runningNodeIds().stream().map(cluster::node).toList();
        final Map<Integer, Integer> linesBefore = new HashMap<>();
        rest.forEach(node -> linesBefore.put(node.nodeId(), node.logLines().size()));
        final long startNs = System.nanoTime();
        rest.forEach(NodeProcess::signalStop);
        rest.forEach(NodeProcess::stopCleanly);
        final long allStopMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        System.out.println("nodes " + linesBefore.keySet() + " stopped at once in " + allStopMs + " ms; leader " +
            secondLeader + ": " + stopLine(cluster.node(secondLeader)));
        assertThat(Duration.ofMillis(allStopMs)).isLessThan(STOP_BOUND);
        for (final NodeProcess node : rest)
        {
            final List<String> after = node.logLines().subList(linesBefore.get(node.nodeId()), node.logLines().size());
            assertThat(after).as("node %d's log after SIGTERM", node.nodeId())
                .noneMatch(line -> line.contains("stands for election"));
        }
    }

    private static long timedStop(final NodeProcess node)
    {
        final long startNs = System.nanoTime();
        node.stopCleanly();
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
    }

    /** The leader's line saying how its stop's handover went (Node.handOverLeadershipBeforeStop). */
    private static String stopLine(final NodeProcess node)
    {
        return node.logLines().stream().filter(line -> line.contains(" stopping: ")).reduce((a, b) -> b)
            .orElseThrow(() -> new AssertionError("node " + node.nodeId() + " logged no handover outcome:\n" +
                node.tail(40)));
    }
}
