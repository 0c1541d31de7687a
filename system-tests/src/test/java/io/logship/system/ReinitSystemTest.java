package io.logship.system;

import io.logship.client.LogshipClient;
import io.logship.system.harness.AdminCliProcess;
import io.logship.system.harness.SystemTestWatcher;
import io.logship.system.harness.TestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code logship reinit} with real processes (docs/DESIGN.md#reinit): refused for the leader and for a running node;
 * a stopped follower whose log was damaged is reinitialised (data moved aside, election state kept), starts,
 * resyncs from the leader, and {@code verify} passes.
 */
class ReinitSystemTest
{
    private static final Duration CLI_TIMEOUT = Duration.ofSeconds(60);

    @RegisterExtension
    final SystemTestWatcher watcher = new SystemTestWatcher();

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void shouldRefuseTheLeaderAndARunningNodeAndResyncAStoppedDamagedFollower() throws Exception
    {
        final TestCluster cluster = watcher.cluster(3).start();
        final LogshipClient client = cluster.client();
        write(client, "before-", 300);
        cluster.awaitCaughtUp();
        final int leader = cluster.leaderId();
        final int follower = cluster.nodeIds().stream().filter(id -> id != leader).findFirst().orElseThrow();

        final AdminCliProcess.Result leaderRefused = reinit(cluster, leader);
        assertThat(leaderRefused.exitCode()).as("%s", leaderRefused).isEqualTo(1);
        assertThat(leaderRefused.stderr()).as("%s", leaderRefused).contains("node " + leader + " is the current leader");

        final AdminCliProcess.Result runningRefused = reinit(cluster, follower);
        assertThat(runningRefused.exitCode()).as("%s", runningRefused).isEqualTo(1);
        assertThat(runningRefused.stderr()).as("%s", runningRefused).contains("node " + follower + " is running");

        cluster.node(follower).stop();
        final Path dataDir = cluster.node(follower).dataDir();
        final String electionState = Files.readString(dataDir.resolve("node-state"), StandardCharsets.UTF_8);
        damageLog(dataDir.resolve("log"));
        write(client, "while-down-", 200);

        final AdminCliProcess.Result done = reinit(cluster, follower);
        assertThat(done.exitCode()).as("%s", done).isZero();
        assertThat(done.stdout()).as("%s", done).contains("moved log/, store/, snapshots/").contains("not deleted");
        final List<Path> aside;
        try (Stream<Path> entries = Files.list(dataDir))
        {
            aside = entries.filter(p -> p.getFileName().toString().startsWith("reinit-")).toList();
        }
        assertThat(aside).as("the moved-aside directory in %s", dataDir).hasSize(1);
        assertThat(aside.get(0).resolve("log")).isDirectory();
        assertThat(dataDir.resolve("log")).doesNotExist();
        assertThat(Files.readString(dataDir.resolve("node-state"), StandardCharsets.UTF_8))
            .as("the election state (epoch, vote) is kept").isEqualTo(electionState);

        cluster.node(follower).start();
        cluster.awaitCaughtUp();
        assertThat(cluster.status(follower).logEndOffset()).isEqualTo(cluster.status(leader).logEndOffset());
        final AdminCliProcess.Result verify = AdminCliProcess.run(cluster.dir(), CLI_TIMEOUT, "verify",
            "--config", cluster.node(leader).configFile().toString());
        assertThat(verify.exitCode()).as("%s", verify).isZero();
    }

    private static AdminCliProcess.Result reinit(final TestCluster cluster, final int nodeId)
    {
        return AdminCliProcess.run(cluster.dir(), CLI_TIMEOUT, "reinit", Integer.toString(nodeId),
            "--config", cluster.node(nodeId).configFile().toString());
    }

    private static void write(final LogshipClient client, final String prefix, final int count) throws Exception
    {
        final CompletableFuture<?>[] writes = new CompletableFuture<?>[count];
        for (int i = 0; i < count; i++)
        {
            writes[i] = client.put((prefix + i).getBytes(StandardCharsets.UTF_8),
                ("value " + i).getBytes(StandardCharsets.UTF_8));
        }
        CompletableFuture.allOf(writes).get(60, TimeUnit.SECONDS);
    }

    /** Overwrites bytes in the middle of every segment: the kind of damage a node refuses to start with. */
    private static void damageLog(final Path logDir) throws Exception
    {
        try (Stream<Path> files = Files.list(logDir))
        {
            for (final Path segment : files.filter(p -> p.getFileName().toString().endsWith(".log")).toList())
            {
                final long size = Files.size(segment);
                if (size < 64)
                {
                    continue;
                }
                try (FileChannel channel = FileChannel.open(segment, StandardOpenOption.WRITE))
                {
                    channel.write(ByteBuffer.wrap(new byte[32]), size / 2);
                }
            }
        }
    }
}
