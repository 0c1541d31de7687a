package io.logship.log;

import io.logship.format.BatchBuilder;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class SegmentedLogDurabilityTest
{
    @TempDir
    Path dir;

    private final BatchBuilder builder = new BatchBuilder(64 * 1024);
    private final AtomicLong clock = new AtomicLong(1_000_000);

    @Test
    void shouldForceEveryAppendWithFsyncAlways()
    {
        try (SegmentedLog log = SegmentedLog.open(new LogConfig().directory(dir).fsyncPolicy(FsyncPolicy.ALWAYS)
            .logger(new CapturingLogger())))
        {
            for (int n = 0; n < 5; n++)
            {
                LogFiles.append(log, builder, 3, n, 1, 1);
                assertThat(log.durableEndOffset()).isEqualTo(log.logEndOffset());
            }
        }
    }

    @Test
    void shouldLetDurableEndLagUntilTheFsyncIntervalHasPassed()
    {
        final LogConfig config = new LogConfig().directory(dir).fsyncPolicy(FsyncPolicy.INTERVAL).fsyncIntervalMs(100)
            .epochClockMs(clock::get).logger(new CapturingLogger());
        try (SegmentedLog log = SegmentedLog.open(config))
        {
            LogFiles.append(log, builder, 3, 0, 3, 1);
            final long end = log.logEndOffset();
            assertThat(end).isPositive();
            assertThat(log.durableEndOffset()).isZero();

            clock.addAndGet(99);
            assertThat(log.flushIfDue(clock.get())).isFalse();
            assertThat(log.durableEndOffset()).isZero();

            clock.addAndGet(1);
            assertThat(log.flushIfDue(clock.get())).isTrue();
            assertThat(log.durableEndOffset()).isEqualTo(end);
            assertThat(log.flushIfDue(clock.get() + 1000)).as("nothing new to force").isFalse();

            clock.addAndGet(50);
            LogFiles.append(log, builder, 3, 3, 1, 1);
            assertThat(log.durableEndOffset()).as("an append inside the interval is not forced").isEqualTo(end);

            clock.addAndGet(50);
            LogFiles.append(log, builder, 3, 4, 1, 1);
            assertThat(log.durableEndOffset()).as("an append once the interval has passed forces everything")
                .isEqualTo(log.logEndOffset());

            LogFiles.append(log, builder, 3, 5, 1, 1);
            assertThat(log.durableEndOffset()).isLessThan(log.logEndOffset());
            log.flush();
            assertThat(log.durableEndOffset()).isEqualTo(log.logEndOffset());
        }
    }

    @Test
    void shouldForceEverythingOnRollAndReportItDurableAfterReopen()
    {
        final LogConfig config = new LogConfig().directory(dir).fsyncPolicy(FsyncPolicy.INTERVAL).fsyncIntervalMs(100)
            .epochClockMs(clock::get).logger(new CapturingLogger());
        final long end;
        try (SegmentedLog log = SegmentedLog.open(config))
        {
            LogFiles.append(log, builder, 3, 0, 3, 1);
            assertThat(log.durableEndOffset()).isZero();
            log.roll();
            assertThat(log.durableEndOffset()).isEqualTo(log.logEndOffset());
            LogFiles.append(log, builder, 3, 3, 3, 1);
            end = log.logEndOffset();
        }
        try (SegmentedLog log = SegmentedLog.open(config))
        {
            assertThat(log.logEndOffset()).isEqualTo(end);
            assertThat(log.durableEndOffset()).isEqualTo(end);
        }
    }
}
