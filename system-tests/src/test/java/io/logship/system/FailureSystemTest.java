package io.logship.system;

import io.logship.client.LogshipClient;
import io.logship.client.NodeStatus;
import io.logship.format.RecordType;
import io.logship.client.TailBatch;
import io.logship.client.TailRecord;
import io.logship.client.WriteResult;
import io.logship.system.harness.AckedWrites;
import io.logship.system.harness.CommittedLog;
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
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
        // Every acknowledged write in every node's whole log, at its offset, once, with its value.
        writes.assertExactlyOnceOnEveryNode(cluster, count);
        // And through the store of the node that was killed (rebuilt on restart): every write read back by key.
        assertThat(writes.verifyReads(client, 3, writes.ackedIndexes(count))).isEqualTo(count);

        // The store's lz4 library unpacks itself as a temporary file that only a normal JVM exit removes. The killed
        // run's copy is gone and the new run's is under the node's data directory: a node killed again and again
        // outside systemd fills no shared /tmp (here the harness's java.io.tmpdir, which the node must not use).
        final NodeProcess killed = cluster.node(3);
        assertThat(lz4Libraries(killed.dataDir().resolve("tmp"))).as("lz4 libraries under node 3's data directory")
            .hasSize(1);
        assertThat(lz4Libraries(killed.jvmTempDir())).as("lz4 libraries in the JVM's own java.io.tmpdir").isEmpty();
    }

    private static List<Path> lz4Libraries(final Path directory) throws java.io.IOException
    {
        if (!Files.isDirectory(directory))
        {
            return List.of();
        }
        try (var files = Files.list(directory))
        {
            return files.filter(file -> file.getFileName().toString().startsWith("liblz4-java")).toList();
        }
    }

    /**
     * The leader is stopped (SIGTERM) and started again while a client has many writes in flight. What a user expects
     * of a clean restart: no write fails (the stopping leader lets the writes it took reach their ack level, or answers
     * them UNAVAILABLE, and the client retries them with their original sequences across the election, de-duplicated
     * by the new leader), and every node's log holds each write exactly once, at its acknowledged offset.
     */
    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void shouldFailNoWriteAndApplyEachOnceWhenTheLeaderRestartsCleanlyWithWritesInFlight() throws Exception
    {
        final int count = 20_000;
        final TestCluster cluster = watcher.cluster(3).start();
        final AckedWrites writes = underLoad(cluster, count, c -> c.leader().restart());
        assertThat(writes.failedCount()).as("failed writes, first: %s", writes.firstFailure()).isZero();
        assertThat(writes.ackedCount()).isEqualTo(count);
        final int keys = assertEveryLogHoldsEveryWriteOnce(cluster, writes, count, 2);
        System.out.println("leader SIGTERM under load: " + writes.ackedCount() + " acknowledged, " + keys +
            " distinct keys in every node's log");
    }

    /**
     * The leader is killed with SIGKILL while writes are in flight: a follower is elected, the client's retries go to
     * it and are de-duplicated; the old leader is started again and rejoins as a follower (its log recovers, its
     * store is rebuilt, a divergent unacknowledged suffix is cut). No write fails (the client's 60 s deadline outlasts
     * the election), and every node's log holds each write exactly once at its acknowledged offset.
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
        assertThat(writes.failedCount()).as("failed writes, first: %s", writes.firstFailure()).isZero();
        assertThat(writes.ackedCount()).isEqualTo(count);
        final int keys = assertEveryLogHoldsEveryWriteOnce(cluster, writes, count, 2);
        // Through the store too (get by key): a sample; the log check above is the exact one.
        for (final int nodeId : cluster.nodeIds())
        {
            writes.verifyReads(cluster.client(), nodeId, AckedWrites.sample(count, 13, 500));
        }
        System.out.println("leader SIGKILL under load: " + writes.ackedCount() + " acknowledged, " + keys +
            " distinct keys in every node's log");
    }

    /**
     * Reads every node's whole committed log: offsets dense, at least {@code noopsExpected} NOOPs, no key twice, and
     * every write exactly once at its acknowledged offset with its value. Returns the number of distinct keys.
     */
    private static int assertEveryLogHoldsEveryWriteOnce(final TestCluster cluster, final AckedWrites writes,
        final int count, final int noopsExpected)
    {
        final NodeStatus leader = cluster.awaitCaughtUp();
        cluster.assertCommittedChecksumsMatch();
        int keys = -1;
        for (final int nodeId : cluster.nodeIds())
        {
            final CommittedLog log = CommittedLog.read(cluster.client(), nodeId, leader.commitOffset());
            assertThat(log.duplicateKeys(10)).as("node %s: keys written more than once", nodeId).isEmpty();
            // One NOOP per epoch that had a leader: at least the expected ones (an election more is allowed).
            final int noops = log.count(RecordType.NOOP);
            assertThat(noops).as("node %s: NOOPs (one per leader epoch)", nodeId).isGreaterThanOrEqualTo(noopsExpected);
            assertThat(log.endOffset()).as("node %s: records", nodeId).isEqualTo(noops + log.distinctKeys());
            assertThat(writes.assertExactlyOnceIn(log, count)).as("node %s", nodeId).isEqualTo(writes.ackedCount());
            keys = log.distinctKeys();
        }
        return keys;
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

    /**
     * A client batch sent twice on the wire is appended once and the second answer carries the original offsets,
     * for both kinds (a WriteBatchRequest, and a WriteLogBatch the client encoded in the log's format), both for a
     * batch that fits one log batch (one ring slot at the leader) and for one that does not (a slot per record,
     * spread over log batches): {@code logship.node.batch.max.bytes} is small enough here for the second. A
     * WriteLogBatch that fails its checksum, or holds a record of another client, is answered INVALID naming why,
     * and nothing of it is stored.
     */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldAnswerARetriedBatchOfEitherKindWithItsOriginalOffsetsAppendItOnceAndRefuseAMalformedOne()
    {
        final TestCluster cluster = watcher.cluster(3).with("logship.node.batch.max.bytes", 8192).start();
        final RawWireClient raw = cluster.rawClient(0x5EED_0003L);
        final BoundedPublisher ingress = raw.publisher(cluster.port(cluster.leaderId()), TransportStream.CLIENT_INGRESS);
        raw.connect(ingress);
        final byte[][] smallKeys = keys("small", 5);
        final byte[][] smallValues = values(5, 100);
        final byte[][] largeKeys = keys("large", 4);
        final byte[][] largeValues = values(4, 3000);

        final RawWireClient.WriteAnswer small = raw.putBatch(ingress, 1, smallKeys, smallValues);
        assertThat(small.status()).as("%s", small).isEqualTo(Status.OK);
        assertThat(small.recordCount()).isEqualTo(5);
        final RawWireClient.WriteAnswer smallRetry = raw.putBatch(ingress, 1, smallKeys, smallValues);
        assertThat(smallRetry.status()).as("%s", smallRetry).isEqualTo(Status.OK);
        assertThat(smallRetry.writeOffset()).isEqualTo(small.writeOffset());
        assertThat(smallRetry.recordCount()).isEqualTo(5);

        final RawWireClient.WriteAnswer large = raw.putBatch(ingress, 6, largeKeys, largeValues);
        assertThat(large.status()).as("%s", large).isEqualTo(Status.OK);
        assertThat(large.writeOffset()).isEqualTo(small.writeOffset() + 5);
        final RawWireClient.WriteAnswer largeRetry = raw.putBatch(ingress, 6, largeKeys, largeValues);
        assertThat(largeRetry.status()).as("%s", largeRetry).isEqualTo(Status.OK);
        assertThat(largeRetry.writeOffset()).isEqualTo(large.writeOffset());
        assertThat(largeRetry.recordCount()).isEqualTo(4);

        final long clientId = 0x5EED_0003L;
        final byte[] corrupt = RawWireClient.logBatch(clientId, 10, keys("bad", 2), values(2, 100));
        corrupt[corrupt.length - 1] ^= 1;
        final RawWireClient.WriteAnswer refused = raw.putLogBatch(ingress, 10, corrupt);
        assertThat(refused.status()).as("%s", refused).isEqualTo(Status.INVALID);
        assertThat(refused.message()).startsWith("batch refused: CRC32C stored");
        final RawWireClient.WriteAnswer foreign = raw.putLogBatch(ingress, 10, RawWireClient.logBatch(0x5EED_0004L, 10,
            keys("bad", 2), values(2, 100)));
        assertThat(foreign.status()).as("%s", foreign).isEqualTo(Status.INVALID);
        assertThat(foreign.message()).isEqualTo("record 0 carries client " + 0x5EED_0004L + " sequence 10: " +
            "expected client " + clientId + " sequence 10");

        final byte[] encoded = RawWireClient.logBatch(clientId, 10, keys("log", 3), values(3, 100));
        final RawWireClient.WriteAnswer logged = raw.putLogBatch(ingress, 10, encoded);
        assertThat(logged.status()).as("%s", logged).isEqualTo(Status.OK);
        assertThat(logged.writeOffset()).as("nothing of the refused batches stored").isEqualTo(10);
        assertThat(logged.recordCount()).isEqualTo(3);
        final RawWireClient.WriteAnswer loggedRetry = raw.putLogBatch(ingress, 10, encoded);
        assertThat(loggedRetry.status()).as("%s", loggedRetry).isEqualTo(Status.OK);
        assertThat(loggedRetry.writeOffset()).isEqualTo(10);
        final byte[] encodedLarge = RawWireClient.logBatch(clientId, 13, keys("wide", 4), values(4, 3000));
        final RawWireClient.WriteAnswer wide = raw.putLogBatch(ingress, 13, encodedLarge);
        assertThat(wide.status()).as("%s", wide).isEqualTo(Status.OK);
        assertThat(wide.writeOffset()).isEqualTo(13);
        final RawWireClient.WriteAnswer wideRetry = raw.putLogBatch(ingress, 13, encodedLarge);
        assertThat(wideRetry.writeOffset()).isEqualTo(13);
        assertThat(wideRetry.recordCount()).isEqualTo(4);

        final NodeStatus leader = cluster.awaitCaughtUp();
        assertThat(leader.logEndOffset()).as("NOOP + 5 + 4 + 3 + 4 records").isEqualTo(17);
        cluster.assertCommittedChecksumsMatch();
        final TailBatch all = cluster.client().tail(cluster.leaderId(), 0, 1 << 20);
        assertThat(all.records()).extracting(r -> r.type() == RecordType.NOOP ? "NOOP" :
            r.offset() + " " + new String(r.key(), StandardCharsets.US_ASCII) + " " + r.value().length)
            .containsExactly("NOOP", "1 small-0 100", "2 small-1 100", "3 small-2 100", "4 small-3 100",
                "5 small-4 100", "6 large-0 3000", "7 large-1 3000", "8 large-2 3000", "9 large-3 3000",
                "10 log-0 100", "11 log-1 100", "12 log-2 100", "13 wide-0 3000", "14 wide-1 3000", "15 wide-2 3000",
                "16 wide-3 3000");
    }

    private static byte[][] keys(final String prefix, final int count)
    {
        final byte[][] keys = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            keys[i] = (prefix + "-" + i).getBytes(StandardCharsets.US_ASCII);
        }
        return keys;
    }

    private static byte[][] values(final int count, final int length)
    {
        final byte[][] values = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            values[i] = new byte[length];
            java.util.Arrays.fill(values[i], (byte)('a' + i));
        }
        return values;
    }

    /**
     * The far-behind retry of node-daemon/README.md "Retried writes", end to end with real processes. A client (the
     * wire client, which sets sequences itself) has writes 101 and 102 committed on every node but never reads their
     * replies (lost), and write 103 appended by the leader alone (cut off from its peers by its faults file), when the
     * leader is SIGKILLed. At the new leader the client writes on: 5,000 newer sequences, so 101 and 103 have left the
     * 4,096-sequence exact window, then 127,071 more, so 102 is more than 131,072 behind the client's newest. Each
     * retry is answered OK: 101 and 102 with their original offsets (found through the presence bits and a log search,
     * and through the store's table and a log search), 103 appended once (never stored: its bit is clear), and again
     * at that offset when retried later. Afterwards every node's log, the old leader's included, holds every one of
     * the client's writes exactly once, at the offset it was answered with.
     */
    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void shouldStoreAWriteStuckAcrossASigkillFailoverOnceWhenRetriedFarBehindTheClientsNewestSequence(
        @TempDir final Path faults) throws Exception
    {
        final int established = 100;
        final int beyondRing = 5000;
        final long newest = 102 + 131_072 + 1000;
        // A 3 s lease: conductors stalled up to 0.8 s on the loaded CI machine and cost the 1 s lease mid-test; this
        // test is about what a leader answers a retry, not about how fast it fails over.
        final TestCluster cluster = watcher.cluster(3)
            .with("logship.node.election.lease.timeout.ms", 3000)
            .with("logship.node.election.timeout.ms", 4500)
            .faultsFiles(faults)
            .start();
        final LogshipClient client = cluster.client();
        final RawWireClient raw = cluster.rawClient(0x5EED_0002L);
        final LeaderIngress leaderIngress = new LeaderIngress(cluster, raw);
        final long[] firstOffsets = raw.putAll(leaderIngress, 1, established, FailureSystemTest::farKey,
            FailureSystemTest::farValue, 64);

        // 101 and 102: committed on every node, replies never read.
        final NodeProcess old = cluster.leader();
        final BoundedPublisher oldIngress = leaderIngress.to(old.nodeId());
        raw.send(oldIngress, 101, farKey(101), farValue(101));
        raw.send(oldIngress, 102, farKey(102), farValue(102));
        final long[] stored = new long[2];
        Poll.until("sequences 101 and 102 committed on every node", Duration.ofSeconds(30), () ->
        {
            final NodeStatus status = cluster.awaitCaughtUp();
            final CommittedLog log = CommittedLog.read(client, status.nodeId(), status.commitOffset());
            final List<Long> at101 = log.offsetsOf(farKeyText(101));
            final List<Long> at102 = log.offsetsOf(farKeyText(102));
            stored[0] = at101.isEmpty() ? -1 : at101.get(0);
            stored[1] = at102.isEmpty() ? -1 : at102.get(0);
            return stored[0] >= 0 && stored[1] >= 0;
        });
        // 103: appended by the leader alone, then the leader dies. Cut off with its faults file (it sends nothing to
        // its peers), not by freezing them: a frozen follower still has the leader's last datagrams in its socket
        // buffer, and on resuming appends 103 and may carry it into the next epoch.
        final Path oldFaults = faults.resolve("node-" + old.nodeId());
        Files.writeString(oldFaults, cluster.nodeIds().stream().filter(id -> id != old.nodeId()).map(String::valueOf)
            .collect(java.util.stream.Collectors.joining(",")));
        try
        {
            Poll.until("node " + old.nodeId() + " to cut itself off from its peers", Duration.ofSeconds(10),
                () -> old.logContains("cut off from peers"));
            final long logEnd = cluster.status(old.nodeId()).logEndOffset();
            raw.send(oldIngress, 103, farKey(103), farValue(103));
            Poll.until("the leader to append sequence 103 alone", Duration.ofSeconds(5),
                () -> cluster.status(old.nodeId()).logEndOffset() == logEnd + 1);
        }
        finally
        {
            old.kill9();
            Files.delete(oldFaults);
        }

        final NodeStatus afterFailover = cluster.awaitCaughtUp();
        assertThat(afterFailover.nodeId()).isNotEqualTo(old.nodeId());
        final CommittedLog survivor = CommittedLog.read(client, afterFailover.nodeId(), afterFailover.commitOffset());
        assertThat(survivor.offsetsOf(farKeyText(101))).containsExactly(stored[0]);
        assertThat(survivor.offsetsOf(farKeyText(102))).containsExactly(stored[1]);
        assertThat(survivor.offsetsOf(farKeyText(103))).as("sequence 103: only the dead leader had it").isEmpty();

        final long startNs = System.nanoTime();
        final long[] newer = raw.putAll(leaderIngress, 104, beyondRing, FailureSystemTest::farKey,
            FailureSystemTest::farValue, 256);
        final RawWireClient.WriteAnswer retried101 = retry(raw, leaderIngress, 101);
        assertThat(retried101.status()).as("%s", retried101).isEqualTo(Status.OK);
        assertThat(retried101.writeOffset()).as("sequence 101, 5,002 behind: its original offset").isEqualTo(stored[0]);
        final long logEndBefore103 = cluster.status(cluster.leaderId()).logEndOffset();
        final RawWireClient.WriteAnswer retried103 = retry(raw, leaderIngress, 103);
        assertThat(retried103.status()).as("%s", retried103).isEqualTo(Status.OK);
        assertThat(retried103.writeOffset()).as("sequence 103, never stored: appended now")
            .isGreaterThanOrEqualTo(logEndBefore103);

        final long[] newest2 = raw.putAll(leaderIngress, 104 + beyondRing, (int)(newest - 103 - beyondRing),
            FailureSystemTest::farKey, FailureSystemTest::farValue, 256);
        System.out.println("far-behind retry: " + (newest - 103) + " newer writes through the wire client in " +
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs) + " ms");
        final RawWireClient.WriteAnswer retried102 = retry(raw, leaderIngress, 102);
        assertThat(retried102.status()).as("%s", retried102).isEqualTo(Status.OK);
        assertThat(retried102.writeOffset()).as("sequence 102, %s behind: its original offset", newest - 102)
            .isEqualTo(stored[1]);
        final RawWireClient.WriteAnswer again103 = retry(raw, leaderIngress, 103);
        assertThat(again103.status()).as("%s", again103).isEqualTo(Status.OK);
        assertThat(again103.writeOffset()).as("sequence 103 retried again, %s behind", newest - 103)
            .isEqualTo(retried103.writeOffset());

        old.start();
        final NodeStatus end = cluster.awaitCaughtUp();
        cluster.assertCommittedChecksumsMatch();
        for (final int nodeId : cluster.nodeIds())
        {
            final CommittedLog log = CommittedLog.read(client, nodeId, end.commitOffset());
            assertThat(log.duplicateKeys(10)).as("node %s: keys stored more than once", nodeId).isEmpty();
            assertThat(log.distinctKeys()).as("node %s: the client's writes", nodeId).isEqualTo((int)newest);
            final List<String> misplaced = new ArrayList<>();
            for (long sequence = 1; sequence <= newest && misplaced.size() < 10; sequence++)
            {
                final long expected = sequence <= established ? firstOffsets[(int)sequence - 1] :
                    sequence == 101 ? stored[0] : sequence == 102 ? stored[1] :
                    sequence == 103 ? retried103.writeOffset() :
                    sequence < 104 + beyondRing ? newer[(int)(sequence - 104)] :
                    newest2[(int)(sequence - 104 - beyondRing)];
                final List<Long> at = log.offsetsOf(farKeyText(sequence));
                if (!at.equals(List.of(expected)) || log.valueCrc(expected) != AckedWrites.crc(farValue(sequence)))
                {
                    misplaced.add("sequence " + sequence + " answered offset " + expected + ", in the log at " + at);
                }
            }
            assertThat(misplaced).as("node %s", nodeId).isEmpty();
        }
    }

    /**
     * Sends the write of {@code sequence} again, to the current leader, until it is answered with anything but BUSY (a
     * deferred search), NOT_LEADER, UNAVAILABLE or TIMEOUT (a failover under way).
     */
    private static RawWireClient.WriteAnswer retry(final RawWireClient raw, final LeaderIngress leaderIngress,
        final long sequence)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true)
        {
            final RawWireClient.WriteAnswer answer = raw.put(leaderIngress.get(), sequence, farKey(sequence),
                farValue(sequence));
            final boolean again = answer.status() == Status.BUSY || answer.status() == Status.NOT_LEADER ||
                answer.status() == Status.UNAVAILABLE || answer.status() == Status.TIMEOUT;
            if (!again || System.nanoTime() > deadline)
            {
                return answer;
            }
            Poll.pause();
        }
    }

    /** The wire client's ingress publication to each node, connected on use; {@link #get()}: the current leader's. */
    private static final class LeaderIngress implements java.util.function.Supplier<BoundedPublisher>
    {
        private final TestCluster cluster;
        private final RawWireClient raw;
        private final java.util.Map<Integer, BoundedPublisher> publishers = new java.util.HashMap<>();

        LeaderIngress(final TestCluster cluster, final RawWireClient raw)
        {
            this.cluster = cluster;
            this.raw = raw;
        }

        @Override
        public BoundedPublisher get()
        {
            return to(cluster.leaderId());
        }

        BoundedPublisher to(final int nodeId)
        {
            final BoundedPublisher publisher = publishers.computeIfAbsent(nodeId,
                id -> raw.publisher(cluster.port(id), TransportStream.CLIENT_INGRESS));
            raw.connect(publisher);
            return publisher;
        }
    }

    private static String farKeyText(final long sequence)
    {
        return "far-" + sequence;
    }

    private static byte[] farKey(final long sequence)
    {
        return ("far-" + sequence).getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] farValue(final long sequence)
    {
        return ("value of sequence " + sequence).getBytes(StandardCharsets.US_ASCII);
    }
}
