package io.logship.system;

import io.logship.client.LogshipClient;
import io.logship.client.NodeStatus;
import io.logship.log.RecordType;
import io.logship.client.TailBatch;
import io.logship.client.TailRecord;
import io.logship.client.WriteResult;
import io.logship.system.harness.AckedWrites;
import io.logship.system.harness.Poll;
import io.logship.system.harness.RawWireClient;
import io.logship.system.harness.SystemTestWatcher;
import io.logship.system.harness.NodeProcess;
import io.logship.system.harness.TestCluster;
import io.logship.transport.BoundedPublisher;
import io.logship.transport.TransportStream;
import io.logship.transport.codec.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Processes dying or restarting under load: nothing acknowledged is lost, nothing is applied twice. */
class FailureSystemTest
{
    @RegisterExtension
    final SystemTestWatcher watcher = new SystemTestWatcher();

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void shouldCatchUpAFollowerKilledWithSigkillMidLoadAndLoseNothingAcknowledged() throws Exception
    {
        final int count = 30_000;
        final TestCluster cluster = watcher.cluster(3).start();
        final LogshipClient client = cluster.client();
        final AckedWrites writes = new AckedWrites("kill", count);
        final ExecutorService load = Executors.newSingleThreadExecutor();
        try
        {
            final Future<List<CompletableFuture<WriteResult>>> issued = load.submit(() -> writes.write(client, 0, count));
            Poll.until("5000 acknowledged writes before the kill", Duration.ofSeconds(60),
                () -> writes.ackedCount() >= 5000, () -> writes.ackedCount() + " acked");
            cluster.node(3).kill9();
            final int ackedAtKill = writes.ackedCount();
            Poll.until("more writes acknowledged by the leader and node 2 alone", Duration.ofSeconds(60),
                () -> writes.ackedCount() >= Math.min(count, ackedAtKill + 5000), () -> writes.ackedCount() + " acked");
            cluster.node(3).start();
            AckedWrites.awaitAll(issued.get(90, TimeUnit.SECONDS), 90);
        }
        finally
        {
            load.shutdownNow();
        }
        assertThat(writes.failedCount()).as("failed writes, first: %s", writes.firstFailure()).isZero();
        assertThat(writes.ackedCount()).isEqualTo(count);

        final NodeStatus leader = cluster.awaitCaughtUp();
        final NodeStatus restarted = cluster.status(3);
        assertThat(restarted.durableEndOffset()).isEqualTo(leader.logEndOffset());
        assertThat(restarted.epoch()).isEqualTo(leader.epoch());
        cluster.assertCommittedChecksumsMatch();
        // Every acknowledged write, from the node that was killed.
        assertThat(writes.verifyReads(client, 3, writes.ackedIndexes(count))).isEqualTo(count);
    }

    /**
     * The leader is stopped (SIGTERM) and started again while a client has many writes in flight; the client retries
     * the unanswered ones with their original sequences. Afterwards the log holds each write at most once, and each
     * acknowledged write exactly once, at its acknowledged offset. (Writes that failed — see the disabled test below —
     * are allowed to be missing but never duplicated.)
     */
    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void shouldApplyEveryWriteOnceWhenTheLeaderRestartsWithWritesInFlight() throws Exception
    {
        final int count = 20_000;
        final TestCluster cluster = watcher.cluster(3).start();
        final AckedWrites writes = underLoad(cluster, count, c -> c.leader().restart());
        assertThat(writes.ackedCount() + writes.failedCount()).isEqualTo(count);
        assertThat(writes.ackedCount()).as("acknowledged writes").isGreaterThan(count / 2);
        final int keys = assertLogHoldsEveryWriteAtMostOnce(cluster, writes, count, 2);
        System.out.println("leader SIGTERM under load: " + writes.ackedCount() + " acknowledged, " +
            writes.failedCount() + " failed, " + keys + " distinct keys in the log");
    }

