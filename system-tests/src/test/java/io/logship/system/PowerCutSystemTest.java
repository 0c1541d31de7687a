package io.logship.system;

import io.logship.client.LogshipClient;
import io.logship.client.NodeStatus;
import io.logship.client.WriteResult;
import io.logship.log.PowerCutJournal;
import io.logship.system.harness.AckedWrites;
import io.logship.system.harness.NodeProcess;
import io.logship.system.harness.Poll;
import io.logship.system.harness.PowerCut;
import io.logship.system.harness.SystemTestWatcher;
import io.logship.system.harness.TestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Power cuts, not just crashes. A SIGKILL keeps the page cache, so a node that acknowledged a write before its fsync
 * still has it after a restart and every SIGKILL test passes; these tests kill nodes and then cut their files back
 * to what they had forced ({@link PowerCut}, log-store's {@code PowerCutJournal}: unforced appends lost, renames and
 * deletions without a directory fsync rolled back, the MapDB store lost), so only what was durable survives.
 *
 * <p><b>{@code fsync=always}</b>: a quorum write is acknowledged once a majority has it forced. The test makes the
 * leader and one follower that majority (the third node is down while they take writes), cuts the power of both at
 * once while writes flow, and restarts the follower and the third node first, so they elect a leader from their own
 * logs before the old leader is back. If the follower had acknowledged anything before forcing it, that leader would
 * lack it and the old leader, rejoining, would give up its copy: the write would be gone. Every acknowledged write
 * must be on every node afterwards, at its offset, with its key and value (all of them, read from the nodes' log
 * files). The follower has a slower disk ({@link #SLOW_FORCE_MS}), so the cut always finds it with appended but
 * unforced batches; with a build where the follower reports its written end as durable, this test fails with
 * hundreds of acknowledged writes missing (checked by hand, see log-store/README.md "Power-cut model").
 *
 * <p><b>{@code fsync=interval}</b>: what the code promises today is that a quorum write is on a majority, and that a
 * node loses at most its last interval of unforced appends on a power cut (log-store/README.md). So an acknowledged
 * write survives the power cut of any one node, the leader included: the test cuts the leader under load. (Today a
 * follower forces before it reports a position whatever the policy, and the leader counts only its forced end, so a
 * quorum write with {@code interval} is in fact forced on a majority too; that is not promised, and the durability
 * receipts planned in issue 8 will change it, so it is not tested here.)
 */
class PowerCutSystemTest
{
    /**
     * Keys the load can write. After the cut the load is paced ({@link Load#pace}) so it outlasts the rest of a test
     * on a fast or a slow machine: unpaced, a cluster that got faster wrote all 200,000 keys of the old capacity
     * before the old leader had restarted, and the test then waited for writes that could never come.
     */
    private static final int CAPACITY = 1_000_000;
    /**
     * The follower's slower disk (fsync +50 ms; this machine's follower fsyncs take 100-200 ms at times): the window
     * in which it has written but not forced what the leader has forced, wide enough that a power cut under load lands
     * in it every time. With equal disks it is a fraction of a millisecond.
     */
    private static final long SLOW_FORCE_MS = 50;

    @RegisterExtension
    final SystemTestWatcher watcher = new SystemTestWatcher();

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldKeepEveryQuorumWriteAcknowledgedWithFsyncAlwaysWhenTheLeaderAndAFollowerLosePowerTogether()
        throws Exception
    {
        final int slow = 2;
        final TestCluster cluster = startCluster("always", slow);
        final AckedWrites writes = new AckedWrites("cut", CAPACITY);
        final Load load = new Load(cluster.client(), writes);
        try
        {
            load.awaitAcked(3_000);
            final int leader = cluster.leaderId();
            final int follower = leader != slow ? slow : cluster.nodeIds().stream().filter(id -> id != leader)
                .findFirst().orElseThrow();
            final int bystander = cluster.nodeIds().stream().filter(id -> id != leader && id != follower).findFirst()
                .orElseThrow();
            cluster.node(bystander).kill9();
            // From here on every acknowledgement rests on the leader's and the follower's fsync alone.
            load.awaitAcked(writes.ackedCount() + 6_000);
            // Cut while writes flow, so the follower has appended what it has not forced yet.
            final Map<Integer, List<String>> cuts = PowerCut.cut(cluster, leader, follower);
            load.stopIssuing();
            final int ackedBeforeCut = writes.ackedCount();
            System.out.println("fsync always: power-cut leader " + leader + " and follower " + follower + " with " +
                ackedBeforeCut + " writes acknowledged; the cut: " + summary(cuts));

            // The adversarial order: the two nodes without the old leader's copy choose the next leader.
            cluster.node(follower).start();
            cluster.node(bystander).start();
            final int newLeader = cluster.leaderId();
            assertThat(newLeader).as("a leader elected by the follower and the node that was down").isIn(follower,
                bystander);
            cluster.node(leader).start();
            load.awaitIssued();
        }
        finally
        {
            load.close();
        }
        assertEveryAcknowledgedWriteOnEveryNode(cluster, writes);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldKeepEveryQuorumWriteAcknowledgedWithFsyncIntervalWhenTheLeaderLosesPower() throws Exception
    {
        final TestCluster cluster = startCluster("interval", 0);
        final AckedWrites writes = new AckedWrites("cut-interval", CAPACITY);
        cutTheLeaderUnderLoadAndRestartIt(cluster, writes, PowerCutJournal.PendingNames.UNDONE);
        assertEveryAcknowledgedWriteOnEveryNode(cluster, writes);
    }

    /**
     * Under load, power-cuts the leader (the names its directories had not synced {@code pendingNames}), waits for
     * another leader and 3,000 more acknowledged writes, restarts the old leader, and stops the load once 2,000 more
     * are acknowledged. Returns the old leader's id.
     */
    private static int cutTheLeaderUnderLoadAndRestartIt(final TestCluster cluster, final AckedWrites writes,
        final PowerCutJournal.PendingNames pendingNames) throws Exception
    {
        final Load load = new Load(cluster.client(), writes);
        try
        {
            load.awaitAcked(5_000);
            final int leader = cluster.leaderId();
            final Map<Integer, List<String>> cuts = PowerCut.cut(cluster, pendingNames, leader);
            final int ackedAtCut = writes.ackedCount();
            System.out.println("fsync interval, names " + pendingNames + ": power-cut leader " + leader + " with " +
                ackedAtCut + " writes acknowledged; the cut: " + summary(cuts));
            load.pace(10_000);
            assertThat(cluster.leaderId()).isNotEqualTo(leader);
            load.awaitAcked(ackedAtCut + 3_000);
            cluster.node(leader).start();
            load.awaitAcked(writes.ackedCount() + 2_000);
            load.stopIssuing();
            load.awaitIssued();
            return leader;
        }
        finally
        {
            load.close();
        }
    }

    /**
     * {@code fsync=interval} with small segments and a 2 s interval, so a cut of the leader under load lands after
     * segment rolls its last flush has not covered, and a file system that kept every name ({@code PendingNames.KEPT},
     * as ext4 with delayed allocation may): the new segments' names survive while the older segment loses its
     * unforced tail, a gap in the leader's log. The leader must start again (the open drops the segments created after
     * its last completed flush, docs/DESIGN.md#unflushed-segments) and rejoin; it refused to start before that change,
     * "a segment is missing or truncated".
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldRestartALeaderWhosePowerCutKeptTheNamesOfSegmentsRolledSinceItsLastFlush() throws Exception
    {
        final TestCluster cluster = startCluster(watcher.cluster(3).with("logship.log.fsync", "interval")
            .with("logship.log.fsync.interval.ms", 2000)
            .with("logship.log.segment.bytes", 64 * 1024)
            // A log batch must fit a segment (BadInputSystemTest.shouldStoreOrCleanlyRefuseARecordLargerThanASegment).
            .with("logship.node.batch.max.bytes", 32 * 1024), 0);
        final AckedWrites writes = new AckedWrites("cut-names", CAPACITY);
        final int leader = cutTheLeaderUnderLoadAndRestartIt(cluster, writes, PowerCutJournal.PendingNames.KEPT);
        assertThat(cluster.node(leader).logContains("after the end of the recovered log"))
            .as("the cut left segments after a gap in node %s's log, which its open dropped", leader).isTrue();
        assertEveryAcknowledgedWriteOnEveryNode(cluster, writes);
    }

    /** Three nodes with the power-cut journal; {@code slowNode} (if positive) gets the slow disk. */
    private TestCluster startCluster(final String fsync, final int slowNode)
    {
        return startCluster(watcher.cluster(3).with("logship.log.fsync", fsync), slowNode);
    }

    private TestCluster startCluster(final TestCluster.Builder builder, final int slowNode)
    {
        final TestCluster cluster = builder.start(new int[0]);
        for (final int id : cluster.nodeIds())
        {
            PowerCut.enable(cluster, id);
        }
        if (slowNode > 0)
        {
            PowerCut.slowDisk(cluster, slowNode, SLOW_FORCE_MS);
        }
        for (final int id : cluster.nodeIds())
        {
            cluster.node(id).start();
        }
        cluster.awaitCaughtUp();
        return cluster;
    }

    /**
     * Waits until every node holds the leader's whole log, stops them all cleanly, and checks every acknowledged write
     * against each node's log files.
     */
    private static void assertEveryAcknowledgedWriteOnEveryNode(final TestCluster cluster, final AckedWrites writes)
    {
        awaitSameCommittedLog(cluster);
        cluster.assertCommittedChecksumsMatch();
        final Map<Integer, Map<Long, PowerCut.StoredPut>> logs = new TreeMap<>();
        for (final int id : cluster.nodeIds())
        {
            final NodeProcess node = cluster.node(id);
            node.stopCleanly();
            logs.put(id, PowerCut.records(node));
        }
        final int checked = PowerCut.assertEveryAcknowledgedWriteOnEveryNode(writes, writes.issued(), logs);
        assertThat(checked).as("acknowledged writes checked").isEqualTo(writes.ackedCount()).isGreaterThan(5_000);
        System.out.println("every one of " + checked + " acknowledged writes is on nodes " + logs.keySet() +
            " at its offset with its value (" + writes.failedCount() + " writes failed, first: " + writes.firstFailure() +
            ")");
    }

    /**
     * {@link TestCluster#awaitCaughtUp()} without its durable-end condition: with {@code fsync=interval} an idle leader
     * does not force its tail (it forces only when an append finds the interval passed), so its durable end can stay
     * behind its log end for good once the writes stop. Every node must hold the leader's whole log, committed and
     * applied.
     */
    private static void awaitSameCommittedLog(final TestCluster cluster)
    {
        final Map<Integer, NodeStatus> last = new TreeMap<>();
        Poll.until("every node to hold the leader's whole log, committed and applied", TestCluster.CATCH_UP_TIMEOUT, () ->
            {
                last.clear();
                for (final int id : cluster.nodeIds())
                {
                    try
                    {
                        last.put(id, cluster.status(id));
                    }
                    catch (final RuntimeException ex)
                    {
                        return false;
                    }
                }
                final NodeStatus leader = last.values().stream().filter(s -> "LEADER".equals(s.role()))
                    .max(java.util.Comparator.comparingInt(NodeStatus::epoch)).orElse(null);
                return null != leader && leader.commitOffset() == leader.logEndOffset() && last.values().stream()
                    .allMatch(s -> s.epoch() == leader.epoch() && s.logEndOffset() == leader.logEndOffset() &&
                        s.commitOffset() == leader.commitOffset() && s.appliedOffset() == leader.commitOffset());
            },
            () -> TestCluster.describe(last));
    }

    private static String summary(final Map<Integer, List<String>> cuts)
    {
        final StringBuilder out = new StringBuilder();
        cuts.forEach((id, report) -> out.append(System.lineSeparator()).append("  node ").append(id).append(": ")
            .append(report.isEmpty() ? "nothing to cut" : String.join(System.lineSeparator() + "    ", report)));
        return out.toString();
    }

    /** One thread issuing pipelined quorum writes, 100 at a time, until told to stop; paced once told to. */
    private static final class Load implements AutoCloseable
    {
        /** Small chunks, so a paced load flows evenly instead of in bursts the leader can force between. */
        private static final int CHUNK = 100;

        private final AckedWrites writes;
        private final AtomicBoolean issuing = new AtomicBoolean(true);
        /** 0: as fast as the client takes them (so the cut lands in a full pipeline); else the pace. */
        private volatile long nsPerWrite;
        private final ExecutorService executor = Executors.newSingleThreadExecutor();
        private final Future<List<CompletableFuture<WriteResult>>> issued;

        Load(final LogshipClient client, final AckedWrites writes)
        {
            this.writes = writes;
            this.issued = executor.submit(() ->
            {
                final List<CompletableFuture<WriteResult>> futures = new ArrayList<>();
                long dueNs = 0;
                for (int from = 0; issuing.get() && from + CHUNK <= CAPACITY; from += CHUNK)
                {
                    futures.addAll(writes.write(client, from, from + CHUNK));
                    final long pacedNs = nsPerWrite;
                    if (pacedNs > 0)
                    {
                        // Pacing, not waiting for a condition: the next chunk is due at its place in the schedule.
                        dueNs = Math.max(dueNs, System.nanoTime()) + CHUNK * pacedNs;
                        while (issuing.get() && System.nanoTime() < dueNs)
                        {
                            LockSupport.parkNanos(Math.min(dueNs - System.nanoTime(), 10_000_000L));
                        }
                    }
                }
                return futures;
            });
        }

        void awaitAcked(final int count)
        {
            Poll.until(count + " acknowledged writes", Duration.ofSeconds(60), () -> writes.ackedCount() >= count,
                () -> writes.ackedCount() + " acknowledged, " + writes.failedCount() + " failed, first: " +
                    writes.firstFailure());
        }

        /** From now on at most {@code perSecond} writes a second. */
        void pace(final int perSecond)
        {
            nsPerWrite = 1_000_000_000L / perSecond;
        }

        void stopIssuing()
        {
            issuing.set(false);
        }

        /** Waits for the issuing thread to stop and for every write it issued to be answered or to fail. */
        void awaitIssued() throws Exception
        {
            stopIssuing();
            AckedWrites.awaitAll(issued.get(60, TimeUnit.SECONDS), 60);
        }

        @Override
        public void close()
        {
            stopIssuing();
            executor.shutdownNow();
        }
    }
}
