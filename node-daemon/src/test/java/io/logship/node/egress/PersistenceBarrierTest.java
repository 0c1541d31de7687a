package io.logship.node.egress;

import io.logship.node.NodeConfig;
import io.logship.node.election.AsyncPersistence;
import io.logship.node.election.ElectionPublisher;
import io.logship.node.election.ElectionRole;
import io.logship.node.election.ElectionState;
import io.logship.node.election.LogView;
import io.logship.node.election.Outbox;
import io.logship.node.election.Persistence;
import io.logship.transport.IdleStrategyKind;
import io.logship.transport.MessageAdapter;
import io.logship.transport.TransportConfiguration;
import io.logship.transport.TransportContext;
import io.logship.transport.TransportNode;
import io.logship.transport.TransportStream;
import io.logship.transport.auth.ClusterSecret;
import io.logship.transport.codec.BooleanType;
import io.logship.transport.codec.HandoverDecoder;
import io.logship.transport.codec.HandoverEncoder;
import io.logship.transport.codec.MessageHeaderEncoder;
import io.logship.transport.codec.RequestVoteDecoder;
import io.logship.transport.codec.VoteDecoder;
import io.logship.transport.Decoders;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The election state's fsync is off the conductor, and still no peer learns of a vote before it is durable:
 * node 1 grants a vote while its persister is held back inside the write, and node 2 (a real publication
 * over loopback, through an embedded media driver per node) receives the vote only once the write returned.
 */
class PersistenceBarrierTest
{
    private static final byte[] SECRET = "persistence-barrier-test-secret-0123456789".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;

    private final List<Throwable> errors = new ArrayList<>();
    private final List<String> received = new ArrayList<>();
    private final Decoders decoders = new Decoders();
    private final HeldBackPersistence disk = new HeldBackPersistence();
    private TransportNode node1;
    private TransportNode node2;
    private MessageAdapter node2Election;
    private AsyncPersistence persistence;
    private PeerPublishers peers;

    @BeforeEach
    void launch() throws IOException
    {
        final int port1 = freePort();
        final int port2 = freePort();
        Files.write(dir.resolve("secret"), SECRET);
        final Path file = dir.resolve("node.conf");
        Files.writeString(file, "logship.node.id=1\n" +
            "logship.cluster.nodes=1@127.0.0.1:" + port1 + ",2@127.0.0.1:" + port2 + ",3@127.0.0.1:" + freePort() + "\n" +
            "logship.cluster.secret.file=" + dir.resolve("secret") + "\n" +
            "logship.node.data.dir=" + dir.resolve("data") + "\n");
        final NodeConfig config = NodeConfig.load(file);
        node1 = launch(1, port1);
        node2 = launch(2, port2);
        node2Election = node2.addAdapter(TransportStream.ELECTION, "election", (templateId, buffer, offset, length, h) ->
        {
            if (templateId == VoteDecoder.TEMPLATE_ID)
            {
                final VoteDecoder vote = decoders.vote(buffer, offset, length);
                received.add("vote epoch " + vote.epoch() + " for " + vote.candidateId() + " granted " +
                    (vote.granted() == BooleanType.TRUE));
            }
            else if (templateId == RequestVoteDecoder.TEMPLATE_ID)
            {
                final RequestVoteDecoder request = decoders.requestVote(buffer, offset, length);
                received.add("request epoch " + request.epoch() + " from " + request.candidateId());
            }
            else if (templateId == HandoverDecoder.TEMPLATE_ID)
            {
                received.add("sentinel");
            }
        });
        persistence = new AsyncPersistence(disk, "node-state-test");
        persistence.start();
        final SendBuffer sendBuffer = new SendBuffer();
        peers = new PeerPublishers(config, node1, sendBuffer, persistence::isDurable,
            epoch -> persistence.lastRequestedIsCandidacy(epoch, 1));
        assertThat(TransportNode.awaitConnected(peers.election(2), 10_000)).isTrue();

        final ElectionPublisher publisher = new ElectionPublisher(1, peers, sendBuffer);
        election = new ElectionState(config.electionConfig(), persistence, new EmptyLog(), new VoteOutbox(publisher),
            new SplittableRandom(1), 0);
    }