    /**
     * The leader is killed with SIGKILL while writes are in flight: a follower is elected, the client's retries go to
     * it and are de-duplicated; the old leader is started again and rejoins as a follower (its log recovers, its
     * store is rebuilt, a divergent unacknowledged suffix is cut). Every acknowledged write is in the log exactly
     * once at its offset and readable from every node.
     */
    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void shouldKeepEveryAcknowledgedWriteExactlyOnceWhenTheLeaderIsKilledAndRestarted() throws Exception
    {
        final int count = 20_000;
        final TestCluster cluster = watcher.cluster(3).start();
        final AckedWrites writes = underLoad(cluster, count, c ->
        {
            final NodeProcess old = c.leader();
            old.kill9();
            old.start();
        });
        assertThat(writes.ackedCount() + writes.failedCount()).isEqualTo(count);
        assertThat(writes.ackedCount()).as("acknowledged writes").isGreaterThan(count / 2);
        final int keys = assertLogHoldsEveryWriteAtMostOnce(cluster, writes, count, 2);
        for (final int nodeId : cluster.nodeIds())
        {
            writes.verifyReads(cluster.client(), nodeId, AckedWrites.sample(count, 13, 500));
        }
        System.out.println("leader SIGKILL under load: " + writes.ackedCount() + " acknowledged, " +
            writes.failedCount() + " failed (first: " + writes.firstFailure() + "), " + keys + " distinct keys in the log");
    }

    /**
     * Tails the whole committed log from node 2: offsets dense, {@code noops} NOOPs, no key twice, every acknowledged
     * write exactly once at its acknowledged offset. Returns the number of distinct keys.
     */
    private static int assertLogHoldsEveryWriteAtMostOnce(final TestCluster cluster, final AckedWrites writes,
        final int count, final int noopsExpected)
    {
        final NodeStatus leader = cluster.awaitCaughtUp();
        cluster.assertCommittedChecksumsMatch();
        final Map<String, List<Long>> offsetsByKey = new HashMap<>();
        int noops = 0;
        long records = 0;
        long from = 0;
        while (from < leader.commitOffset())
        {
            final TailBatch batch = cluster.client().tail(2, from, 1 << 20);
            assertThat(batch.nextOffset()).as("tail from %s made no progress", from).isGreaterThan(from);
            for (final TailRecord record : batch.records())
            {
                assertThat(record.offset()).as("dense offsets").isEqualTo(records);
                records++;
                if (record.type() == RecordType.NOOP)
                {
                    noops++;
                }
                else
                {
                    offsetsByKey.computeIfAbsent(new String(record.key(), StandardCharsets.US_ASCII),
                        k -> new ArrayList<>()).add(record.offset());
                }
            }
            from = batch.nextOffset();
        }
        final List<String> duplicates = offsetsByKey.entrySet().stream().filter(e -> e.getValue().size() > 1)
            .map(e -> e.getKey() + " at " + e.getValue()).limit(10).toList();
        assertThat(duplicates).as("keys written more than once").isEmpty();
        // One NOOP per epoch that had a leader: at least the expected ones (an election more is allowed, never fewer).
        assertThat(noops).as("NOOPs (one per leader epoch)").isGreaterThanOrEqualTo(noopsExpected);
        assertThat(records).isEqualTo(leader.commitOffset()).isEqualTo(noops + offsetsByKey.size());
        for (int i = 0; i < count; i++)
        {
            if (writes.isAcked(i))
            {
                final String key = new String(writes.key(i), StandardCharsets.US_ASCII);
                assertThat(offsetsByKey.get(key)).as("acknowledged write %s", i).containsExactly(writes.offset(i));
            }
        }
        return offsetsByKey.size();
    }

    /**
     * What a user expects of a clean leader restart: no write fails, since the stopping leader lets writes already
     * taken reach their ack level (or answers them with a retryable status) and the client retries across the restart
     * while the leader de-duplicates.
     */
    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void shouldNotFailInFlightWritesWhenTheLeaderIsStoppedCleanlyAndRestarted() throws Exception
    {
        final int count = 20_000;
        final TestCluster cluster = watcher.cluster(3).start();
        final AckedWrites writes = underLoad(cluster, count, c -> c.leader().restart());
        assertThat(writes.failedCount()).as("failed writes, first: %s", writes.firstFailure()).isZero();
        assertThat(writes.ackedCount()).isEqualTo(count);
    }

