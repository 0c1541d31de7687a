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

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code logship.log.fsync=interval} with one of three nodes down: a quorum is the leader and the one follower, so
 * every commit needs the leader's own fsync. Once a burst of writes stops, nothing appends any more, and the leader
 * must still force the burst's tail by itself, or its last writes wait until the client gives up.
 */
class FsyncIntervalSystemTest
{
    /** Long enough that a burst's last batches almost surely land between two fsyncs. */
    private static final int INTERVAL_MS = 500;

    @RegisterExtension
    final SystemTestWatcher watcher = new SystemTestWatcher();

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldAcknowledgeTheLastQuorumWritesOfABurstWithAFollowerDown()
    {
        final TestCluster cluster = watcher.cluster(3)
            .with("logship.log.fsync", "interval")
            .with("logship.log.fsync.interval.ms", INTERVAL_MS)
            .start(1, 2);
        final LogshipClient client = cluster.client();

        for (int burst = 0; burst < 3; burst++)
        {
            final int count = 2_000;
            final AckedWrites writes = new AckedWrites("burst-" + burst, count);
            AckedWrites.awaitAll(writes.write(client, 0, count), 60);
            assertThat(writes.failedCount()).as("burst %d: failed quorum writes, first: %s", burst,
                writes.firstFailure()).isZero();
            assertThat(writes.isAcked(count - 1)).as("burst %d: the last write is acknowledged", burst).isTrue();

            // No more writes: the leader's durable end still reaches its log end, and the commit with it.
            final int leaderId = cluster.leaderId();
            Poll.until("the idle leader to force its tail", Duration.ofMillis(2 * INTERVAL_MS + 4_000), () ->
            {
                final NodeStatus leader = cluster.status(leaderId);
                return leader.durableEndOffset() == leader.logEndOffset() &&
                    leader.commitOffset() == leader.logEndOffset();
            }, () -> cluster.status(leaderId).toString());
        }
    }
}
