package io.logship.node;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

class ThreadNiceTest
{
    private static final System.Logger LOGGER = System.getLogger(ThreadNiceTest.class.getName());

    @Test
    void shouldLowerOnlyTheCallingThreadsPriority() throws Exception
    {
        final int before = niceOf(Path.of("/proc/thread-self/stat"));
        final Outcome outcome = applyInNewThread(7);

        assertThat(outcome.applied).isTrue();
        assertThat(outcome.niceAfter).isEqualTo(7);
        assertThat(niceOf(Path.of("/proc/thread-self/stat"))).as("the caller's own thread is untouched").isEqualTo(before);
    }

    @Test
    void shouldLeaveTheThreadAloneWithNiceZero() throws Exception
    {
        final int before = niceOf(Path.of("/proc/thread-self/stat"));
        final Outcome outcome = applyInNewThread(0);

        assertThat(outcome.applied).isFalse();
        assertThat(outcome.niceAfter).isEqualTo(before);
    }

    private record Outcome(Boolean applied, int niceAfter)
    {
    }

    /** Runs {@link ThreadNice#applyToCurrentThread} in a new thread; what it answered and that thread's nice after. */
    private static Outcome applyInNewThread(final int nice) throws InterruptedException
    {
        final AtomicInteger niceInThread = new AtomicInteger(Integer.MIN_VALUE);
        final AtomicReference<Boolean> applied = new AtomicReference<>();
        final Thread thread = new Thread(() ->
        {
            applied.set(ThreadNice.applyToCurrentThread(nice, "test thread", LOGGER));
            niceInThread.set(niceOf(Path.of("/proc/thread-self/stat")));
        });
        thread.start();
        thread.join(10_000);
        return new Outcome(applied.get(), niceInThread.get());
    }

    /** Field 19 of proc(5)'s stat line: the nice value. The command name (field 2) may hold spaces, so count after ')'. */
    private static int niceOf(final Path stat)
    {
        try
        {
            final String line = Files.readString(stat, StandardCharsets.US_ASCII);
            final String[] fields = line.substring(line.lastIndexOf(')') + 2).split(" ");
            return Integer.parseInt(fields[19 - 3]);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
