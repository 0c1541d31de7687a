package io.logship.node.pipeline;

import java.util.concurrent.locks.LockSupport;

/**
 * Wakes one consumer thread out of its idle strategy's park when a producer hands it work (the journal's
 * results and the flusher's fsyncs to the conductor, a new commit to the apply thread), so the hand-off costs
 * an unpark rather than whatever is left of the consumer's park: up to 1 ms for the conductor's back-off, 1 ms
 * for the apply thread. It only helps idle strategies that park ({@code BackoffIdleStrategy},
 * {@code SleepingIdleStrategy}); a spinning consumer needs no wake-up, and one that sleeps with
 * {@code Thread.sleep} cannot be woken.
 *
 * <p>The consumer binds its own thread once it runs ({@link #bind}); before that {@link #wake()} does nothing.
 * Any thread may call {@link #wake()}. An unpark of a thread that is not parked makes its next park return at
 * once: one spare duty cycle, never a lost wake-up.
 */
public final class Wakeup
{
    private volatile Thread consumer;
    private volatile Runnable waker;

    /** Called on the consumer's thread when it starts. */
    public void bind(final Thread consumer)
    {
        this.consumer = consumer;
    }

    /**
     * The consumer waits on something an unpark does not end (the conductor in a selector, see
     * {@code io.logship.transport.NetworkWait}): {@code waker} ends that wait instead. Set before the consumer runs.
     */
    public void bindWaker(final Runnable waker)
    {
        this.waker = waker;
    }

    public void wake()
    {
        final Runnable waker = this.waker;
        if (null != waker)
        {
            waker.run();
            return;
        }
        final Thread thread = consumer;
        if (null != thread)
        {
            LockSupport.unpark(thread);
        }
    }
}
