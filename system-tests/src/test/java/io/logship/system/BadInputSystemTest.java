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
import java.util.Random;
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
    /** The media driver's system counter of datagrams that are not Aeron frames. */
    private static final String INVALID_PACKETS = "Invalid packets";

    @RegisterExtension
    final SystemTestWatcher watcher = new SystemTestWatcher();

    /**
     * An operator starts a node whose address another program holds: the daemon says so and exits 1, instead of a
     * JVM whose start failed but whose media driver threads keep it alive (found by a CI run whose test port was
     * taken: the node neither ran nor exited, and the test waited 45 s for it).
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldExitWithAClearErrorWhenTheNodesPortIsInUse() throws Exception
    {
        final TestCluster cluster = watcher.cluster(3).start(new int[0]);
        cluster.expectErrors(line -> line.contains("cannot start") || line.contains("Address already in use"));
        final NodeProcess node = cluster.node(1);
        try (DatagramSocket holder = new DatagramSocket(
            new java.net.InetSocketAddress(InetAddress.getByName(TestCluster.HOST), cluster.port(1))))
        {
            final Throwable failed = catchThrowable(node::start);
            assertThat(failed).as("the node must exit, not run").isInstanceOf(AssertionError.class)
                .hasMessageContaining("exited with code 1");
            assertThat(node.logContains("logshipd: node 1 cannot listen on " + TestCluster.HOST + ":" + cluster.port(1) +
                " (its entry in logship.cluster.nodes): the address is already in use")).as(node.tail(20)).isTrue();
        }
    }

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
        //    admin and replication streams of every node. Each is counted exactly once where it is dropped.
        final Random random = new Random(42);
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getByName(TestCluster.HOST)))
        {
            for (final int nodeId : cluster.nodeIds())
            {
                // The node's media driver drops a datagram that is not an Aeron frame (under 8 bytes, or frame version
                // byte 4 not 0) and counts it in its "Invalid packets" system counter; a random datagram that happens
                // to look like a version-0 frame is parsed by type and ignored, not counted. Loopback UDP loses a
                // datagram only when the driver's socket buffer is full: sending 10 at a time and waiting for them to
                // be counted keeps it far from full, so the count is exact.
                final NodeProcess node = cluster.node(nodeId);
                long expectedInvalid = NodeCounters.systemCounter(node, INVALID_PACKETS);
                int notFrames = 0;
                for (int i = 0; i < 200; i++)
                {
                    final byte[] garbage = new byte[1 + random.nextInt(1400)];
                    random.nextBytes(garbage);
                    if (garbage.length < 8 || garbage[4] != 0)
                    {
                        expectedInvalid++;
                        notFrames++;
                    }
                    socket.send(new DatagramPacket(garbage, garbage.length, InetAddress.getByName(TestCluster.HOST),
                        cluster.port(nodeId)));
                    if (i % 10 == 9)
                    {
                        final long expected = expectedInvalid;
                        Poll.until("node " + nodeId + " to count " + expected + " invalid packets", Duration.ofSeconds(10),
                            () -> NodeCounters.systemCounter(node, INVALID_PACKETS) >= expected,
                            () -> INVALID_PACKETS + "=" + NodeCounters.systemCounter(node, INVALID_PACKETS));
                    }
                }
                assertThat(NodeCounters.systemCounter(node, INVALID_PACKETS)).as("node %s: %s of 200 random datagrams " +
                    "are not Aeron frames", nodeId, notFrames).isEqualTo(expectedInvalid);
                assertThat(notFrames).as("random datagrams that are not frames").isGreaterThan(190);
            }
        }
        // Aeron messages are delivered reliably once sent, and the node's adapters count every message they drop
        // (rejected, malformed or auth-failed: schema, template, HMAC and length checks): every garbage message is
        // counted exactly once at the node it was sent to.
        final RawWireClient raw = cluster.rawClient(0xBAD_0001L);
        for (final int nodeId : cluster.nodeIds())
        {
            final NodeProcess node = cluster.node(nodeId);
            final long droppedBefore = dropped(node);
            int sent = 0;
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
                    Poll.until("garbage message " + i + " on " + stream + " of node " + nodeId + " sent",
                        Duration.ofSeconds(10), () -> raw.offerGarbage(publisher, garbage).isSent());
                    sent++;
                }
            }
            final long expected = droppedBefore + sent;
            Poll.until("node " + nodeId + " to count the " + sent + " garbage messages it dropped", Duration.ofSeconds(10),
                () -> dropped(node) >= expected, () -> NodeCounters.adapterCounters(node).toString());
            assertThat(dropped(node)).as("node %s: garbage messages dropped and counted, %s", nodeId,
                NodeCounters.adapterCounters(node)).isEqualTo(expected);
        }
        assertNothingChanged(cluster, before, rangeBefore);

        // 2. Admin requests signed with another secret: dropped and counted as auth-failed, one count per message.
        final Path otherSecret = cluster.dir().resolve("other.secret");
        Files.createFile(otherSecret, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(otherSecret, "not-the-cluster-secret-0123456789", StandardCharsets.US_ASCII);
        final RawWireClient forgedRaw = cluster.rawClient(0xBAD_0002L, otherSecret);
        final BoundedPublisher forgedAdmin = forgedRaw.publisher(cluster.port(1), TransportStream.ADMIN);
        final long authFailedBefore = NodeCounters.dropped(cluster.node(1), "auth-failed");
        for (int i = 0; i < 5; i++)
        {
            Poll.until("forged status request " + i + " sent", Duration.ofSeconds(10),
                () -> forgedRaw.offerStatusRequest(forgedAdmin).isSent());
        }
        Poll.until("node 1 to count the 5 forged status requests", Duration.ofSeconds(10),
            () -> NodeCounters.dropped(cluster.node(1), "auth-failed") >= authFailedBefore + 5,
            () -> NodeCounters.adapterCounters(cluster.node(1)).toString());
        assertThat(NodeCounters.dropped(cluster.node(1), "auth-failed")).as("%s",
            NodeCounters.adapterCounters(cluster.node(1))).isEqualTo(authFailedBefore + 5);

        //    The Java client with that secret: its status request is dropped, so it hears nothing; the node counts each
        //    attempt the client made (at least one; the client's retries within its deadline are its own business).
        final LogshipClient forger = cluster.newClient(config -> config.clusterSecretFile(otherSecret)
            .requestTimeoutMs(1000).deadlineMs(4000));
        final long clientAuthFailedBefore = NodeCounters.dropped(cluster.node(1), "auth-failed");
        final Throwable forged = catchThrowable(() -> forger.status(1));
        assertThat(forged).isInstanceOf(LogshipClientException.class);
        assertThat(((LogshipClientException)forged).status()).as("%s", forged)
            .isIn(ResponseStatus.UNREACHABLE, ResponseStatus.DEADLINE_EXCEEDED);
        assertThat(NodeCounters.dropped(cluster.node(1), "auth-failed")).as("%s",
            NodeCounters.adapterCounters(cluster.node(1))).isGreaterThan(clientAuthFailedBefore);
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

    /** Messages the node's adapters dropped, all outcomes. */
    private static long dropped(final NodeProcess node)
    {
        return NodeCounters.dropped(node, "malformed") + NodeCounters.dropped(node, "rejected") +
            NodeCounters.dropped(node, "auth-failed");
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
