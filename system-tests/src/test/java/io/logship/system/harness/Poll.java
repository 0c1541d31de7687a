package io.logship.system.harness;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waiting for a condition with a deadline: every wait in the system tests goes through here, never a bare
 * sleep. A failed wait throws an {@link AssertionError} that names the condition and its last observed state.
 */
public final class Poll
{
    private static final long PAUSE_NS = TimeUnit.MILLISECONDS.toNanos(20);

    private Poll()
    {
    }

    /** Waits until {@code condition} holds, or fails naming {@code what} and {@code state} (as last seen). */
    public static void until(final String what, final Duration timeout, final BooleanSupplier condition,
        final Supplier<String> state)
    {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
            {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what + "; last state: " +
                    state.get());
            }
            pause();
        }
    }

    public static void until(final String what, final Duration timeout, final BooleanSupplier condition)
    {
        until(what, timeout, condition, () -> "(not recorded)");
    }

    /** One polling interval (20 ms); throws if the thread is interrupted, e.g. by a JUnit timeout. */
    public static void pause()
    {
        LockSupport.parkNanos(PAUSE_NS);
        if (Thread.currentThread().isInterrupted())
        {
            throw new AssertionError("interrupted while polling");
        }
    }
}
