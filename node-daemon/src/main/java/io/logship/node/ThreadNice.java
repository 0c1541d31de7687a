package io.logship.node;

import io.logship.os.ThreadSlice;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

/**
 * Gives the calling thread a Linux nice value, so the scheduler prefers the node's other threads when the cores are
 * all busy. Used once, at start, by the store's apply thread: the store is behind the write path by design
 * (docs/DESIGN.md#node-threads), so on a saturated host the conductor, journal and fsync threads should win the CPU
 * and the store catch up when the burst ends.
 *
 * <p>Why a {@code renice} child process: Java has no call for a thread's nice value; {@code Thread.setPriority} maps
 * to it only with {@code -XX:ThreadPriorityPolicy=1}, which the JVM honours for root alone, while any user may lower
 * the priority of its own threads. On Linux {@code setpriority(PRIO_PROCESS, tid)} (what {@code renice -p} calls)
 * acts on that one thread, whose id {@code /proc/thread-self} names. One fork at start, never on a hot path. Where
 * any of this is missing (not Linux, no {@code renice}), the thread keeps its priority and a WARNING says so.
 */
final class ThreadNice
{
    private static final long RENICE_TIMEOUT_MS = 5_000;

    private ThreadNice()
    {
    }

    /** Sets the calling thread's nice value to {@code nice} (1..19); 0 leaves it alone. True if it took effect. */
    static boolean applyToCurrentThread(final int nice, final String threadName, final System.Logger logger)
    {
        if (nice <= 0)
        {
            return false;
        }
        try
        {
            final long threadId = ThreadSlice.currentThreadId();
            if (threadId < 0)
            {
                logger.log(WARNING, threadName + " keeps the normal priority: no /proc/thread-self to name it by");
                return false;
            }
            final String tid = Long.toString(threadId);
            final Process renice = new ProcessBuilder("renice", "-n", Integer.toString(nice), "-p", tid)
                .redirectErrorStream(true).start();
            if (!renice.waitFor(RENICE_TIMEOUT_MS, TimeUnit.MILLISECONDS))
            {
                // Killed before its output is read: reading a live child's output would block this thread with it.
                renice.destroyForcibly();
                logger.log(WARNING, threadName + " keeps the normal priority: renice -n " + nice + " -p " + tid +
                    " did not exit within " + RENICE_TIMEOUT_MS + " ms");
                return false;
            }
            final String output = new String(renice.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (renice.exitValue() != 0)
            {
                logger.log(WARNING, threadName + " keeps the normal priority: renice -n " + nice + " -p " + tid +
                    " exited " + renice.exitValue() + (output.isEmpty() ? "" : ": " + output));
                return false;
            }
            logger.log(INFO, threadName + " (thread " + tid + ") runs at nice " + nice + ", below the write path");
            return true;
        }
        catch (final IOException ex)
        {
            logger.log(WARNING, threadName + " keeps the normal priority: cannot renice it to " + nice + " (" + ex + ")");
            return false;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            logger.log(WARNING, threadName + " keeps the normal priority: interrupted while renice to " + nice +
                " ran");
            return false;
        }
    }
}
