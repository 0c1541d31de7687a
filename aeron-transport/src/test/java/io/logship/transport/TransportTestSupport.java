package io.logship.transport;

import io.logship.transport.auth.ClusterSecret;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;

final class TransportTestSupport
{
    static final ClusterSecret SECRET = ClusterSecret.of("test-cluster-secret-0123456789".getBytes(StandardCharsets.US_ASCII));
    static final ClusterSecret OTHER_SECRET = ClusterSecret.of("another-cluster-secret-987654321".getBytes(StandardCharsets.US_ASCII));

    private TransportTestSupport()
    {
    }

    /** A free UDP port on loopback, released before use. */
    static int freePort()
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

    /** A context with its own /dev/shm directory, a free loopback port and small terms; errors collected. */
    static TransportContext context(final List<Throwable> errors)
    {
        return new TransportContext()
            .nodeId(1)
            .aeronDirectoryName(TransportConfiguration.defaultAeronDirectoryName(
                "test-" + Long.toHexString(ThreadLocalRandom.current().nextLong())))
            .endpointHost("127.0.0.1")
            .endpointPort(freePort())
            .termLength(1024 * 1024)
            .clusterSecret(SECRET)
            .idleStrategy(IdleStrategyKind.BACKOFF)
            .errorHandler(errors::add);
    }

    static List<Throwable> errors()
    {
        return new CopyOnWriteArrayList<>();
    }

    /** Runs {@code work} (e.g. a poll) until {@code done} or 10 s pass; returns done. */
    static boolean pollUntil(final Runnable work, final BooleanSupplier done)
    {
        final long deadlineNs = System.nanoTime() + 10_000_000_000L;
        while (!done.getAsBoolean())
        {
            if (System.nanoTime() > deadlineNs)
            {
                return false;
            }
            work.run();
            Thread.yield();
        }
        return true;
    }
}
