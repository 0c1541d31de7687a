package io.logship.node.ingress;

import io.logship.transport.IdleStrategyKind;
import io.logship.transport.TransportConfiguration;
import io.logship.transport.TransportContext;
import io.logship.transport.TransportCounters;
import io.logship.transport.TransportNode;
import io.logship.transport.auth.ClusterSecret;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.DatagramSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Connect never makes the conductor wait for the media driver: the client's response publication is added
 * asynchronously and the session handed over on a later duty cycle, or the Connect given up with the reason.
 * A real embedded media driver.
 */
class ClientSessionsTest
{
    private static final long CLIENT = 7;
    private static final int STREAM = 1001;

    private final List<Throwable> errors = new ArrayList<>();
    private final List<ClientSessions.Session> ready = new ArrayList<>();
    private final List<String> failed = new ArrayList<>();
    private final ClientSessions.ConnectListener listener = new ClientSessions.ConnectListener()
    {
        @Override
        public void onSessionReady(final ClientSessions.Session session)
        {
            ready.add(session);
        }

        @Override
        public void onSessionFailed(final long clientId, final String channel, final int streamId, final String reason)
        {
            failed.add(clientId + " " + channel + ": " + reason);
        }
    };
    private TransportNode transport;
    private ClientSessions sessions;

    @BeforeEach
    void launch()
    {
        transport = TransportNode.launch(new TransportContext()
            .nodeId(1)
            .aeronDirectoryName(TransportConfiguration.defaultAeronDirectoryName(
                "client-sessions-test-" + Long.toHexString(ThreadLocalRandom.current().nextLong())))
            .endpointHost("127.0.0.1")
            .endpointPort(freePort())
            .termLength(64 * 1024)
            .clusterSecret(ClusterSecret.of("client-sessions-test-secret-0123456789".getBytes(StandardCharsets.US_ASCII)))
            .idleStrategy(IdleStrategyKind.BACKOFF)
            .errorHandler(errors::add));
        sessions = new ClientSessions(transport, 4);
    }

    @AfterEach
    void close()
    {
        final String directory = transport.context().aeronDirectoryName();
        sessions.close();
        transport.close();
        assertThat(new File(directory)).doesNotExist();
    }

    @Test
    void shouldHandOverTheSessionOnALaterDutyCycleOnceTheMediaDriverSetItUp()
    {
        final String channel = responseChannel();

        assertThat(sessions.connect(CLIENT, channel, STREAM, 0)).isNull();
        assertThat(sessions.isConnecting(CLIENT)).isTrue();
        assertThat(sessions.get(CLIENT, 0)).isNull(); // no session, so no reply, before the publication exists
        assertThat(sessions.connect(CLIENT, channel, STREAM, 1)).isNull(); // a resent Connect adds nothing
        pollUntilSettled();

        assertThat(failed).isEmpty();
        assertThat(ready).hasSize(1);
        final ClientSessions.Session session = ready.get(0);
        assertThat(session.clientId).isEqualTo(CLIENT);
        assertThat(session.publisher).isNotNull();
        assertThat(sessions.get(CLIENT, 2)).isSameAs(session);
        assertThat(sessions.isConnecting(CLIENT)).isFalse();
        // Connect again on the same channel (a client that missed its reply): the session is reused at once.
        assertThat(sessions.connect(CLIENT, channel, STREAM, 3)).isSameAs(session);
        assertThat(errors).isEmpty();
    }

    @Test
    void shouldSetUpANewPublicationWhenAClientConnectsFromAnotherChannel()
    {
        sessions.connect(CLIENT, responseChannel(), STREAM, 0);
        pollUntilSettled();
        final ClientSessions.Session first = ready.get(0);

        assertThat(sessions.connect(CLIENT, responseChannel(), STREAM, 1)).isNull();

        assertThat(first.publisher.publication().isClosed()).isTrue();
        assertThat(sessions.get(CLIENT, 1)).isNull();
        pollUntilSettled();
        assertThat(ready).hasSize(2);
        assertThat(sessions.get(CLIENT, 2)).isSameAs(ready.get(1));
        assertThat(sessions.size()).isEqualTo(1);
    }

    @Test
    void shouldGiveUpOnAConnectWhoseChannelTheMediaDriverRefusesSayingWhy()
    {
        sessions.connect(CLIENT, "aeron:udp?endpoint=127.0.0.1:not-a-port", STREAM, 0);

        pollUntilSettled();

        assertThat(ready).isEmpty();
        assertThat(failed).singleElement().asString().startsWith(CLIENT + " aeron:udp?endpoint=127.0.0.1:not-a-port: " +
            "the media driver refused the publication");
        assertThat(sessions.get(CLIENT, 1)).isNull();
        // The counters asked for beside the refused publication are released, not left in the CnC file.
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!countersOf("client-" + CLIENT).isEmpty())
        {
            assertThat(System.nanoTime() - deadlineNs).as("the counters were released within 10 s").isNegative();
            Thread.yield();
        }
    }

    /** Labels of the allocated transport counters of publisher {@code name}. */
    private List<String> countersOf(final String name)
    {
        final List<String> labels = new ArrayList<>();
        transport.aeron().countersReader().forEach((counterId, typeId, keyBuffer, label) ->
        {
            if (typeId == TransportCounters.PUBLISHER_TYPE_ID && label.startsWith("logship publisher " + name + " ("))
            {
                labels.add(label);
            }
        });
        return labels;
    }

    @Test
    void shouldSetUpAConnectsPublisherAndItsCountersWithoutTheDutyThreadWaitingForTheMediaDriver()
    {
        // A driver on its own thread answers set-up requests a client idle (1 ms) later; a duty thread that waited
        // for each of a publisher's nine counters held heartbeats and votes 10-20 ms per Connect.
        final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        final long self = Thread.currentThread().getId();
        sessions.connect(CLIENT, responseChannel(), STREAM, 0);

        long waitsInSettlingCall = -1;
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (ready.isEmpty() && failed.isEmpty())
        {
            assertThat(System.nanoTime() - deadlineNs).as("the Connect settled within 10 s").isNegative();
            final long waitedBefore = threads.getThreadInfo(self).getWaitedCount();
            if (sessions.pollConnecting(1, listener) > 0)
            {
                waitsInSettlingCall = threads.getThreadInfo(self).getWaitedCount() - waitedBefore;
            }
            Thread.yield();
        }

        assertThat(ready).hasSize(1);
        // A wait or two can be the client's lock, held for a moment by its conductor thread; a counter asked for
        // synchronously costs at least one wait each.
        assertThat(waitsInSettlingCall).as("waits of the duty cycle that settled the Connect").isLessThan(3);
        assertThat(countersOf("client-" + CLIENT)).hasSize(9).allMatch(label -> label.contains(" stream=" + STREAM));
        assertThat(ready.get(0).publisher.sentCount()).isZero();
    }

    private void pollUntilSettled()
    {
        final int settledBefore = ready.size() + failed.size();
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (ready.size() + failed.size() == settledBefore)
        {
            assertThat(System.nanoTime() - deadlineNs).as("the Connect settled within 10 s").isNegative();
            sessions.pollConnecting(1, listener);
            Thread.yield();
        }
    }

    private static String responseChannel()
    {
        return "aeron:udp?endpoint=127.0.0.1:" + freePort();
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
}
