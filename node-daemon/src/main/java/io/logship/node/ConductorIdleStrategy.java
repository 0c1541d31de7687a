package io.logship.node;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NanoClock;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The conductor's default idle strategy ({@code logship.node.idle.strategy=backoff}): Agrona's back-off capped at
 * {@value #HOT_MAX_PARK_NS} ns while the node is busy, and 1 ms parks only once it has done nothing for
 * {@link #HOT_WINDOW_NS}. The network is the one hand-off nothing wakes the conductor for (Aeron has no wake-up;
 * the journal, the flusher and the apply thread unpark it), so its park bounds how long a request or an ack waits:
 * a plain back-off reaches its 1 ms cap after about 2 ms of idleness, which is the gap between two writes of one
 * client at a time, and then adds up to 1 ms to each. Capping every park at 50 µs instead would wake the thread
 * 20,000 times a second on an idle cluster; the window spends those wake-ups only while there is traffic.
 * An unpark ends either kind of park at once.
 *
 * <p>One instance per thread (idle strategies are stateful); used only by the conductor's {@code AgentRunner}.
 */
final class ConductorIdleStrategy implements IdleStrategy
{
    static final long HOT_MAX_PARK_NS = 50_000;
    static final long HOT_WINDOW_NS = TimeUnit.MILLISECONDS.toNanos(5);
    static final long COLD_PARK_NS = TimeUnit.MILLISECONDS.toNanos(1);

    private final BackoffIdleStrategy hot = new BackoffIdleStrategy(10, 20, 1_000, HOT_MAX_PARK_NS);
    private final NanoClock clock;
    private long lastWorkNs;

    ConductorIdleStrategy(final NanoClock clock)
    {
        this.clock = clock;
        this.lastWorkNs = clock.nanoTime();
    }

    @Override
    public void idle(final int workCount)
    {
        if (workCount > 0)
        {
            lastWorkNs = clock.nanoTime();
            hot.reset();
        }
        else
        {
            idle();
        }
    }

    @Override
    public void idle()
    {
        if (isHot(clock.nanoTime()))
        {
            hot.idle();
        }
        else
        {
            LockSupport.parkNanos(COLD_PARK_NS);
        }
    }

    @Override
    public void reset()
    {
        hot.reset();
    }

    /** Whether the last work was recent enough that the next idle round is a short back-off, not a 1 ms park. */
    boolean isHot(final long nowNs)
    {
        return nowNs - lastWorkNs < HOT_WINDOW_NS;
    }

    @Override
    public String alias()
    {
        return "conductor-backoff";
    }
}
