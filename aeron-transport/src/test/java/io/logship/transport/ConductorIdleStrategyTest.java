package io.logship.transport;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class ConductorIdleStrategyTest
{
    private final AtomicLong nowNs = new AtomicLong(1_000_000_000L);
    private final ConductorIdleStrategy idle = new ConductorIdleStrategy(nowNs::get);

    @Test
    void shouldKeepParksShortForAWindowAfterWorkAndOnlyThenParkLong()
    {
        idle.idle(3);
        advanceMs(4);
        assertThat(idle.isHot(nowNs.get())).as("4 ms after work").isTrue();
        idle.idle(0); // an idle round is not work: it must not extend the window
        advanceMs(2);
        assertThat(idle.isHot(nowNs.get())).as("6 ms after work").isFalse();

        idle.idle(1);
        assertThat(idle.isHot(nowNs.get())).as("right after new work").isTrue();
    }

    private void advanceMs(final long ms)
    {
        nowNs.addAndGet(TimeUnit.MILLISECONDS.toNanos(ms));
    }
}
