package io.logship.transport;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;

import java.util.Locale;

/**
 * The idle strategies a setting may name. {@link #BACKOFF} is the default: on a 2-core machine
 * busy-spinning starves the other threads (see LIBRARIES.md); {@link #BUSY_SPIN} is for machines with
 * cores to spare.
 */
public enum IdleStrategyKind
{
    /** Spin, then yield, then park from 1 µs up to 1 ms. */
    BACKOFF,
    BUSY_SPIN,
    YIELD,
    /** Sleep 1 ms per idle round: lowest CPU use, highest latency; for tests and tools. */
    SLEEP;

    /** A new, independent instance (idle strategies are stateful: one per thread). */
    public IdleStrategy newInstance()
    {
        switch (this)
        {
            case BUSY_SPIN:
                return new BusySpinIdleStrategy();
            case YIELD:
                return new YieldingIdleStrategy();
            case SLEEP:
                return new SleepingMillisIdleStrategy(1);
            case BACKOFF:
            default:
                return new BackoffIdleStrategy(
                    10, 20, 1_000, 1_000_000);
        }
    }

    /** Parses {@code backoff}, {@code busy-spin}, {@code yield} or {@code sleep}, ignoring case. */
    public static IdleStrategyKind parse(final String property, final String value)
    {
        final String normalised = value.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (final IdleStrategyKind kind : values())
        {
            if (kind.name().equals(normalised))
            {
                return kind;
            }
        }
        throw new TransportException(property + "=" + value + " is not an idle strategy: expected one of" +
            " backoff, busy-spin, yield, sleep", TransportException.Category.ERROR);
    }
}
