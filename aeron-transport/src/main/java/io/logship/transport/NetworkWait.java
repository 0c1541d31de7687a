package io.logship.transport;

import io.aeron.driver.DataPacketDispatcher;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.media.ReceiveChannelEndpoint;
import io.aeron.driver.media.SendChannelEndpoint;
import io.aeron.driver.media.UdpChannel;
import org.agrona.concurrent.status.AtomicCounter;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.function.Consumer;

/**
 * Lets the one thread that runs an invoked media driver ({@code ThreadingMode.INVOKER}) sleep until a datagram
 * arrives on any of the driver's sockets, another thread calls {@link #wakeup()}, or a timeout passes, instead of
 * polling the sockets with short parks.
 *
 * <p>Why: Aeron's agents poll their sockets, which suits a core per agent. A co-resident cluster on two cores has
 * none to spare, and there a park costs about 25 µs of CPU however short (a VM's timer and context switch;
 * perf/README.md, "What a wake-up costs"): a duty thread polling every 50 µs for a write a millisecond burns
 * about 190 µs of CPU per datagram, one blocked in a selector about 20 µs. The driver still does all the reading:
 * each socket is registered a second time, with this selector, only to learn that it is readable, and a datagram
 * the driver has not read yet keeps the socket readable, so the wait returns at once and none is missed.
 *
 * <p>Sockets join as the driver opens them: the driver's endpoint suppliers ({@link #install}) make endpoints that
 * register their socket when opened. A closed socket leaves the selector by itself (its key is cancelled).
 */
public final class NetworkWait implements AutoCloseable
{
    private static final Consumer<SelectionKey> IGNORE = (key) -> { };

    private final Selector selector;

    NetworkWait()
    {
        try
        {
            selector = Selector.open();
        }
        catch (final IOException ex)
        {
            throw new TransportException("cannot open a selector for the duty thread's network wait: " + ex,
                TransportException.Category.FATAL, ex);
        }
    }

    /** Makes the driver's send and receive endpoints register their sockets here as they open them. */
    void install(final MediaDriver.Context driverCtx)
    {
        driverCtx.receiveChannelEndpointSupplier(this::newReceiveEndpoint);
        driverCtx.sendChannelEndpointSupplier(this::newSendEndpoint);
    }

    /**
     * Blocks the calling thread until a socket of the driver is readable, {@link #wakeup()} is called (or was since
     * the last wait), or {@code timeoutMs} passes. Only the thread that runs the driver calls it.
     */
    public void await(final long timeoutMs)
    {
        try
        {
            selector.select(IGNORE, Math.max(1, timeoutMs));
        }
        catch (final IOException ex)
        {
            throw new TransportException("the duty thread's network wait failed: " + ex,
                TransportException.Category.FATAL, ex);
        }
    }

    /** Ends the current {@link #await} at once, or the next one if none is in progress. Any thread. */
    public void wakeup()
    {
        selector.wakeup();
    }

    private void register(final DatagramChannel channel)
    {
        if (null == channel)
        {
            return;
        }
        try
        {
            channel.register(selector, SelectionKey.OP_READ);
        }
        catch (final ClosedChannelException ex)
        {
            // Closed between its opening and now: nothing to wait for.
        }
    }

    private ReceiveChannelEndpoint newReceiveEndpoint(final UdpChannel udpChannel,
        final DataPacketDispatcher dispatcher, final AtomicCounter statusIndicator, final MediaDriver.Context context)
    {
        return new ReceiveChannelEndpoint(udpChannel, dispatcher, statusIndicator, context)
        {
            @Override
            public void openDatagramChannel(final AtomicCounter statusIndicator)
            {
                super.openDatagramChannel(statusIndicator);
                register(receiveDatagramChannel());
            }
        };
    }

    private SendChannelEndpoint newSendEndpoint(final UdpChannel udpChannel, final AtomicCounter statusIndicator,
        final MediaDriver.Context context)
    {
        return new SendChannelEndpoint(udpChannel, statusIndicator, context)
        {
            // A unicast send endpoint receives its status messages and NAKs on the socket it sends from, which
            // is the one receiveDatagramChannel() names: a publication waiting for flow control wakes on them.
            @Override
            public void openDatagramChannel(final AtomicCounter statusIndicator)
            {
                super.openDatagramChannel(statusIndicator);
                register(receiveDatagramChannel());
            }
        };
    }

    @Override
    public void close()
    {
        try
        {
            selector.close();
        }
        catch (final IOException ex)
        {
            // Closing at shutdown: the selector's file descriptors go with the process anyway.
        }
    }
}
