package io.logship.system.harness;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports for the nodes a test starts, taken from below the kernel's ephemeral range
 * ({@code /proc/sys/net/ipv4/ip_local_port_range}), each checked free by binding it in UDP and TCP on
 * {@link TestCluster#HOST}.
 *
 * <p>Why not a port the OS picks (bind to 0, close, hand it to the node): between the close and the node's bind,
 * the kernel may give the same port to anyone who asks for an ephemeral one, and every running node asks for
 * several (Aeron binds an ephemeral port for each publication it sends from). A clean-clone CI run lost a node
 * that way: "Address already in use" for the port its test had just been given. Below the ephemeral range the
 * kernel never hands a port out on its own, so only another explicit bind could collide, and a per-JVM cursor
 * keeps this JVM from giving the same port twice in a row.
 */
public final class TestPorts
{
    private static final int LOWEST = 10_000;
    private static final int EPHEMERAL_START = ephemeralStart();
    private static int cursor = LOWEST + ThreadLocalRandom.current().nextInt(Math.max(1, EPHEMERAL_START - LOWEST));

    private TestPorts()
    {
    }

    /** A port free in both UDP and TCP on {@link TestCluster#HOST} now, and outside the ephemeral range. */
    public static synchronized int next()
    {
        final InetAddress host;
        try
        {
            host = InetAddress.getByName(TestCluster.HOST);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot resolve " + TestCluster.HOST, ex);
        }
        final int span = EPHEMERAL_START - LOWEST;
        for (int tried = 0; tried < span; tried++)
        {
            cursor = cursor + 1 >= EPHEMERAL_START ? LOWEST : cursor + 1;
            if (isFree(host, cursor))
            {
                return cursor;
            }
        }
        throw new IllegalStateException("no free port between " + LOWEST + " and " + EPHEMERAL_START + " on " + host);
    }

    private static boolean isFree(final InetAddress host, final int port)
    {
        try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(host, port));
            ServerSocket tcp = new ServerSocket(port, 1, host))
        {
            return udp.getLocalPort() == port && tcp.getLocalPort() == port;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    /** The first port of the kernel's ephemeral range; Linux's default (32768) if it cannot be read. */
    private static int ephemeralStart()
    {
        try
        {
            final String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range"),
                StandardCharsets.US_ASCII).trim();
            final int start = Integer.parseInt(range.split("\\s+")[0]);
            // A range that starts too low leaves no room below it: then take ports from just above 10000 anyway.
            return start > LOWEST + 1_000 ? start : 32_768;
        }
        catch (final IOException | RuntimeException ex)
        {
            return 32_768;
        }
    }
}
