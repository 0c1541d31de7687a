package io.logship.system;

import io.logship.client.LogshipClient;
import io.logship.client.NodeStatus;
import io.logship.system.harness.AckedWrites;
import io.logship.system.harness.NodeProcess;
import io.logship.system.harness.Poll;
import io.logship.system.harness.SystemTestWatcher;
import io.logship.system.harness.TestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Pre-vote with real processes (issue 10): a node that was away (paused with SIGSTOP, or cut off by its faults file)
 * comes back without deposing the healthy leader, and a node left alone does not run up its epoch. The harness's
 * relaxed timeouts apply (election timeout {@value TestCluster#RELAXED_ELECTION_MS} ms): every absence below is longer
 * than it, so the absent node's candidacy timer has fired before it returns.
 */
class PreVoteSystemTest
{
    /** How often the epochs of the reachable nodes are sampled while a node is away. */
    private static final Duration SAMPLE_EVERY = Duration.ofMillis(200);

    @RegisterExtension
    final SystemTestWatcher watcher = new SystemTestWatcher();

    /**
     * Before pre-vote, a follower paused for 1.7 s deposed the leader when it resumed (epoch 4 to 7): its candidacy
     * timer fired on resuming, it raised its epoch, and its refusals carried that epoch to the leader. Now the leader
     * and the other follower, both hearing each other, refuse its pre-vote, and nothing changes.
     */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldKeepTheLeaderAndEpochWhenAFollowerResumesFromATwoSecondSigstop() throws Exception
    {
        final TestCluster cluster = watcher.cluster(3).start();
        final LogshipClient client = cluster.client();
        final AckedWrites writes = new AckedWrites("paused", 200);
        AckedWrites.awaitAll(writes.write(client, 0, 100), 60);
        final NodeStatus before = cluster.status(cluster.leaderId());
        final Map<Integer, Long> candidaciesBefore = candidacies(cluster);
        final NodeProcess paused = cluster.node(before.nodeId() % 3 + 1);
        final List<Integer> live = others(cluster, paused.nodeId());

        paused.signal("STOP");
        final Map<Integer, Integer> seen;
        try
        {
            seen = watchEpochs(cluster, live, Duration.ofSeconds(2));
        }
        finally
        {
            paused.signal("CONT");
        }
        AckedWrites.awaitAll(writes.write(client, 100, 200), 60);
        // Well past the resumed node's next candidacy time, had its timer not been stopped by the leader's heartbeat.
        final Map<Integer, Integer> afterResume = watchEpochs(cluster, cluster.nodeIds(),
            Duration.ofMillis(3 * TestCluster.RELAXED_ELECTION_MS));

        final NodeStatus after = cluster.awaitCaughtUp();
        System.out.println("pre-vote, follower " + paused.nodeId() + " SIGSTOPped 2 s: epoch before " + before.epoch() +
            ", highest seen while paused " + seen + ", after resuming " + afterResume + ", leader " + before.nodeId() +
            " -> " + after.nodeId() + " epoch " + after.epoch());
        assertThat(after.nodeId()).as("the same leader").isEqualTo(before.nodeId());
        assertThat(after.epoch()).as("the leader's epoch").isEqualTo(before.epoch());
        assertThat(seen).as("highest epoch per live node while node %s was paused", paused.nodeId())
            .allSatisfy((id, epoch) -> assertThat(epoch).isEqualTo(before.epoch()));
        assertThat(afterResume).as("highest epoch per node after it resumed")
            .allSatisfy((id, epoch) -> assertThat(epoch).isEqualTo(before.epoch()));
        assertThat(candidacies(cluster)).as("candidacies per node").isEqualTo(candidaciesBefore);
        assertThat(writes.failedCount()).as("first: %s", writes.firstFailure()).isZero();
    }

    /**
     * A follower cut off both ways for 10 s by the faults files keeps asking whether it could win and is never
     * answered, so its epoch stays; healed, it follows the same leader in the same epoch.
     */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldKeepTheLeaderAndEpochWhenAFollowerPartitionedForTenSecondsRejoins(@TempDir final Path faults)
        throws Exception
    {
        final TestCluster cluster = watcher.cluster(3)
            .faultsFiles(faults)
            .start();
        final LogshipClient client = cluster.client();
        final AckedWrites writes = new AckedWrites("partitioned", 200);
        AckedWrites.awaitAll(writes.write(client, 0, 100), 60);
        final NodeStatus before = cluster.status(cluster.leaderId());
        final Map<Integer, Long> candidaciesBefore = candidacies(cluster);
        final int cut = before.nodeId() % 3 + 1;
        final List<Integer> rest = others(cluster, cut);

        final Map<Integer, Integer> seen;
        try
        {
            Files.writeString(faults.resolve("node-" + cut), rest.get(0) + "," + rest.get(1));
            for (final int id : rest)
            {
                Files.writeString(faults.resolve("node-" + id), Integer.toString(cut));
            }
            // Every node is still reachable by its client port: the partition cuts peer traffic only.
            seen = watchEpochs(cluster, cluster.nodeIds(), Duration.ofSeconds(10));
            AckedWrites.awaitAll(writes.write(client, 100, 150), 60); // the majority side keeps working
        }
        finally
        {
            for (final int id : cluster.nodeIds())
            {
                Files.deleteIfExists(faults.resolve("node-" + id));
            }
        }
        AckedWrites.awaitAll(writes.write(client, 150, 200), 60);
        final Map<Integer, Integer> afterHeal = watchEpochs(cluster, cluster.nodeIds(),
            Duration.ofMillis(3 * TestCluster.RELAXED_ELECTION_MS));

        final NodeStatus after = cluster.awaitCaughtUp();
        System.out.println("pre-vote, follower " + cut + " partitioned 10 s: epoch before " + before.epoch() +
            ", highest seen during the partition " + seen + ", after healing " + afterHeal + ", leader " +
            before.nodeId() + " -> " + after.nodeId() + " epoch " + after.epoch());
        assertThat(seen).as("highest epoch per node during the partition")
            .allSatisfy((id, epoch) -> assertThat(epoch).isEqualTo(before.epoch()));
        assertThat(afterHeal).as("highest epoch per node after healing")
            .allSatisfy((id, epoch) -> assertThat(epoch).isEqualTo(before.epoch()));
        assertThat(after.nodeId()).as("the same leader").isEqualTo(before.nodeId());
        assertThat(after.epoch()).isEqualTo(before.epoch());
        assertThat(candidacies(cluster)).as("candidacies per node").isEqualTo(candidaciesBefore);
        assertThat(cluster.status(cut).logEndOffset()).isEqualTo(after.logEndOffset());
        assertThat(writes.failedCount()).as("first: %s", writes.firstFailure()).isZero();
    }

    /**
     * A follower left alone for 10 s (the leader and the other follower down) was measured at 17 candidacies
     * (epoch 7 to 26) before pre-vote. Nobody answers its pre-votes now, so its persisted epoch rises by at most one.
     * The other two are killed (SIGKILL) rather than paused: a process stopped for 10 s misses its Aeron service
     * interval and terminates anyway. Restarted, the cluster elects a leader again and takes writes.
     */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldRaiseTheEpochOfANodeLeftAloneForTenSecondsByAtMostOne() throws Exception
    {
        final TestCluster cluster = watcher.cluster(3).start();
        final LogshipClient client = cluster.client();
        final AckedWrites writes = new AckedWrites("alone", 200);
        AckedWrites.awaitAll(writes.write(client, 0, 100), 60);
        final NodeStatus leader = cluster.status(cluster.leaderId());
        final int alone = leader.nodeId() % 3 + 1;
        final List<NodeProcess> stopped = others(cluster, alone).stream().map(cluster::node).toList();
        final NodeStatus aloneBefore = cluster.status(alone);
        final int epochBefore = aloneBefore.epoch();

        for (final NodeProcess node : stopped)
        {
            node.kill9();
        }
        final Map<Integer, Integer> seen = watchEpochs(cluster, List.of(alone), Duration.ofSeconds(10));
        final NodeStatus aloneAtEnd = cluster.status(alone);
        for (final NodeProcess node : stopped)
        {
            node.start();
        }
        AckedWrites.awaitAll(writes.write(client, 100, 200), 60);
        final NodeStatus after = cluster.awaitCaughtUp();

        System.out.println("pre-vote, node " + alone + " alone 10 s: epoch " + epochBefore + " -> highest seen " +
            seen.get(alone) + ", " + (aloneAtEnd.elections() - aloneBefore.elections()) + " candidacies; after the others restarted: leader " +
            after.nodeId() + " epoch " + after.epoch());
        assertThat(seen.get(alone)).as("node %s's epoch while alone", alone).isBetween(epochBefore, epochBefore + 1);
        assertThat(aloneAtEnd.epoch()).isBetween(epochBefore, epochBefore + 1);
        assertThat(aloneAtEnd.elections() - aloneBefore.elections()).as("candidacies of node %s while alone", alone)
            .isLessThanOrEqualTo(1);
        assertThat(writes.failedCount()).as("first: %s", writes.firstFailure()).isZero();
    }

    /**
     * Samples the status of {@code nodeIds} every {@link #SAMPLE_EVERY} for {@code duration} and returns the highest
     * epoch each reported. This is the fault's duration, not a wait for a condition: it runs to the end.
     */
    private static Map<Integer, Integer> watchEpochs(final TestCluster cluster, final List<Integer> nodeIds,
        final Duration duration)
    {
        final Map<Integer, Integer> highest = new TreeMap<>();
        final long endNs = System.nanoTime() + duration.toNanos();
        long nextSampleNs = System.nanoTime();
        while (System.nanoTime() - endNs < 0)
        {
            if (System.nanoTime() - nextSampleNs >= 0)
            {
                for (final int id : nodeIds)
                {
                    highest.merge(id, cluster.status(id).epoch(), Math::max);
                }
                nextSampleNs += SAMPLE_EVERY.toNanos();
            }
            Poll.pause();
        }
        return highest;
    }

    /** Every node's candidacy counter (status {@code elections}). */
    private static Map<Integer, Long> candidacies(final TestCluster cluster)
    {
        final Map<Integer, Long> counts = new TreeMap<>();
        for (final int id : cluster.nodeIds())
        {
            counts.put(id, cluster.status(id).elections());
        }
        return counts;
    }

    private static List<Integer> others(final TestCluster cluster, final int except)
    {
        return cluster.nodeIds().stream().filter(id -> id != except).toList();
    }

}
