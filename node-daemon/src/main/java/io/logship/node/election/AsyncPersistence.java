package io.logship.node.election;

import java.util.concurrent.TimeUnit;

/**
 * The node's {@link Persistence}: {@link #write} only records the state and hands it to a persister thread
 * that writes it through a synchronous {@link Persistence} (docs/DESIGN.md#node-state-in-place), so the
 * conductor never waits for the disk (one such write took 300 ms here). Nothing the state reveals may reach a
 * peer before it is durable: the peer publications hold every message while {@link #isDurable()} is false
 * ({@link io.logship.node.egress.PeerPublishers}), and a new leader opens its epoch only once it holds
 * (docs/DESIGN.md#election-state-persistence).
 *
 * <p>{@link #read}, {@link #write} and {@link #isDurable} are for the conductor thread; the persister thread
 * writes only the latest requested state (a later state supersedes an earlier one: epochs only grow). A failed
 * write is never retried: {@link #isDurable} stays false for good and {@link #failure} says why, so the node
 * sends nothing more to its peers.
 */
public final class AsyncPersistence implements Persistence, AutoCloseable
{
    private final Persistence durable;
    private final String threadName;
    private final Object lock = new Object();
    private Thread thread;

    // Guarded by lock.
    private State requested;
    private long requestedTicket;
    private boolean closed;

    private volatile long durableTicket;
    private volatile long injectedDelayMs;
    private volatile Throwable failure;
    private long lastRequestedTicket; // conductor thread
    private State lastRequested; // conductor thread

    public AsyncPersistence(final Persistence durable, final String threadName)
    {
        this.durable = durable;
        this.threadName = threadName;
    }

    /** Starts the persister thread; before it, {@link #write} only queues. */
    public void start()
    {
        thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public State read()
    {
        return durable.read();
    }

    /** Queues {@code state} for the persister thread and returns at once; see {@link #isDurable()}. */
    @Override
    public void write(final State state)
    {
        synchronized (lock)
        {
            requested = state;
            lastRequested = state;
            lastRequestedTicket = ++requestedTicket;
            lock.notifyAll();
        }
    }

    /**
     * Fault injection ({@code node-state-delay-ms} in the faults file): each later write takes {@code delayMs} longer,
     * as on a disk busy with the logs' fsyncs. Any thread.
     */
    public void delayWrites(final long delayMs)
    {
        injectedDelayMs = delayMs;
    }

    /** Whether every state requested so far is durable; false for good once a write failed. */
    @Override
    public boolean isDurable()
    {
        return null == failure && durableTicket >= lastRequestedTicket;
    }

    /**
     * Whether the last state requested is {@code selfId}'s vote for itself in {@code epoch} and no write failed: what
     * a candidacy's vote requests may be sent ahead of (docs/DESIGN.md#candidacy-in-parallel). Conductor thread.
     */
    public boolean lastRequestedIsCandidacy(final int epoch, final int selfId)
    {
        final State last = lastRequested;
        return null == failure && null != last && last.epoch() == epoch && last.votedFor() == selfId;
    }

    /** Why a write failed, or null. */
    public Throwable failure()
    {
        return failure;
    }

    /** Writes what is still queued, then stops the persister thread (waits up to 10 s). */
    @Override
    public void close()
    {
        synchronized (lock)
        {
            closed = true;
            lock.notifyAll();
        }
        if (null != thread)
        {
            try
            {
                thread.join(TimeUnit.SECONDS.toMillis(10));
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run()
    {
        long written = 0;
        while (true)
        {
            final State state;
            final long ticket;
            synchronized (lock)
            {
                while (!closed && requestedTicket == written)
                {
                    try
                    {
                        lock.wait();
                    }
                    catch (final InterruptedException ex)
                    {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                if (requestedTicket == written)
                {
                    return; // closed with nothing left to write
                }
                state = requested;
                ticket = requestedTicket;
            }
            try
            {
                final long delayMs = injectedDelayMs;
                if (delayMs > 0)
                {
                    Thread.sleep(delayMs); // the injected disk latency itself, not a wait for a condition
                }
                durable.write(state);
            }
            catch (final Throwable ex)
            {
                failure = ex;
                return;
            }
            written = ticket;
            durableTicket = ticket;
        }
    }
}
