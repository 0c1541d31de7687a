package io.logship.os;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/** Runs where the project is built and tested: Linux 6.12 or later, perl installed (as on every Debian host). */
class ThreadSliceTest
{
    private static final System.Logger LOGGER = System.getLogger(ThreadSliceTest.class.getName());

    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicLong tid = new AtomicLong(-1);
    private Thread thread;

    @BeforeEach
    void startThread() throws InterruptedException
    {
        assumeThat(ThreadSlice.kernelHasCustomSlices()).as("custom scheduler slices need Linux 6.12+").isTrue();
        final CountDownLatch started = new CountDownLatch(1);
        thread = new Thread(() ->
        {
            tid.set(ThreadSlice.currentThreadId());
            started.countDown();
            try
            {
                release.await();
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }, "slice-test-1");
        thread.start();
        started.await();
    }

    @AfterEach
    void stopThread() throws InterruptedException
    {
        release.countDown();
        if (null != thread)
        {
            thread.join(10_000);
        }
    }

    @Test
    void shouldGiveTheNamedThreadTheSliceAndLeaveTheOthersAlone()
    {
        final long callerBefore = ThreadSlice.slice(ThreadSlice.currentThreadId());

        final int applied = ThreadSlice.applyToThreads(200_000, "slice-test-1"::equals, "test thread", LOGGER);

        assertThat(applied).isEqualTo(1);
        assertThat(ThreadSlice.slice(tid.get())).isEqualTo(200_000);
        assertThat(ThreadSlice.slice(ThreadSlice.currentThreadId())).as("a thread not named keeps its slice")
            .isEqualTo(callerBefore);
    }

    @Test
    void shouldKeepTheThreadsNiceValue() throws Exception
    {
        final Process renice = new ProcessBuilder("renice", "-n", "6", "-p", Long.toString(tid.get())).start();
        assertThat(renice.waitFor()).isZero();

        assertThat(ThreadSlice.apply(150_000, List.of(tid.get()), "test thread", LOGGER)).isEqualTo(1);

        assertThat(ThreadSlice.slice(tid.get())).isEqualTo(150_000);
        assertThat(ThreadSlice.nice(tid.get())).as("sched_setattr sets nice too: it must pass the old one").isEqualTo(6);
    }

    @Test
    void shouldLeaveAThreadThatHasEndedAlone()
    {
        final long gone = Long.MAX_VALUE; // no such thread: its nice value cannot be read

        assertThat(ThreadSlice.apply(150_000, List.of(gone, tid.get()), "test thread", LOGGER)).isEqualTo(1);

        assertThat(ThreadSlice.slice(tid.get())).isEqualTo(150_000);
    }

    @Test
    void shouldDoNothingWithSliceZero()
    {
        final long before = ThreadSlice.slice(tid.get());

        assertThat(ThreadSlice.apply(0, List.of(tid.get()), "test thread", LOGGER)).isZero();

        assertThat(ThreadSlice.slice(tid.get())).isEqualTo(before);
    }
}
