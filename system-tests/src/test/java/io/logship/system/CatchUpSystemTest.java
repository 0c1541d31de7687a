package io.logship.system;

import io.logship.client.LogshipClient;
import io.logship.client.NodeStatus;
import io.logship.system.harness.AckedWrites;
import io.logship.system.harness.Poll;
import io.logship.system.harness.SystemTestWatcher;
import io.logship.system.harness.TestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** A follower that joins late with an empty data directory ends up with the same committed data. */
class CatchUpSystemTest
{
    @RegisterExtension
    final SystemTestWatcher watcher = new SystemTestWatcher();

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldCatchUpAnEmptyFollowerJoiningLateByFetchingTheLog()
    {
        final int count = 20_000;
        final TestCluster cluster = watcher.cluster(3).start(1, 2);
        final LogshipClient client = cluster.client();
        final AckedWrites writes = new AckedWrites("late", count);
        AckedWrites.awaitAll(writes.write(client, 0, count), 90);
        assertThat(writes.failedCount()).as("failed writes, first: %s", writes.firstFailure()).isZero();

        cluster.node(3).start();
        final NodeStatus leader = cluster.awaitCaughtUp();
        final NodeStatus joined = cluster.status(3);
        assertThat(joined.logStartOffset()).as("node 3 fetched the whole log").isZero();
        assertThat(joined.logEndOffset()).isEqualTo(leader.logEndOffset());
        final TestCluster.CommonRange range = cluster.assertCommittedChecksumsMatch();
        assertThat(range.fromOffset()).isZero();
        assertThat(range.toOffset()).isEqualTo(leader.commitOffset());
        assertThat(cluster.leader().logContains("Follower 3 fetches from offset 0")).isTrue();
        writes.verifyReads(client, 3, AckedWrites.sample(count, 97, 1000));
    }

    /**
     * Small segments, small retention and frequent snapshots make the leader delete the start of its log; an empty
     * node 3 then cannot fetch from offset 0 and must be sent a snapshot, then the log after it. Keys written before
     * the leader's log start are served by node 3 from that snapshot.
     */
    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void shouldCatchUpAnEmptyFollowerBySnapshotOnceRetentionDeletedTheStartOfTheLog()
    {
        final int count = 20_000;
        final TestCluster cluster = watcher.cluster(3)
            .with("logship.log.segment.bytes", 64 * 1024)
            .with("logship.log.retention.bytes", 256 * 1024)
            .with("logship.node.snapshot.interval.records", 2000)
            // A log batch must fit a segment; the default batch limit (512 KiB) does not fit 64 KiB segments
            // (see BadInputSystemTest.shouldStoreOrCleanlyRefuseARecordLargerThanASegment).
            .with("logship.node.batch.max.bytes", 32 * 1024)
            .start(1, 2);
        final LogshipClient client = cluster.client();
        final AckedWrites writes = new AckedWrites("snap", count);
        AckedWrites.awaitAll(writes.write(client, 0, count), 90);
        assertThat(writes.failedCount()).as("failed writes, first: %s", writes.firstFailure()).isZero();
        Poll.until("the leader's retention to delete the start of its log", Duration.ofSeconds(30),
            () -> cluster.status(cluster.leaderId()).logStartOffset() > 0,
            () -> cluster.status(cluster.leaderId()).toString());
        final long leaderLogStart = cluster.status(cluster.leaderId()).logStartOffset();

        cluster.node(3).start();
        final NodeStatus leader = cluster.awaitCaughtUp();
        final NodeStatus joined = cluster.status(3);
        assertThat(joined.logStartOffset()).as("node 3 started from a snapshot, not offset 0").isPositive();
        assertThat(cluster.leader().logContains("Sending snapshot")).isTrue();
        assertThat(cluster.node(3).logContains("Installed")).isTrue();
        assertThat(joined.appliedOffset()).isEqualTo(leader.commitOffset());

        // The snapshot may cover everything committed so far (node 3's log then starts empty at its offset): write on,
        // so node 3 replicates live from the snapshot point and the nodes share a committed range to compare.
        final AckedWrites more = new AckedWrites("snap-after", 3000);
        AckedWrites.awaitAll(more.write(client, 0, 3000), 60);
        assertThat(more.failedCount()).as("failed writes, first: %s", more.firstFailure()).isZero();
        final NodeStatus end = cluster.awaitCaughtUp();
        final TestCluster.CommonRange range = cluster.assertCommittedChecksumsMatch();
        assertThat(range.fromOffset()).isGreaterThanOrEqualTo(joined.logStartOffset());
        assertThat(range.toOffset()).isEqualTo(end.commitOffset());
        more.verifyReads(client, 3, more.ackedIndexes(3000));

        // Keys whose only record is gone from the leader's log: node 3 can only know them from the snapshot.
        final List<Integer> beforeLogStart = new ArrayList<>();
        for (int i = 0; i < count; i++)
        {
            if (writes.offset(i) < leaderLogStart && (i % 7 == 0 || i < 200))
            {
                beforeLogStart.add(i);
            }
        }
        assertThat(beforeLogStart).isNotEmpty();
        writes.verifyReads(client, 3, beforeLogStart);
        writes.verifyReads(client, 3, AckedWrites.sample(count, 97, 1000));

        // What retention dropped is renamed aside and freed in steps by the apply thread (docs/DESIGN.md
        // #deleting-in-steps): on a running node nothing stays retired, and the disk space comes back.
        assertThat(cluster.leader().logContains("its blocks are freed in steps")).isTrue();
        for (final int nodeId : List.of(1, 2))
        {
            Poll.until("node " + nodeId + " to free the files retention retired", Duration.ofSeconds(30),
                () -> retiredFiles(cluster.node(nodeId).dataDir()).isEmpty(),
                () -> retiredFiles(cluster.node(nodeId).dataDir()).toString());
        }
    }

    private static List<Path> retiredFiles(final Path dataDir)
    {
        final List<Path> retired = new ArrayList<>();
        for (final String sub : List.of("log", "snapshots"))
        {
            try (Stream<Path> files = Files.list(dataDir.resolve(sub)))
            {
                files.filter(f -> f.getFileName().toString().endsWith(".deleted")).forEach(retired::add);
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }
        return retired;
    }
}
