package io.logship.system;

import io.logship.client.LogshipClient;
import io.logship.client.WriteResult;
import io.logship.os.ThreadSlice;
import io.logship.system.harness.AckedWrites;
import io.logship.system.harness.NodeProcess;
import io.logship.system.harness.Switchover;
import io.logship.system.harness.SystemTestWatcher;
import io.logship.system.harness.TestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code logship.node.threading=shared} with real processes: each node runs its media driver and its Aeron client
 * conductor on its conductor thread (Aeron's INVOKER mode), so the network, the election and the write path share one
 * duty thread. Quorum writes are acknowledged, a SIGKILL of the leader elects another and writes go on, and every
 * acknowledged write is on every node exactly once at its acknowledged offset (docs/DESIGN.md#node-threads).
 */
class SharedThreadingSystemTest
{
    private static final int WRITES = 1_500;

    @RegisterExtension
    final SystemTestWatcher watcher = new SystemTestWatcher();

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldCommitFailOverAndLoseNoAcknowledgedWriteWithTheDriverOnTheConductorThread() throws Exception
    {
        commitFailOverAndLoseNothing(watcher.cluster(3).with("logship.node.threading", "shared").start());
    }

    /**
     * The same with {@code logship.node.idle.strategy=network}: an idle conductor sleeps on its sockets, so a request,
     * an ack or a vote that did not wake it, or a hand-off from the journal or the flusher that did not, would show
     * as writes stalling or an election failing here.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldCommitFailOverAndLoseNoAcknowledgedWriteWithTheConductorWaitingOnTheNetwork() throws Exception
    {
        commitFailOverAndLoseNothing(watcher.cluster(3).with("logship.node.threading", "shared")
            .with("logship.node.idle.strategy", "network").start());
    }

    /**
     * The same with {@code logship.node.journal=conductor} (docs/DESIGN.md#journal-on-conductor): no journal thread,
     * the leader's conductor appends. A write the stage left unanswered would stall here, one appended twice or
     * under a deposed epoch would fail the exactly-once check, and a stage still appending after a step-down would
     * race the follower's appends and fail the checksums.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldCommitFailOverAndLoseNoAcknowledgedWriteWithTheJournalOnTheConductorThread() throws Exception
    {
        commitFailOverAndLoseNothing(watcher.cluster(3).with("logship.node.threading", "shared")
            .with("logship.node.journal", "conductor").start(), true);
    }

    /**
     * A switchover under load with the journal on the conductor: the leader steps down with writes still in its ring,
     * its conductor runs the journal stage while it drains them (each fails under the epoch gate or is stored before
     * the handover), and only then appends as a follower. No write fails (the client retries at the new leader) and
     * every acknowledged one is on every node once.
     */
    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void shouldSwitchOverUnderLoadWithTheJournalOnTheConductorThread() throws Exception
    {
        final int count = 8000;
        final TestCluster cluster = watcher.cluster(3).with("logship.node.threading", "shared")
            .with("logship.node.journal", "conductor").start();
        final LogshipClient client = cluster.newClient(config -> config.requestTimeoutMs(1000).deadlineMs(60_000));
        final AckedWrites writes = Switchover.underLoad(cluster, client, "switch", count);
        assertThat(writes.failedCount()).as("failed writes, first: %s", writes.firstFailure()).isZero();
        assertThat(writes.ackedCount()).isEqualTo(count);
        writes.assertExactlyOnceOnEveryNode(cluster, count);
        cluster.assertCommittedChecksumsMatch();
    }

    private void commitFailOverAndLoseNothing(final TestCluster cluster) throws Exception
    {
        commitFailOverAndLoseNothing(cluster, false);
    }

    private void commitFailOverAndLoseNothing(final TestCluster cluster, final boolean journalOnConductor)
        throws Exception
    {
        for (final int nodeId : cluster.nodeIds())
        {
            final NodeProcess node = cluster.node(nodeId);
            assertThat(node.logContains("logship.node.threading=shared")).as("node %s's start line", nodeId).isTrue();
            assertThat(node.logContains("logship.node.journal=" + (journalOnConductor ? "conductor" : "thread")))
                .as("node %s's start line", nodeId).isTrue();
            final String threads = threadDump(node);
            assertThat(threads).as("node %s's threads", nodeId).contains("\"conductor-" + nodeId + "\"")
                .doesNotContain("driver-conductor").doesNotContain("aeron-client-conductor");
            if (journalOnConductor)
            {
                assertThat(threads).as("node %s's threads", nodeId).doesNotContain("\"journal-" + nodeId + "\"");
            }
            else
            {
                assertThat(threads).as("node %s's threads", nodeId).contains("\"journal-" + nodeId + "\"");
            }
            assertWritePathSlices(node, journalOnConductor);
        }
        final LogshipClient client = cluster.newClient(config -> config.requestTimeoutMs(1000).deadlineMs(60_000));
        final AckedWrites writes = new AckedWrites("shared", WRITES);

        AckedWrites.awaitAll(writes.write(client, 0, 500), 60);
        assertThat(writes.ackedCount()).as("quorum writes before the kill, first failure: %s", writes.firstFailure())
            .isEqualTo(500);

        final NodeProcess old = cluster.leader();
        final int oldEpoch = cluster.status(old.nodeId()).epoch();
        final List<CompletableFuture<WriteResult>> before = writes.write(client, 500, 1_000);
        old.kill9();
        final List<CompletableFuture<WriteResult>> after = writes.write(client, 1_000, WRITES);
        final int newLeader = cluster.leaderId();
        assertThat(newLeader).as("a node other than the killed one leads").isNotEqualTo(old.nodeId());
        assertThat(cluster.status(newLeader).epoch()).isGreaterThan(oldEpoch);
        AckedWrites.awaitAll(before, 60);
        AckedWrites.awaitAll(after, 60);

        old.start();
        assertThat(writes.failedCount()).as("writes the client gave up on, first: %s", writes.firstFailure()).isZero();
        assertThat(writes.ackedCount()).isEqualTo(WRITES);
        writes.assertExactlyOnceOnEveryNode(cluster, WRITES);
        cluster.assertCommittedChecksumsMatch();
    }

    /**
     * docs/DESIGN.md#thread-slice: the threads a write waits on run with the short scheduler slice, the store's apply
     * thread with the kernel's default. Checked where the kernel has custom slices (Linux 6.12+), as CI's does.
     */
    private static void assertWritePathSlices(final NodeProcess node, final boolean journalOnConductor)
    {
        if (!ThreadSlice.kernelHasCustomSlices())
        {
            return;
        }
        final int id = node.nodeId();
        final Map<String, Long> slices = node.schedulerSlices();
        assertThat(slices).as("node %s's threads and their scheduler slices (ns)", id)
            .containsEntry("conductor-" + id, 100_000L).containsEntry("log-fsync-" + id, 100_000L);
        if (!journalOnConductor)
        {
            assertThat(slices).as("node %s's threads and their scheduler slices (ns)", id)
                .containsEntry("journal-" + id, 100_000L);
        }
        assertThat(slices.get("apply")).as("node %s's apply thread keeps the default slice", id).isGreaterThan(100_000L);
    }

    /** The node JVM's threads by name, from {@code jcmd <pid> Thread.print}. */
    private static String threadDump(final NodeProcess node) throws IOException, InterruptedException
    {
        final Process jcmd = new ProcessBuilder("jcmd", Long.toString(node.pid()), "Thread.print")
            .redirectErrorStream(true).start();
        final String out;
        try (InputStream in = jcmd.getInputStream())
        {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(jcmd.waitFor(30, TimeUnit.SECONDS)).as("jcmd finished").isTrue();
        assertThat(jcmd.exitValue()).as("jcmd Thread.print on node %s: %s", node.nodeId(), out).isZero();
        return out;
    }
}
