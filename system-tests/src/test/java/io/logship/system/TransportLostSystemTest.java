package io.logship.system;

import io.logship.client.LogshipClient;
import io.logship.system.harness.AckedWrites;
import io.logship.system.harness.NodeProcess;
import io.logship.system.harness.Poll;
import io.logship.system.harness.SystemTestWatcher;
import io.logship.system.harness.TestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node whose process is paused for longer than its Aeron client's liveness timeout (SIGSTOP here; a stalled VM or
 * host in production) comes back to an Aeron client that has terminated itself. It must stop as a crash the cluster
 * survives, with exit code 3 and a line saying why (docs/DESIGN.md#transport-lost), not die of SIGSEGV in its duty
 * thread, which is what it did: the client unmapped the counters the duty thread was incrementing. Restarted, it
 * rejoins and every acknowledged write is on every node.
 */
class TransportLostSystemTest
{
    /** The paused node's client liveness timeout (Aeron's default is 10 s): the pause below is twice as long. */
    private static final String LIVENESS = "-Daeron.client.liveness.timeout=2s";
    private static final Duration PAUSE = Duration.ofSeconds(4);

    @RegisterExtension
    final SystemTestWatcher watcher = new SystemTestWatcher();

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldHaltWithExitCodeThreeWhenPausedPastTheClientTimeoutAndRejoinAfterARestart() throws Exception
    {
        final TestCluster cluster = watcher.cluster(3).start();
        final LogshipClient client = cluster.client();
        final AckedWrites writes = new AckedWrites("paused", 300);
        AckedWrites.awaitAll(writes.write(client, 0, 100), 60);

        final NodeProcess follower = cluster.node(cluster.leaderId() % 3 + 1);
        follower.stopCleanly();
        follower.addJvmOption(LIVENESS);
        follower.start();
        cluster.awaitCaughtUp();
        cluster.expectErrors(line -> line.contains("service interval exceeded") ||
            line.contains("AgentTerminationException") || line.contains("lost its transport") ||
            line.contains("client timeout from driver") || line.contains("MediaDriver") &&
            line.contains("keepalive"));

        follower.signal("STOP");
        try
        {
            Thread.sleep(PAUSE.toMillis()); // the fault itself: the process stays frozen this long
            // The leader and the other follower are a majority: writes go on while the follower is frozen.
            AckedWrites.awaitAll(writes.write(client, 100, 200), 60);
        }
        finally
        {
            follower.signal("CONT");
        }
        Poll.until("node " + follower.nodeId() + " to exit after resuming", Duration.ofSeconds(30),
            () -> !follower.isRunning());

        final List<String> log = follower.logLines();
        assertThat(log).as("node %s's log", follower.nodeId())
            .noneMatch(line -> line.contains("A fatal error has been detected by the Java Runtime Environment"));
        assertThat(follower.exitCode()).as("exit code of node %s; log tail:%n%s", follower.nodeId(), follower.tail(30))
            .isEqualTo(3);
        assertThat(log).anyMatch(line -> line.contains("logshipd: node " + follower.nodeId() + " lost its transport"));

        follower.start();
        AckedWrites.awaitAll(writes.write(client, 200, 300), 60);
        assertThat(writes.failedCount()).as("first failure: %s", writes.firstFailure()).isZero();
        writes.assertExactlyOnceOnEveryNode(cluster, 300);
    }

}
