package io.logship.system;

import io.logship.client.LogshipClient;
import io.logship.client.NodeStatus;
import io.logship.system.harness.AckedWrites;
import io.logship.system.harness.PowerCut;
import io.logship.system.harness.SystemTestWatcher;
import io.logship.system.harness.TestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Segment rolls on a slow disk, with real processes and the product's default timeouts (lease 300 ms, election
 * 400 ms). Every file force of every node takes {@value #SLOW_FORCE_MS} ms longer (log-store's power-cut journal's slow
 * disk) and segments are 256 KiB, so the writes roll each node's log a dozen times, all nodes at about the same offsets.
 * A follower appends on its duty thread: while a roll forced the old segment and wrote the recovery point there, both
 * followers stopped acking for over a second at every roll, and the leader lost its lease (docs/DESIGN.md#segment-roll;
 * under fsync {@code always} on the benchmark's shared disk, one 3-minute run in five).
 */
class SlowDiskRollSystemTest
{
    private static final long SLOW_FORCE_MS = 400;
    private static final int SEGMENT_BYTES = 256 * 1024;
    /** About 150 bytes each in the log: twelve 256 KiB segments. */
    private static final int WRITES = 20_000;

    @RegisterExtension
    final SystemTestWatcher watcher = new SystemTestWatcher();

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void shouldKeepOneLeaderWhileEveryNodeRollsItsLogOnASlowDisk()
    {
        final TestCluster cluster = watcher.cluster(3)
            .with("logship.log.segment.bytes", SEGMENT_BYTES)
            .with("logship.node.batch.max.bytes", 64 * 1024) // a batch must fit in a segment
            .with("logship.log.fsync", "interval")
            .with("logship.node.election.lease.timeout.ms", 300)
            .with("logship.node.election.timeout.ms", 400)
            .start(new int[0]);
        for (final int id : cluster.nodeIds())
        {
            PowerCut.enable(cluster, id);
            PowerCut.slowDisk(cluster, id, SLOW_FORCE_MS);
        }
        for (final int id : cluster.nodeIds())
        {
            cluster.node(id).start();
        }
        final LogshipClient client = cluster.newClient(config -> config.requestTimeoutMs(2_000).deadlineMs(90_000));
        final AckedWrites writes = new AckedWrites("slow-roll", WRITES);
        AckedWrites.awaitAll(writes.write(client, 0, 100), 60);
        final int leader = cluster.leaderId();
        final int epoch = cluster.status(leader).epoch();
        final long segmentsBefore = segmentFiles(cluster, leader);

        for (int from = 100; from < WRITES; from += 1_000)
        {
            AckedWrites.awaitAll(writes.write(client, from, Math.min(WRITES, from + 1_000)), 90);
        }
        cluster.awaitCaughtUp();

        final NodeStatus after = cluster.status(leader);
        System.out.println("slow-disk rolls (" + SLOW_FORCE_MS + " ms per force): node " + leader + " led epoch " +
            epoch + " with " + segmentsBefore + " segment(s); after " + WRITES + " writes: " + after.role() + "@" +
            after.epoch() + ", " + segmentFiles(cluster, leader) + " segments");
        assertThat(segmentFiles(cluster, leader) - segmentsBefore).as("segments rolled during the writes")
            .isGreaterThanOrEqualTo(8);
        for (final int id : cluster.nodeIds())
        {
            final List<String> lines = cluster.node(id).logLines();
            assertThat(lines).as("node %s's log: no step-down for want of acks", id)
                .noneMatch((line) -> line.contains("lease expired"));
        }
        assertThat(after.role()).isEqualTo("LEADER");
        assertThat(after.epoch()).as("one leader, one epoch, through every roll").isEqualTo(epoch);
        assertThat(writes.failedCount()).as("writes the client gave up on, first: %s", writes.firstFailure()).isZero();
        assertThat(writes.ackedCount()).isEqualTo(WRITES);
        cluster.assertCommittedChecksumsMatch();
    }

    /** Segment files ({@code <20-digit base offset>.log}) under the node's data directory. */
    private static long segmentFiles(final TestCluster cluster, final int nodeId)
    {
        try (Stream<Path> files = Files.walk(cluster.node(nodeId).dataDir()))
        {
            return files.filter((file) -> file.getFileName().toString().matches("\\d{20}\\.log")).count();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
