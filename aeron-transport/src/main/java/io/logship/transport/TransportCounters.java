package io.logship.transport;

import io.aeron.Aeron;
import io.aeron.Counter;

/**
 * Type ids and labels of the transport's counters. They are allocated through the Aeron client, so
 * they live in the driver's CnC file and are readable from outside the process (AeronStat, or any
 * {@code CountersReader} on the aeron directory). Labels start with {@code "logship "}.
 */
public final class TransportCounters
{
    /** One counter per publisher outcome (sent, back-pressured, ...), label names publisher and outcome. */
    public static final int PUBLISHER_TYPE_ID = 7301_01;
    /** One counter per adapter outcome (received, rejected, auth failed, malformed). */
    public static final int ADAPTER_TYPE_ID = 7301_02;

    /** A publisher's outcomes, one counter each, in the order {@link BoundedPublisher} takes them. */
    static final String[] PUBLISHER_OUTCOMES = {
        "sent", "back-pressured", "not-connected", "admin-action", "closed", "max-position-exceeded", "too-large",
        "retries", "fault-dropped" };

    private TransportCounters()
    {
    }

    /** Waits for the media driver's answer: for set-up, not for a duty thread ({@link PendingPublisher}). */
    static Counter allocate(final Aeron aeron, final int typeId, final String component, final String outcome)
    {
        return aeron.addCounter(typeId, label(component, outcome));
    }

    static String label(final String component, final String outcome)
    {
        return "logship " + component + " " + outcome;
    }

    static String publisherComponent(final String name, final String channel, final int streamId)
    {
        return "publisher " + name + " (" + channel + " stream=" + streamId + ")";
    }

    /** A publisher's {@link #PUBLISHER_OUTCOMES} counters, waiting for the driver's answer to each. */
    static Counter[] allocatePublisher(final Aeron aeron, final String component)
    {
        final Counter[] counters = new Counter[PUBLISHER_OUTCOMES.length];
        for (int i = 0; i < counters.length; i++)
        {
            counters[i] = allocate(aeron, PUBLISHER_TYPE_ID, component, PUBLISHER_OUTCOMES[i]);
        }
        return counters;
    }
}