    private ElectionState election;

    @AfterEach
    void close()
    {
        disk.release.countDown();
        persistence.close();
        node1.close();
        node2.close();
        assertThat(errors).isEmpty();
    }

    @Test
    void shouldSendAVoteOnlyOnceItsGrantIsDurable()
    {
        election.onRequestVote(10_000, 2, 1, 0, 0, 0);
        assertThat(election.votedFor()).isEqualTo(2);
        pollUntil(disk::writing); // the persister is inside the write, held back

        assertThat(persistence.isDurable()).isFalse();
        assertThat(peers.releaseHeld()).isZero();
        sendSentinelPastTheGate();
        pollUntil(() -> received.contains("sentinel"));
        assertThat(received).containsExactly("sentinel"); // the vote, offered first, was held

        disk.release.countDown();
        pollUntil(persistence::isDurable);
        assertThat(disk.written).containsExactly(new Persistence.State(1, Persistence.NONE, 2));
        assertThat(peers.releaseHeld()).isEqualTo(1);
        pollUntil(() -> received.size() == 2);
        assertThat(received).containsExactly("sentinel", "vote epoch 1 for 2 granted true");
    }

    @Test
    void shouldSendACandidacysVoteRequestsBeforeItsVoteForItselfIsDurableAndLeadOnlyOnceItIs()
    {
        assertThat(election.promote(10_000, 1, false).accepted()).isTrue();
        pollUntil(disk::writing); // the candidacy's write {1, NONE, 1} is held back inside the disk

        pollUntil(() -> received.contains("request epoch 1 from 1")); // left while its write is in flight
        assertThat(persistence.isDurable()).isFalse();
        assertThat(peers.aheadOfBarrierCount()).isEqualTo(2); // to nodes 2 and 3
        election.onVote(10_005, 2, 1, true, 1);
        election.onTick(10_010);
        assertThat(election.role()).as("a majority, but its own vote is not on disk").isEqualTo(ElectionRole.CANDIDATE);

        disk.release.countDown();
        pollUntil(persistence::isDurable);
        election.onTick(10_020);
        assertThat(election.role()).isEqualTo(ElectionRole.LEADER);
        assertThat(disk.written).containsExactly(new Persistence.State(1, Persistence.NONE, 1));
    }

    @Test
    void shouldHoldACandidacysVoteRequestsBehindAVoteNotYetSent()
    {
        election.onRequestVote(10_000, 2, 1, 0, 0, 0); // grants node 2 epoch 1: the vote waits for the write
        pollUntil(disk::writing);
        assertThat(election.promote(10_001, 1, false).accepted()).isTrue(); // stands in a later epoch
        final int epoch = election.epoch();
        sendSentinelPastTheGate();
        pollUntil(() -> received.contains("sentinel"));
        assertThat(received).as("a request never overtakes a held vote").containsExactly("sentinel");
        assertThat(peers.aheadOfBarrierCount()).isZero();

        disk.release.countDown();
        pollUntil(persistence::isDurable);
        assertThat(peers.releaseHeld()).isEqualTo(3); // the vote, then the requests to nodes 2 and 3
        pollUntil(() -> received.size() == 3);
        assertThat(received).containsExactly("sentinel", "vote epoch 1 for 2 granted true",
            "request epoch " + epoch + " from 1");
    }

    @Test
    void shouldNeverSendWhatWasHeldOnceTheWriteFailed()
    {
        disk.fail = true;
        election.onRequestVote(10_000, 2, 1, 0, 0, 0);
        disk.release.countDown();
        pollUntil(() -> null != persistence.failure());

        assertThat(persistence.isDurable()).isFalse();
        assertThat(persistence.failure()).hasMessageContaining("disk full");
        assertThat(peers.releaseHeld()).isZero();
        assertThat(peers.heldCount()).isEqualTo(1);
        sendSentinelPastTheGate();
        pollUntil(() -> received.contains("sentinel"));
        assertThat(received).containsExactly("sentinel");
    }

