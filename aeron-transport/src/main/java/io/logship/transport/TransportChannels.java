package io.logship.transport;

import io.aeron.ChannelUriStringBuilder;

/**
 * Builds the channel strings of the layout in README.md. Subscriptions name only the endpoint;
 * publications also carry the term length and MTU, so they hold with an external driver whose
 * defaults differ.
 */
public final class TransportChannels
{
    private TransportChannels()
    {
    }

    /** {@code aeron:udp?endpoint=host:port}: where this process subscribes to every inbound stream. */
    public static String udpSubscription(final String host, final int port)
    {
        return new ChannelUriStringBuilder().media("udp").endpoint(host + ":" + port).build();
    }

    /** A publication to another process's endpoint. */
    public static String udpPublication(final String host, final int port, final int termLength, final int mtuLength)
    {
        return new ChannelUriStringBuilder()
            .media("udp")
            .endpoint(host + ":" + port)
            .termLength(termLength)
            .mtu(mtuLength)
            .build();
    }

    /** A publication to another process's endpoint with the context's term length and MTU. */
    public static String udpPublication(final TransportContext ctx, final String host, final int port)
    {
        return udpPublication(host, port, ctx.termLength(), ctx.mtuLength());
    }

    /** Shared-memory channel within one driver (tests, co-located tools). */
    public static String ipc(final int termLength)
    {
        return new ChannelUriStringBuilder().media("ipc").termLength(termLength).build();
    }

    public static String ipcSubscription()
    {
        return "aeron:ipc";
    }
}
