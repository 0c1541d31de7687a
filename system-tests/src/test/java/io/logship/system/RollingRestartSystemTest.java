package io.logship.system;

import io.logship.client.LogshipClient;
import io.logship.client.NodeStatus;
import io.logship.client.WriteResult;
import io.logship.system.harness.AckedWrites;
import io.logship.system.harness.NodeProcess;
import io.logship.system.harness.Poll;
import io.logship.system.harness.SystemTestWatcher;
import io.logship.system.harness.TestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A rolling restart with real processes: every node of a 3-node cluster is stopped with SIGTERM, started again and
 * left to catch up, one at a time, the followers first and the leader last, while quorum writes go on. The leader's
 * SIGTERM hands its epoch to the most caught-up follower (the controlled shutdown of {@code Node.close}), so the
 * followers never wait out the election timeout. No write fails, and every acknowledged write is on every node
 * exactly once at its offset.
 */
class RollingRestartSystemTest
{
    /** Writes issued per step of the load (about 1,000 writes/s with {@link #STEP_MS}). */
    private static final int WRITES_PER_STEP = 20;
    private static final long STEP_MS = 20;
    private static final int CAPACITY = 200_000;
    private static final Pattern HANDED_OVER = Pattern.compile(
        "logshipd: node (\\d+) leader of epoch (\\d+) stopping: handed epoch \\d+ over: node (\\d+) leads epoch " +
        "(\\d+) after (\\d+) ms");

    @RegisterExtension
    final SystemTestWatcher watcher = new SystemTestWatcher();

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void shouldRestartEveryNodeUnderQuorumLoadWithoutFailingAWriteAndHandOverOnTheLeadersSigterm() throws Exception
    {
        final TestCluster cluster = watcher.cluster(3)
            .with("logship.node.election.lease.timeout.ms", 300)
            .with("logship.node.election.timeout.ms", 400)
            .start();
        final LogshipClient client = cluster.newClient(config -> config.requestTimeoutMs(1000).deadlineMs(60_000));
        final AckedWrites writes = new AckedWrites("rolling", CAPACITY);
        final AtomicBoolean stopLoad = new AtomicBoolean();
        final ExecutorService load = Executors.newSingleThreadExecutor();
        final Future<List<CompletableFuture<WriteResult>>> issued = load.submit(() ->
        {
            final List<CompletableFuture<WriteResult>> futures = new ArrayList<>();
            for (int from = 0; from < CAPACITY && !stopLoad.get(); from += WRITES_PER_STEP)
            {
                futures.addAll(writes.write(client, from, from + WRITES_PER_STEP));
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(STEP_MS)); // pacing the load, not a wait
            }
            return futures;
        });
        final long startNs = System.nanoTime();
        String handover;
        try
        {
            Poll.until("500 acknowledged writes before the first restart", Duration.ofSeconds(60),
                () -> writes.ackedCount() >= 500, () -> writes.ackedCount() + " acked");
            final int firstLeader = cluster.leaderId();
            for (final int nodeId : cluster.nodeIds())
            {
                if (nodeId != firstLeader)
                {
                    restartAndAwaitCaughtUp(cluster, cluster.node(nodeId), writes);
                }
            }

            final NodeProcess leader = cluster.node(firstLeader);
            final int epoch = cluster.status(firstLeader).epoch();
            restartAndAwaitCaughtUp(cluster, leader, writes);
            final Matcher matcher = leader.logLines().stream().map(HANDED_OVER::matcher).filter(Matcher::find)
                .reduce((first, second) -> second)
                .orElseThrow(() -> new AssertionError("node " + firstLeader + " stopped without handing over its " +
                    "epoch; log:\n" + leader.tail(40)));
            handover = matcher.group(0);
            final int newLeader = Integer.parseInt(matcher.group(3));
            assertThat(Integer.parseInt(matcher.group(1))).isEqualTo(firstLeader);
            assertThat(Integer.parseInt(matcher.group(2))).isEqualTo(epoch);
            assertThat(newLeader).isNotEqualTo(firstLeader);
            // The next epoch, not a later one: the handover target won the first election, no timeout round ran.
            assertThat(Integer.parseInt(matcher.group(4))).as(handover).isEqualTo(epoch + 1);
            assertThat(cluster.node(newLeader).logContains("stands for election in epoch " + (epoch + 1))).isTrue();
            assertThat(cluster.leaderId()).isEqualTo(newLeader);

            final int ackedAfterRestarts = writes.ackedCount();
            Poll.until("500 more acknowledged writes after the restarts", Duration.ofSeconds(60),
                () -> writes.ackedCount() >= ackedAfterRestarts + 500,
                () -> writes.ackedCount() + " acked of " + writes.issued());
        }
        finally
        {
            stopLoad.set(true);
            load.shutdown();
        }
        final List<CompletableFuture<WriteResult>> futures = issued.get(60, TimeUnit.SECONDS);
        AckedWrites.awaitAll(futures, 90);
        final int count = futures.size();
        System.out.println("rolling restart of 3 nodes under load: " + count + " writes in " +
            TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNs) + " s, " + writes.failedCount() +
            " failed; leader's SIGTERM: " + handover);

        assertThat(writes.failedCount()).as("failed writes, first: %s", writes.firstFailure()).isZero();
        assertThat(writes.ackedCount()).isEqualTo(count);
        writes.assertExactlyOnceOnEveryNode(cluster, count);
        cluster.assertCommittedChecksumsMatch();
    }

    /**
     * SIGTERM (asserting a clean stop), start, then wait until the node holds durably, and knows committed, everything
     * the leader had committed when it came back; the load goes on meanwhile, so the cluster never fully settles.
     */
    private static void restartAndAwaitCaughtUp(final TestCluster cluster, final NodeProcess node,
        final AckedWrites writes)
    {
        final int ackedBefore = writes.ackedCount();
        final NodeStatus before = cluster.status(cluster.leaderId());
        node.stopCleanly();
        node.start();
        final int nodeId = node.nodeId();
        final NodeStatus leader = cluster.status(cluster.leaderId());
        final long target = leader.commitOffset();
        final NodeStatus[] last = new NodeStatus[1];
        Poll.until("node " + nodeId + " to catch up to offset " + target + " after its restart", TestCluster.CATCH_UP_TIMEOUT,
            () ->
            {
                try
                {
                    last[0] = cluster.status(nodeId);
                }
                catch (final RuntimeException ex)
                {
                    return false; // still starting its transport: ask again
                }
                return last[0].leaderId() > 0 && last[0].durableEndOffset() >= target &&
                    last[0].commitOffset() >= target;
            },
            () -> String.valueOf(last[0]));
        Poll.until("writes acknowledged after node " + nodeId + " came back", Duration.ofSeconds(30),
            () -> writes.ackedCount() > ackedBefore, () -> writes.ackedCount() + " acked");
        System.out.println("rolling restart: node " + nodeId + " back and caught up to " + target +
            "; before its stop node " + before.nodeId() + " led epoch " + before.epoch() + ", now node " +
            cluster.leaderId() + " leads epoch " + cluster.status(cluster.leaderId()).epoch());
    }
}
