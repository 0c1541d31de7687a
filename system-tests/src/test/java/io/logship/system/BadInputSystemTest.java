package io.logship.system;

import io.logship.client.LogshipClient;
import io.logship.client.LogshipClientException;
import io.logship.client.NodeStatus;
import io.logship.client.ReadConsistency;
import io.logship.client.ResponseStatus;
import io.logship.client.WriteResult;
import io.logship.system.harness.NodeCounters;
import io.logship.system.harness.NodeProcess;
import io.logship.system.harness.Poll;
import io.logship.system.harness.RawWireClient;
import io.logship.system.harness.SystemTestWatcher;
import io.logship.system.harness.TestCluster;
import io.logship.transport.BoundedPublisher;
import io.logship.transport.TransportStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Garbage, forged admin requests and oversized values are refused without changing anything: the log end and the
 * committed checksums stay as they were and every node keeps serving.
 */
class BadInputSystemTest
{
    @RegisterExtension
    final SystemTestWatcher watcher = new SystemTestWatcher();

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void shouldRefuseGarbageForgedAdminRequestsAndOversizedValuesWithoutChangingAnything() throws Exception
    {
        final TestCluster cluster = watcher.cluster(3).start();
        // The transport reports dropped messages to the node's error handler (at most once a second per adapter), and
        // the node logs them at SEVERE: here they are the node doing its job.
        cluster.expectErrors(line -> line.contains("TransportException: adapter ") && line.contains(" dropped a message"));
        final LogshipClient client = cluster.client();
        for (int i = 0; i < 100; i++)
        {
            client.put(bytes("seed-" + i), bytes("v" + i)).join();
        }
        final NodeStatus before = cluster.awaitCaughtUp();
        final TestCluster.CommonRange rangeBefore = cluster.assertCommittedChecksumsMatch();

        // 1. Random bytes: as raw UDP datagrams at every node's endpoint, and as Aeron messages on client ingress,
        //    admin and replication streams of every node.
        final Map<Integer, Long> droppedBefore = new TreeMap<>();
        for (final int nodeId : cluster.nodeIds())
        {
            droppedBefore.put(nodeId, NodeCounters.dropped(cluster.node(nodeId), "malformed") +
                NodeCounters.dropped(cluster.node(nodeId), "rejected") +
                NodeCounters.dropped(cluster.node(nodeId), "auth-failed"));
        }
        final Random random = new Random(42);
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getByName(TestCluster.HOST)))
        {
            for (final int nodeId : cluster.nodeIds())
            {
                for (int i = 0; i < 200; i++)
                {
                    final byte[] garbage = new byte[1 + random.nextInt(1400)];
                    random.nextBytes(garbage);
                    socket.send(new DatagramPacket(garbage, garbage.length, InetAddress.getByName(TestCluster.HOST),
                        cluster.port(nodeId)));
                }
            }
        }
        final RawWireClient raw = cluster.rawClient(0xBAD_0001L);
        for (final int nodeId : cluster.nodeIds())
        {
            for (final TransportStream stream : new TransportStream[] {
                TransportStream.CLIENT_INGRESS, TransportStream.ADMIN, TransportStream.REPLICATION})
            {
                final BoundedPublisher publisher = raw.publisher(cluster.port(nodeId), stream);
                for (int i = 0; i < 50; i++)
                {
                    final byte[] garbage = new byte[1 + random.nextInt(3000)];
                    random.nextBytes(garbage);
                    if (i % 5 == 0 && garbage.length >= 8)
                    {
                        // A plausible SBE header (schema 7301, version 1) with a random body: gets past the first check.
                        garbage[4] = (byte)(7301 & 0xFF);
                        garbage[5] = (byte)(7301 >> 8);
                        garbage[6] = 1;
                        garbage[7] = 0;
                    }
                    raw.offerGarbage(publisher, garbage);
                }
            }
        }
        for (final int nodeId : cluster.nodeIds())
        {
            final NodeProcess node = cluster.node(nodeId);
            Poll.until("node " + nodeId + " to count the garbage it dropped", Duration.ofSeconds(10),
                () -> NodeCounters.dropped(node, "malformed") + NodeCounters.dropped(node, "rejected") +
                    NodeCounters.dropped(node, "auth-failed") >= droppedBefore.get(nodeId) + 100,
                () -> NodeCounters.adapterCounters(node).toString());
        }
        assertNothingChanged(cluster, before, rangeBefore);

        // 2. An admin request signed with another secret: dropped, so the client hears nothing.
        final Path otherSecret = cluster.dir().resolve("other.secret");
        Files.createFile(otherSecret, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(otherSecret, "not-the-cluster-secret-0123456789", StandardCharsets.US_ASCII);
        final LogshipClient forger = cluster.newClient(config -> config.clusterSecretFile(otherSecret)
            .requestTimeoutMs(1000).deadlineMs(4000));
        final Throwable forged = catchThrowable(() -> forger.status(1));
        assertThat(forged).isInstanceOf(LogshipClientException.class);
        assertThat(((LogshipClientException)forged).status()).as("%s", forged)
            .isIn(ResponseStatus.UNREACHABLE, ResponseStatus.DEADLINE_EXCEEDED);
        assertThat(NodeCounters.dropped(cluster.node(1), "auth-failed")).as("%s",
            NodeCounters.adapterCounters(cluster.node(1))).isPositive();
        // The same client's unauthenticated plane still works: it is only the admin request that was refused.
        assertThat(forger.get(1, bytes("seed-1"), ReadConsistency.any()).join().found()).isTrue();
        assertNothingChanged(cluster, before, rangeBefore);

        // 3. Values too large: above the client's limit (refused before sending), and under the client's limit but
        //    above the node's logship.node.batch.max.bytes (refused by the leader).
        final Throwable tooLargeForClient = catchThrowable(() -> client.put(bytes("big"), new byte[(1 << 20) + 1]).join());
        final LogshipClientException clientError = cause(tooLargeForClient);
        assertThat(clientError.status()).isEqualTo(ResponseStatus.INVALID);
        assertThat(clientError.getMessage()).contains("1048577").contains("1048576");

        final Throwable tooLargeForNode = catchThrowable(() -> client.put(bytes("big"), new byte[600 * 1024]).join());
        final LogshipClientException nodeError = cause(tooLargeForNode);
        assertThat(nodeError.status()).as("%s", nodeError).isEqualTo(ResponseStatus.INVALID);
        assertThat(nodeError.nodeId()).isEqualTo(cluster.leaderId());
        assertThat(nodeError.getMessage()).contains("614400").contains("logship.node.batch.max.bytes");
        assertThat(client.get(cluster.leaderId(), bytes("big"), ReadConsistency.leader()).join().found()).isFalse();
        assertNothingChanged(cluster, before, rangeBefore);

        // Still serving: a normal write reaches every node.
        final WriteResult after = client.put(bytes("after"), bytes("ok")).join();
        assertThat(after.offset()).isEqualTo(before.logEndOffset());
        cluster.awaitCaughtUp();
        for (final int nodeId : cluster.nodeIds())
        {
            assertThat(client.get(nodeId, bytes("after"), ReadConsistency.minOffset(after.offset())).join().value())
                .isEqualTo(bytes("ok"));
        }
        cluster.assertCommittedChecksumsMatch();
    }

    /**
     * A record that cannot fit one batch (here {@code logship.node.batch.max.bytes=32768}, which must not exceed the
     * 64 KiB segments: a node refuses that config at start, see NodeConfigTest) is refused with INVALID naming the
     * limit, and nothing changes: ordinary writes go on and the nodes agree.
     */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldRefuseARecordLargerThanABatchAndKeepWorking()
    {
        final TestCluster cluster = watcher.cluster(3).with("logship.log.segment.bytes", 64 * 1024)
            .with("logship.node.batch.max.bytes", 32 * 1024).start();
        final LogshipClient client = cluster.client();
        final Throwable thrown = catchThrowable(() -> client.put(bytes("large"), new byte[100 * 1024]).join());
        final LogshipClientException error = cause(thrown);
        assertThat(error.status()).as("%s", error).isEqualTo(ResponseStatus.INVALID);
        assertThat(error.getMessage()).contains("logship.node.batch.max.bytes=32768");
        for (int i = 0; i < 2000; i++)
        {
            client.put(bytes("small-" + i), new byte[100]);
        }
        assertThat(client.put(bytes("last"), new byte[100]).join().offset()).isPositive();
        cluster.awaitCaughtUp();
        cluster.assertCommittedChecksumsMatch();
    }

    private static void assertNothingChanged(final TestCluster cluster, final NodeStatus before,
        final TestCluster.CommonRange rangeBefore)
    {
        final NodeStatus now = cluster.awaitCaughtUp();
        assertThat(now.logEndOffset()).isEqualTo(before.logEndOffset());
        assertThat(now.commitOffset()).isEqualTo(before.commitOffset());
        assertThat(now.epoch()).isEqualTo(before.epoch());
        assertThat(cluster.runningNodeIds()).containsExactlyElementsOf(cluster.nodeIds());
        assertThat(cluster.assertCommittedChecksumsMatch()).isEqualTo(rangeBefore);
    }

    private static LogshipClientException cause(final Throwable thrown)
    {
        final Throwable cause = thrown instanceof CompletionException ? thrown.getCause() : thrown;
        assertThat(cause).isInstanceOf(LogshipClientException.class);
        return (LogshipClientException)cause;
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
