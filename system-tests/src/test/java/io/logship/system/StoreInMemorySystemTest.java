package io.logship.system;

import io.logship.client.LogshipClient;
import io.logship.client.NodeStatus;
import io.logship.system.harness.AckedWrites;
import io.logship.system.harness.SystemTestWatcher;
import io.logship.system.harness.TestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code logship.node.store=memory} on real processes: nothing but snapshots is written for the store, and a node
 * that is SIGKILLed or stopped cleanly rebuilds its store from its newest snapshot and its log on start, then serves
 * every acknowledged write again (docs/DESIGN.md#store-medium).
 */
class StoreInMemorySystemTest
{
    @RegisterExtension
    final SystemTestWatcher watcher = new SystemTestWatcher();

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void nodesRebuildTheirStoresFromSnapshotAndLogAfterAKillAndACleanRestart() throws Exception
    {
        final int count = 12_000;
        final TestCluster cluster = watcher.cluster(3)
            .with("logship.node.store", "memory")
            .with("logship.node.snapshot.interval.records", 4000)
            .start();
        final LogshipClient client = cluster.client();
        final AckedWrites writes = new AckedWrites("mem", count);
        AckedWrites.awaitAll(writes.write(client, 0, count), 90);
        assertThat(writes.failedCount()).as("failed writes, first: %s", writes.firstFailure()).isZero();
        cluster.awaitCaughtUp();
        final int follower = cluster.leaderId() == 2 ? 3 : 2;
        final int other = 6 - cluster.leaderId() - follower;
        for (final int id : cluster.nodeIds())
        {
            assertThat(cluster.node(id).logContains("logship.node.store=memory")).as("node %d's start line", id).isTrue();
            assertThat(Files.exists(cluster.node(id).dataDir().resolve("store").resolve("store.mapdb")))
                .as("node %d wrote no store file", id).isFalse();
        }

        cluster.node(follower).kill9();
        cluster.node(follower).start();
        cluster.node(other).restart();
        final NodeStatus leader = cluster.awaitCaughtUp();
        for (final int id : new int[] {follower, other})
        {
            assertThat(cluster.node(id).logContains("store rebuilt from snapshot"))
                .as("node %d rebuilt its store from a snapshot on start", id).isTrue();
            assertThat(cluster.status(id).appliedOffset()).isEqualTo(leader.commitOffset());
            writes.verifyReads(client, id, AckedWrites.sample(count, 37, 500));
        }
        cluster.assertCommittedChecksumsMatch();
    }
}
