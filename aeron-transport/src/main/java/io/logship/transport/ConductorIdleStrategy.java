package io.logship.transport;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NanoClock;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The idle strategy of a duty thread that runs its own media driver ({@link TransportNode#invoke()}): a node's
 * conductor with {@code logship.node.threading=shared} ({@code logship.node.idle.strategy=backoff}), and a client's
 * conductor with {@code ClientConfig.sharedThreading}. Agrona's back-off capped at
 * {@value #HOT_MAX_PARK_NS} ns while the node is busy, and 1 ms parks only once it has done nothing for
 * {@link #HOT_WINDOW_NS}. The network is the one hand-off nothing wakes the conductor for (Aeron has no wake-up;
 * the journal, the flusher and the apply thread unpark it), so its park bounds how long a request or an ack waits:
 * a plain back-off reaches its 1 ms cap after about 2 ms of idleness, which is the gap between two writes of one
 * client at a time, and then adds up to 1 ms to each. Capping every park at 50 µs instead would wake the thread
 * 20,000 times a second on an idle cluster; the window spends those wake-ups only while there is traffic.
 * An unpark ends either kind of park at once.
 *
 * <p>With shared threading the node runs its media driver on this thread, and then {@link #waitOn} replaces every
 * park with a wait in a selector on the driver's sockets ({@link NetworkWait}) when
 * {@code logship.node.idle.strategy=network}: a few spins after the last work, then sleep until a datagram arrives,
 * another thread wakes the conductor (the journal, the flusher and the apply thread call
 * {@link NetworkWait#wakeup()} through the node's {@code Wakeup}), or 1 ms passes for the timers. The network then
 * wakes the thread the way the other threads do, and an idle round costs one wake-up per event instead of one per
 * 50 µs park: far less CPU at low and moderate rates, but a lone round trip takes about half a millisecond longer
 * (perf/README.md, "What a wake-up costs"), which is why it is not the default.
 *
 * <p>One instance per thread (idle strategies are stateful); used only by the duty thread's {@code AgentRunner}.
 */
public final class ConductorIdleStrategy implements IdleStrategy
{
    static final long HOT_MAX_PARK_NS = 50_000;
    static final long HOT_WINDOW_NS = TimeUnit.MILLISECONDS.toNanos(5);
    static final long COLD_PARK_NS = TimeUnit.MILLISECONDS.toNanos(1);

    private final BackoffIdleStrategy hot = new BackoffIdleStrategy(10, 20, 1_000, HOT_MAX_PARK_NS);
    /**
     * Idle rounds spent spinning before a network wait: cheap, and catch an answer due at once. No yields: on a host
     * whose cores are all taken a yield hands the core to another runnable thread for its whole time slice, which
     * delays this thread's next look by milliseconds, and a yield buys nothing a wait that ends on the event does not.
     */
    static final int WAIT_SPINS = 10;

    private final NanoClock clock;
    private long lastWorkNs;
    private NetworkWait network;
    private int idleRounds;

    public ConductorIdleStrategy(final NanoClock clock)
    {
        this.clock = clock;
        this.lastWorkNs = clock.nanoTime();
    }

    /** Waits on the driver's sockets instead of parking; set before the duty thread starts (see the class comment). */
    public void waitOn(final NetworkWait network)
    {
        this.network = network;
    }

    @Override
    public void idle(final int workCount)
    {
        if (workCount > 0)
        {
            lastWorkNs = clock.nanoTime();
            hot.reset();
            idleRounds = 0;
        }
        else
        {
            idle();
        }
    }

    @Override
    public void idle()
    {
        if (null != network)
        {
            final int round = idleRounds++;
            if (round < WAIT_SPINS)
            {
                Thread.onSpinWait();
            }
            else
            {
                network.await(TimeUnit.NANOSECONDS.toMillis(COLD_PARK_NS));
            }
            return;
        }
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
        idleRounds = 0;
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