    /** Pipelines {@code count} writes on another thread and runs {@code breakIt} after 3000 acks. */
    private static AckedWrites underLoad(final TestCluster cluster, final int count,
        final java.util.function.Consumer<TestCluster> breakIt) throws Exception
    {
        final LogshipClient client = cluster.newClient(config -> config.requestTimeoutMs(2000).deadlineMs(60_000));
        final AckedWrites writes = new AckedWrites("retry", count);
        final ExecutorService load = Executors.newSingleThreadExecutor();
        try
        {
            final Future<List<CompletableFuture<WriteResult>>> issued = load.submit(() -> writes.write(client, 0, count));
            Poll.until("3000 acknowledged writes before the restart", Duration.ofSeconds(60),
                () -> writes.ackedCount() >= 3000, () -> writes.ackedCount() + " acked");
            breakIt.accept(cluster);
            AckedWrites.awaitAll(issued.get(120, TimeUnit.SECONDS), 120);
        }
        finally
        {
            load.shutdownNow();
        }
        return writes;
    }

    /**
     * The same write, (clientId, sequence), sent twice on the wire — as a client does when an answer is lost — is
     * appended once, and the second answer carries the original offset. A third copy after a leader restart too.
     */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldAnswerARetriedWriteWithItsOriginalOffsetAndAppendItOnce()
    {
        final TestCluster cluster = watcher.cluster(3).start();
        final long clientId = 0x5EED_0001L;
        final byte[] key = "dedup-key".getBytes(StandardCharsets.US_ASCII);
        final byte[] value = "first".getBytes(StandardCharsets.US_ASCII);

        final RawWireClient raw = cluster.rawClient(clientId);
        BoundedPublisher ingress = raw.publisher(cluster.port(cluster.leaderId()), TransportStream.CLIENT_INGRESS);
        raw.connect(ingress);
        final RawWireClient.WriteAnswer first = raw.put(ingress, 1, key, value);
        assertThat(first.status()).as("%s", first).isEqualTo(Status.OK);
        final RawWireClient.WriteAnswer retry = raw.put(ingress, 1, key, value);
        assertThat(retry.status()).as("%s", retry).isEqualTo(Status.OK);
        assertThat(retry.writeOffset()).isEqualTo(first.writeOffset());
        final RawWireClient.WriteAnswer second = raw.put(ingress, 2, key, "second".getBytes(StandardCharsets.US_ASCII));
        assertThat(second.writeOffset()).isEqualTo(first.writeOffset() + 1);

        NodeStatus leader = cluster.awaitCaughtUp();
        assertThat(leader.logEndOffset()).as("NOOP + two writes").isEqualTo(3);

        // After a failover (the leader restarts, another node is elected) the new leader's de-duplication state is
        // built from the log: a late retry is still recognised.
        cluster.leader().restart();
        ingress = raw.publisher(cluster.port(cluster.leaderId()), TransportStream.CLIENT_INGRESS);
        raw.connect(ingress);
        final RawWireClient.WriteAnswer late = raw.put(ingress, 2, key, "second".getBytes(StandardCharsets.US_ASCII));
        assertThat(late.status()).as("%s", late).isEqualTo(Status.OK);
        assertThat(late.writeOffset()).isEqualTo(second.writeOffset());
        leader = cluster.awaitCaughtUp();
        assertThat(leader.logEndOffset()).as("NOOP, two writes, the new epoch's NOOP").isEqualTo(4);
        cluster.assertCommittedChecksumsMatch();

        final TailBatch all = cluster.client().tail(3, 0, 1 << 20);
        assertThat(all.records()).extracting(TailRecord::type)
            .containsExactly(RecordType.NOOP, RecordType.PUT, RecordType.PUT, RecordType.NOOP);
    }
}
