package io.logship.system;

import io.logship.client.AckLevel;
import io.logship.client.LogshipClient;
import io.logship.client.LogshipClientException;
import io.logship.client.NodeStatus;
import io.logship.client.ReadConsistency;
import io.logship.client.ReadResult;
import io.logship.client.ResponseStatus;
import io.logship.client.WriteResult;
import io.logship.system.harness.AckedWrites;
import io.logship.system.harness.SystemTestWatcher;
import io.logship.system.harness.TestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** A healthy 3-node cluster: what a user writes at quorum is on every node, readable everywhere, byte for byte. */
class ReplicationSystemTest
{
    private static final int WRITES = 100_000;

    @RegisterExtension
    final SystemTestWatcher watcher = new SystemTestWatcher();

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void shouldReplicateOneHundredThousandQuorumWritesToEveryNodeAndReadEachBackEverywhere()
    {
        final TestCluster cluster = watcher.cluster(3).start();
        final LogshipClient client = cluster.client();
        final AckedWrites writes = new AckedWrites("bulk", WRITES);

        final long startNs = System.nanoTime();
        AckedWrites.awaitAll(writes.write(client, 0, WRITES), 150);
        final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        System.out.println("100k quorum writes of 100 bytes took " + elapsedMs + " ms");

        assertThat(writes.failedCount()).as("failed writes, first: %s", writes.firstFailure()).isZero();
        assertThat(writes.ackedCount()).isEqualTo(WRITES);
        final Set<Long> offsets = new HashSet<>();
        for (int i = 0; i < WRITES; i++)
        {
            assertThat(offsets.add(writes.offset(i))).as("offset %s acknowledged twice", writes.offset(i)).isTrue();
            assertThat(writes.epoch(i)).isEqualTo(writes.epoch(0));
        }

        final NodeStatus leader = cluster.awaitCaughtUp();
        final TestCluster.CommonRange range = cluster.assertCommittedChecksumsMatch();
        assertThat(range.fromOffset()).isZero();
        assertThat(range.toOffset()).isEqualTo(leader.commitOffset());
        // 100k records plus the NOOP that opened the epoch, every one acknowledged below the commit offset.
        assertThat(leader.commitOffset()).isEqualTo(WRITES + 1);
        assertThat(writes.offset(WRITES - 1)).isLessThan(leader.commitOffset());

        // Every acknowledged write, read from every node's whole committed log: at its offset, once, with its value.
        final long checkNs = System.nanoTime();
        writes.assertExactlyOnceOnEveryNode(cluster, WRITES);
        System.out.println("every node's log read whole and checked against the 100k acknowledgements in " +
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - checkNs) + " ms");
        // Through the store (get by key with minOffset) a sample: the log check above is the exact one.
        final List<Integer> sample = AckedWrites.sample(WRITES, 97, 1000);
        for (final int nodeId : cluster.nodeIds())
        {
            assertThat(writes.verifyReads(client, nodeId, sample)).isEqualTo(sample.size());
        }
    }

    /**
     * The documented read-your-writes contract: {@code get(follower, key, minOffset(w.offset()))} right after the
     * write returns that write (the node waits until the record at that offset is applied; the applied offset it
     * reports is exclusive, so it is then above the write's offset).
     */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldReadOwnWriteFromAFollowerWithMinOffsetOfTheWrite()
    {
        final TestCluster cluster = watcher.cluster(3).start();
        final List<String> misses = readOwnWritesFromFollowers(cluster, 0);
        assertThat(misses).as("read-your-writes misses out of 200").isEmpty();
    }

    /** 200 times: write, then at once read the key from a follower with minOffset(write offset + delta). */
    private static List<String> readOwnWritesFromFollowers(final TestCluster cluster, final int delta)
    {
        final LogshipClient client = cluster.client();
        final List<String> misses = new ArrayList<>();
        for (int i = 0; i < 200; i++)
        {
            final byte[] key = ("ryw-" + (i % 20)).getBytes(StandardCharsets.US_ASCII);
            final byte[] value = ("value " + i).getBytes(StandardCharsets.US_ASCII);
            final WriteResult write = client.put(key, value).join();
            final int follower = 2 + (i % 2);
            final ReadResult read = client.get(follower, key, ReadConsistency.minOffset(write.offset() + delta)).join();
            assertThat(read.nodeId()).isEqualTo(follower);
            if (!read.found() || !Arrays.equals(read.value(), value) || read.valueOffset() != write.offset() ||
                read.appliedOffset() <= write.offset())
            {
                misses.add("write " + i + " at offset " + write.offset() + ", read from node " + follower +
                    " with minOffset(" + (write.offset() + delta) + "): found=" + read.found() + " value=" +
                    (read.found() ? new String(read.value(), StandardCharsets.US_ASCII) : null) + " valueOffset=" +
                    read.valueOffset() + " appliedOffset=" + read.appliedOffset());
            }
        }
        return misses;
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldFailAnAllWriteWithTimeoutWhileAFollowerIsDownAndHaveItEverywhereOnceItReturns()
    {
        final TestCluster cluster = watcher.cluster(3)
            .with("logship.node.request.timeout.ms", 2000)
            .start();
        final LogshipClient client = cluster.newClient(config -> config.requestTimeoutMs(3000).deadlineMs(10_000));
        client.put(bytes("before"), bytes("1"), AckLevel.ALL).join();
        cluster.awaitCaughtUp();

        cluster.node(3).stopCleanly();
        final Throwable failure = catchThrowable(() -> client.put(bytes("all-key"), bytes("all-value"), AckLevel.ALL).join());
        assertThat(failure).isInstanceOf(CompletionException.class).hasCauseInstanceOf(LogshipClientException.class);
        final LogshipClientException error = (LogshipClientException)failure.getCause();
        assertThat(error.status()).as("%s", error).isEqualTo(ResponseStatus.TIMEOUT);
        assertThat(error.ackLevelReached()).as("%s", error).isEqualTo(AckLevel.QUORUM);
        assertThat(error.getMessage()).contains("TIMEOUT").containsIgnoringCase("all");

        // Committed at quorum already: readable from the leader and the live follower.
        assertThat(client.get(1, bytes("all-key"), ReadConsistency.any()).join().found()).isTrue();

        cluster.node(3).start();
        final NodeStatus leader = cluster.awaitCaughtUp();
        cluster.assertCommittedChecksumsMatch();
        for (final int nodeId : cluster.nodeIds())
        {
            final ReadResult read = client.get(nodeId, bytes("all-key"), ReadConsistency.minOffset(leader.commitOffset() - 1))
                .join();
            assertThat(read.found()).as("all-key on node %s", nodeId).isTrue();
            assertThat(read.value()).isEqualTo(bytes("all-value"));
        }
        // An ALL write now succeeds again.
        assertThat(client.put(bytes("after"), bytes("2"), AckLevel.ALL).join().ackLevelReached()).isEqualTo(AckLevel.ALL);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldKeepEveryWriteAndOpenANewEpochWhenTheLeaderIsStoppedCleanlyAndRestarted()
    {
        final TestCluster cluster = watcher.cluster(3).start();
        final LogshipClient client = cluster.client();
        final AckedWrites writes = new AckedWrites("sigterm", 2000);
        AckedWrites.awaitAll(writes.write(client, 0, 2000), 60);
        assertThat(writes.ackedCount()).isEqualTo(2000);
        final NodeStatus before = cluster.awaitCaughtUp();

        cluster.leader().restart();

        final NodeStatus after = cluster.awaitCaughtUp();
        assertThat(after.epoch()).isGreaterThan(before.epoch());
        assertThat(after.role()).isEqualTo("LEADER");
        // Nothing lost: the old log is intact and the new epoch added exactly its opening NOOP.
        assertThat(after.logEndOffset()).isEqualTo(before.logEndOffset() + 1);
        for (final int nodeId : cluster.nodeIds())
        {
            assertThat(cluster.status(nodeId).epoch()).isEqualTo(after.epoch());
            assertThat(writes.verifyReads(client, nodeId, writes.ackedIndexes(2000))).isEqualTo(2000);
        }
        cluster.assertCommittedChecksumsMatch();
        writes.assertExactlyOnceOnEveryNode(cluster, 2000);
        final WriteResult next = client.put(bytes("after-restart"), bytes("x")).join();
        assertThat(next.epoch()).isEqualTo(after.epoch());
        assertThat(next.offset()).isEqualTo(after.logEndOffset());
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