    private void sendSentinelPastTheGate()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(256));
        final HandoverEncoder encoder = new HandoverEncoder()
            .wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder()).epoch(0).leaderId(1).targetId(3);
        assertThat(peers.election(2).offerPastGate(buffer, 0, MessageHeaderEncoder.ENCODED_LENGTH +
            encoder.encodedLength()).isSent()).isTrue();
    }

    private void pollUntil(final BooleanSupplier condition)
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean())
        {
            node2Election.poll(16);
            assertThat(System.nanoTime()).as("condition within 10 s").isLessThan(deadlineNs);
            Thread.onSpinWait();
        }
    }

    private TransportNode launch(final int nodeId, final int port)
    {
        return TransportNode.launch(new TransportContext()
            .nodeId(nodeId)
            .aeronDirectoryName(TransportConfiguration.defaultAeronDirectoryName(
                "persistence-barrier-test-" + Long.toHexString(ThreadLocalRandom.current().nextLong())))
            .endpointHost("127.0.0.1")
            .endpointPort(port)
            .termLength(64 * 1024)
            .clusterSecret(ClusterSecret.of(SECRET))
            .idleStrategy(IdleStrategyKind.BACKOFF)
            .errorHandler(errors::add));
    }

    private static int freePort()
    {
        try (DatagramSocket socket = new DatagramSocket(0))
        {
            return socket.getLocalPort();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** A disk whose write blocks until {@link #release} (or fails then, if {@link #fail}). */
    private static final class HeldBackPersistence implements Persistence
    {
        final CountDownLatch release = new CountDownLatch(1);
        final List<State> written = new ArrayList<>();
        volatile boolean writing;
        volatile boolean fail;

        @Override
        public State read()
        {
            return State.INITIAL;
        }

        @Override
        public void write(final State state)
        {
            writing = true;
            try
            {
                release.await();
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            if (fail)
            {
                throw new UncheckedIOException(new IOException("disk full writing node-state"));
            }
            synchronized (written)
            {
                written.add(state);
            }
        }

        boolean writing()
        {
            return writing;
        }
    }

    private static final class EmptyLog implements LogView
    {
        @Override
        public int lastLogEpoch()
        {
            return -1;
        }

        @Override
        public long logEndOffset()
        {
            return 0;
        }
    }

    /** Sends votes for real; the role changes matter to nothing here. */
    private static final class VoteOutbox implements Outbox
    {
        private final ElectionPublisher publisher;

        VoteOutbox(final ElectionPublisher publisher)
        {
            this.publisher = publisher;
        }

        @Override
        public void sendRequestVote(final int to, final int epoch, final int lastLogEpoch, final long logEndOffset,
            final int flags)
        {
            publisher.sendRequestVote(to, epoch, lastLogEpoch, logEndOffset, flags);
        }

        @Override
        public void sendVote(final int to, final int epoch, final int candidateId, final int voterEpoch,
            final boolean granted, final boolean preVote)
        {
            publisher.sendVote(to, epoch, candidateId, voterEpoch, granted, preVote);
        }

        @Override
        public void sendHandover(final int to, final int epoch)
        {
            publisher.sendHandover(to, epoch);
        }

        @Override
        public void becomeCandidate(final int epoch)
        {
        }

        @Override
        public void becomeLeader(final int epoch)
        {
        }

        @Override
        public void becomeFollower(final int epoch, final int leaderId)
        {
        }

        @Override
        public void stepDown(final int epoch, final String reason)
        {
        }

        @Override
        public void stopWrites(final int epoch, final String reason)
        {
        }

        @Override
        public void resumeWrites(final int epoch, final String reason)
        {
        }
    }
}
