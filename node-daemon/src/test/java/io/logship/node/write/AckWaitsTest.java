package io.logship.node.write;

import io.logship.log.LogConfig;
import io.logship.log.SegmentedLog;
import io.logship.node.NodeConfig;
import io.logship.node.ReplicatedLog;
import io.logship.node.Role;
import io.logship.node.election.ElectionState;
import io.logship.node.election.LocalLogView;
import io.logship.node.election.LoneLeader;
import io.logship.node.ingress.ClientSessions;
import io.logship.node.leader.CommitTracker;
import io.logship.node.leader.FollowerProgress;
import io.logship.node.status.NodeCounters;
import io.logship.log.FsyncPolicy;
import io.logship.transport.codec.AckLevel;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import org.agrona.concurrent.CachedNanoClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The leader's ack waits as the metrics see them: {@code logship_commit_latency_seconds} times real waits. */
class AckWaitsTest
{
    private static final long MS = 1_000_000;
    private static final System.Logger LOGGER = System.getLogger(AckWaitsTest.class.getName());

    @TempDir
    Path dir;

    private final CachedNanoClock clock = new CachedNanoClock();
    private SegmentedLog log;
    private ReplicatedLog partition;
    private AckWaits waits;

    @BeforeEach
    void leaderOfOne() throws IOException
    {
        log = SegmentedLog.open(new LogConfig().directory(dir.resolve("log")).segmentBytes(64 * 1024));
        partition = new ReplicatedLog(1, log, null, clock, LOGGER, new NodeCounters());
        final ElectionState election = LoneLeader.elected(new LocalLogView(log)); // leads, and holds its lease, at once
        partition.election(election);
        partition.epoch(election.epoch());
        partition.leaderId(1);
        partition.role(Role.LEADER);
        partition.leadingEpoch(election.epoch());
        final Path conf = dir.resolve("node.conf");
        Files.writeString(conf, "logship.node.id=1\nlogship.cluster.nodes=1@127.0.0.1:7001\n" +
            "logship.cluster.secret.file=" + dir.resolve("secret") + "\nlogship.node.data.dir=" + dir.resolve("data") + "\n");
        final CommitTracker commits = new CommitTracker(partition, new FollowerProgress[2], 1, FsyncPolicy.ALWAYS);
        waits = new AckWaits(partition, NodeConfig.load(conf), commits, new ClientSessions(null, 4), null);
    }

    @AfterEach
    void close()
    {
        log.close();
    }

    /**
     * The conductor reads the clock once at the start of a duty cycle, but the journal's answer for a write (which
     * starts its wait) and the commit passing it can both come later in that same cycle: a follower that wrote the
     * batch before the leader's own journal answered. Timed against the cycle's start, such a write took a negative
     * time, and a scrape showed commits counted with a sum of 0 s (a clean-clone CI run of HealthSystemTest saw it).
     */
    @Test
    void shouldTimeAWriteCommittedInTheDutyCycleThatAppendedItFromItsAppendToItsCommit()
    {
        clock.update(10 * MS);
        final long cycleStartNs = clock.nanoTime();
        clock.update(11 * MS); // the journal's answer, later in the cycle
        waits.add(AckLevel.QUORUM, 7, 42, 9, partition.epoch(), 1_000 * MS, 10);
        partition.commitOffset(10); // the follower's ack was already in: the commit passes the write at once
        clock.update(13 * MS);

        waits.onDutyCycle(cycleStartNs);

        final HistogramSnapshot.HistogramDataPointSnapshot point = ((HistogramSnapshot)partition.counters()
            .commitLatency().histogram().collect()).getDataPoints().get(0);
        assertThat(point.getCount()).isEqualTo(1);
        assertThat(point.getSum()).as("seconds from append to commit").isCloseTo(0.002, within(1e-9));
        assertThat(waits.quorumSize()).as("the wait is answered").isZero();
    }
}
