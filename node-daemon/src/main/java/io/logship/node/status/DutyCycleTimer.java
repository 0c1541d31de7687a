package io.logship.node.status;

import org.agrona.concurrent.NanoClock;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Times the conductor's duty cycles: each cycle's duration and its slowest step, the longest cycle since the
 * node started (exported as {@code logship_duty_cycle_max_seconds}), how many cycles took longer than each of a few
 * thresholds ({@code logship_duty_cycles_over_total}), and whether a cycle is slow enough to warn about. The conductor both heartbeats and answers votes, so a cycle that blocks for longer than a
 * follower's election timeout costs an election; the target is well under a millisecond per cycle.
 *
 * <p>Written by the conductor thread only, without allocation; {@link #maxCycleNs()} is read by the metrics
 * HTTP thread (a volatile field written only when the maximum grows, which is rare).
 */
public final class DutyCycleTimer
{
    /** A cycle above this is logged: five times the per-step target, a tenth of the shortest election timeout. */
    public static final long SLOW_CYCLE_NS = TimeUnit.MILLISECONDS.toNanos(5);
    /** Slow cycles are logged at most this often (the maximum is kept regardless). */
    public static final long WARNING_INTERVAL_NS = TimeUnit.SECONDS.toNanos(10);
    /**
     * A cycle above this is always logged, whatever the interval: a sixth of the default 300 ms lease, where the
     * cycle alone puts the leader's lease (or a follower's acks) at stake, so a lost lease's log names the step.
     */
    public static final long STALL_CYCLE_NS = TimeUnit.MILLISECONDS.toNanos(50);

    /**
     * Thresholds of the slow-cycle counters ({@link #cyclesOver}), ascending: a benchmark reads them before and after
     * its measured run, so the stalls of that run are told apart from the start-up's in {@link #maxCycleNs()}.
     */
    private static final long[] COUNTED_OVER_NS = {
        TimeUnit.MILLISECONDS.toNanos(1), TimeUnit.MILLISECONDS.toNanos(2), TimeUnit.MILLISECONDS.toNanos(5),
        TimeUnit.MILLISECONDS.toNanos(10), TimeUnit.MILLISECONDS.toNanos(20), TimeUnit.MILLISECONDS.toNanos(50),
        TimeUnit.MILLISECONDS.toNanos(100)};

    private final NanoClock clock;
    /** Cycles longer than each of {@link #COUNTED_OVER_NS}: written by the conductor only, read by metrics. */
    private final AtomicLongArray cyclesOver = new AtomicLongArray(COUNTED_OVER_NS.length);
    private long cycleStartNs;
    private long stepStartNs;
    private long slowestStepNs;
    private String slowestStep = "";
    private long lastCycleNs;
    private long lastWarningNs;
    private boolean warned;
    private long slowCyclesSinceWarning;
    private volatile long maxCycleNs;

    public DutyCycleTimer(final NanoClock clock)
    {
        this.clock = clock;
    }

    /** A cycle starts now ({@code nowNs} from the same clock). */
    public void beginCycle(final long nowNs)
    {
        cycleStartNs = nowNs;
        stepStartNs = nowNs;
        slowestStepNs = -1;
        slowestStep = "";
    }

    /** The step named {@code step} (a constant: no allocation) ends now. */
    public void endStep(final String step)
    {
        final long nowNs = clock.nanoTime();
        final long tookNs = nowNs - stepStartNs;
        if (tookNs > slowestStepNs)
        {
            slowestStepNs = tookNs;
            slowestStep = step;
        }
        stepStartNs = nowNs;
    }

    /**
     * The cycle ends now: records its duration and says whether to warn about it (it took more than
     * {@link #SLOW_CYCLE_NS} and no warning went out in the last {@link #WARNING_INTERVAL_NS}, or it took more than
     * {@link #STALL_CYCLE_NS}).
     */
    public boolean endCycle()
    {
        final long nowNs = clock.nanoTime();
        final long cycleNs = nowNs - cycleStartNs;
        lastCycleNs = cycleNs;
        if (cycleNs > maxCycleNs)
        {
            maxCycleNs = cycleNs;
        }
        for (int i = 0; i < COUNTED_OVER_NS.length && cycleNs > COUNTED_OVER_NS[i]; i++)
        {
            cyclesOver.lazySet(i, cyclesOver.get(i) + 1); // one writer: no read-modify-write needed
        }
        if (cycleNs <= SLOW_CYCLE_NS)
        {
            return false;
        }
        slowCyclesSinceWarning++;
        if (warned && nowNs - lastWarningNs < WARNING_INTERVAL_NS && cycleNs <= STALL_CYCLE_NS)
        {
            return false;
        }
        warned = true;
        lastWarningNs = nowNs;
        return true;
    }

    /** What to log for a slow cycle {@link #endCycle()} asked to warn about; resets the count of slow cycles. */
    public String describeSlowCycle()
    {
        final String text = "duty cycle took " + TimeUnit.NANOSECONDS.toMicros(lastCycleNs) + " µs, " +
            TimeUnit.NANOSECONDS.toMicros(slowestStepNs) + " µs of it in " + slowestStep + " (" +
            slowCyclesSinceWarning + " cycle(s) over " + TimeUnit.NANOSECONDS.toMillis(SLOW_CYCLE_NS) +
            " ms since the last warning, longest cycle since start " + TimeUnit.NANOSECONDS.toMicros(maxCycleNs) +
            " µs): heartbeats and votes wait meanwhile";
        slowCyclesSinceWarning = 0;
        return text;
    }

    /** How many thresholds {@link #cyclesOver} counts against. */
    public static int countedThresholds()
    {
        return COUNTED_OVER_NS.length;
    }

    /** The {@code index}th threshold (ascending), in nanoseconds. */
    public static long countedThresholdNs(final int index)
    {
        return COUNTED_OVER_NS[index];
    }

    /** Duty cycles since start longer than {@link #countedThresholdNs}{@code (index)}. Any thread. */
    public long cyclesOver(final int index)
    {
        return cyclesOver.get(index);
    }

    /** The longest duty cycle since start, in nanoseconds. Any thread. */
    public long maxCycleNs()
    {
        return maxCycleNs;
    }
}
