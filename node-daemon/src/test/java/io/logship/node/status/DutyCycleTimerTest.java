package io.logship.node.status;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class DutyCycleTimerTest
{
    private final long[] now = {1_000_000_000L};
    private final DutyCycleTimer timer = new DutyCycleTimer(() -> now[0]);

    @Test
    void shouldKeepTheLongestCycleAndNameItsSlowestStep()
    {
        cycle(100, 200);
        assertThat(timer.endCycle()).isFalse();
        assertThat(timer.maxCycleNs()).isEqualTo(TimeUnit.MICROSECONDS.toNanos(300));

        cycle(100, 6_000); // 6.1 ms: over the 5 ms a cycle may take
        assertThat(timer.endCycle()).isTrue();
        assertThat(timer.describeSlowCycle()).startsWith("duty cycle took 6100 µs, 6000 µs of it in leader work");
        assertThat(timer.maxCycleNs()).isEqualTo(TimeUnit.MICROSECONDS.toNanos(6_100));

        cycle(50, 50);
        assertThat(timer.endCycle()).isFalse();
        assertThat(timer.maxCycleNs()).isEqualTo(TimeUnit.MICROSECONDS.toNanos(6_100));
    }

    /** The counters a benchmark reads before and after its run: every cycle counts, logged or not. */
    @Test
    void shouldCountEveryCycleOverEachThresholdWhetherLoggedOrNot()
    {
        cycle(900, 0);     // under every threshold
        timer.endCycle();
        cycle(1_500, 0);   // over 1 ms
        timer.endCycle();
        cycle(6_000, 0);   // over 1, 2 and 5 ms: logged
        timer.endCycle();
        cycle(7_000, 0);   // the same, inside the warning interval: not logged, still counted
        timer.endCycle();
        cycle(120_000, 0); // over every threshold
        timer.endCycle();

        final long[] expected = {4, 3, 3, 1, 1, 1, 1};
        assertThat(DutyCycleTimer.countedThresholds()).isEqualTo(expected.length);
        for (int i = 0; i < expected.length; i++)
        {
            assertThat(timer.cyclesOver(i)).as("cycles over %s ns", DutyCycleTimer.countedThresholdNs(i))
                .isEqualTo(expected[i]);
        }
        assertThat(DutyCycleTimer.countedThresholdNs(2)).isEqualTo(DutyCycleTimer.SLOW_CYCLE_NS);
    }

    @Test
    void shouldWarnAboutSlowCyclesAtMostOncePerIntervalCountingTheOthers()
    {
        cycle(6_000, 0);
        assertThat(timer.endCycle()).isTrue();
        timer.describeSlowCycle();
        cycle(7_000, 0);
        assertThat(timer.endCycle()).isFalse();
        cycle(8_000, 0);
        assertThat(timer.endCycle()).isFalse();

        now[0] += DutyCycleTimer.WARNING_INTERVAL_NS;
        cycle(5_500, 0);
        assertThat(timer.endCycle()).isTrue();
        assertThat(timer.describeSlowCycle()).contains("3 cycle(s) over 5 ms since the last warning")
            .contains("longest cycle since start 8000 µs");
    }

    @Test
    void shouldAlwaysWarnAboutACycleLongEnoughToCostTheLease()
    {
        cycle(6_000, 0);
        assertThat(timer.endCycle()).isTrue();
        timer.describeSlowCycle();
        cycle(10, 50_001); // within the interval, but a sixth of the lease: its step must reach the log
        assertThat(timer.endCycle()).isTrue();
        assertThat(timer.describeSlowCycle()).startsWith("duty cycle took 50011 µs, 50001 µs of it in leader work");
        cycle(49_000, 0);
        assertThat(timer.endCycle()).isFalse();
    }

    /** A cycle whose "election tick" takes {@code firstUs} and whose "leader work" takes {@code secondUs}. */
    private void cycle(final long firstUs, final long secondUs)
    {
        timer.beginCycle(now[0]);
        now[0] += TimeUnit.MICROSECONDS.toNanos(firstUs);
        timer.endStep("election tick");
        now[0] += TimeUnit.MICROSECONDS.toNanos(secondUs);
        timer.endStep("leader work");
    }
}
