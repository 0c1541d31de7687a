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

    private TransportCounters()
    {
    }

    static Counter allocate(final Aeron aeron, final int typeId, final String component, final String outcome)
    {
        return aeron.addCounter(typeId, "logship " + component + " " + outcome);
    }
}
