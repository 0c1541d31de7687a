package io.logship.os;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

/**
 * Asks the Linux scheduler for a short time slice for some of this process's threads (EEVDF's custom slice, Linux
 * 6.12 and later: {@code sched_setattr} with {@code sched_runtime} on a {@code SCHED_OTHER} thread). The policy and
 * nice value stay as they are; only the slice changes. Used at start for the threads a write waits on: the node's
 * conductor, journal and fsync threads, and the client threads of {@code logship load} (docs/DESIGN.md#thread-slice).
 *
 * <p>Why: on a host whose cores are all busy, a thread that wakes for a write waits until the running thread's slice
 * ends (about 1.4 ms by default on 2 cores) or its own virtual deadline comes up. A shorter slice gives it an earlier
 * deadline, so the scheduler runs it sooner and lets it preempt a thread with a longer slice; the apply thread and
 * the JVM's compiler and collector threads keep the default and wait instead. Measured on 2 cores at 10 k quorum
 * writes/s: p99 6.8 ms with the default slice, 2.1 ms with 100 µs (perf/README.md, "Short scheduler slices").
 * Older kernels accept the call and ignore the runtime; the log line then says the slice did not change.
 *
 * <p>Why a {@code perl} child process: Java 17 has no way to make a system call; a JNI or JNA library would unpack a
 * native file into a temporary directory, which every SIGKILL leaves behind (the problem lz4 has). Perl is part of
 * every Debian and Ubuntu system ({@code perl-base} is essential) and its {@code syscall} makes the call. One child
 * at start, never on a hot path; where perl, the system call or {@code /proc} is missing, the threads keep their
 * slice and a WARNING says so.
 */
public final class ThreadSlice
{
    /** The kernel's bounds for a custom slice; it clamps anything outside them. */
    public static final long MIN_NS = 100_000;
    public static final long MAX_NS = 100_000_000;
    private static final long CHILD_TIMEOUT_MS = 5_000;
    static final int NICE_UNKNOWN = Integer.MIN_VALUE;
    /**
     * For each TID:NICE argument, sched_setattr(tid, {size 48, SCHED_OTHER, flags 0, nice, priority 0, runtime =
     * slice}, 0): the nice value is passed back unchanged, since the call sets it too. Prints "TID error" per failure.
     */
    private static final String SCRIPT =
        "my ($ns, $nr, @t) = @ARGV; for (@t) { my ($tid, $nice) = split /:/; " +
        "syscall($nr, $tid + 0, pack('LLQlLQQQ', 48, 0, 0, $nice, 0, $ns, 0, 0), 0) == 0 or print \"$tid $!\\n\"; }";

    private ThreadSlice()
    {
    }

    /**
     * Sets a {@code sliceNs} slice on every thread of this process whose name {@code byName} accepts; 0 does nothing.
     * Returns how many threads the kernel reports with that slice afterwards.
     */
    public static int applyToThreads(final long sliceNs, final Predicate<String> byName, final String what,
        final System.Logger logger)
    {
        if (sliceNs <= 0)
        {
            return 0;
        }
        final List<Long> tids = new ArrayList<>();
        threadNames().forEach((tid, name) ->
        {
            if (byName.test(name))
            {
                tids.add(tid);
            }
        });
        return apply(sliceNs, tids, what, logger);
    }

    /** Sets a {@code sliceNs} slice on the given threads of this process; 0 does nothing. See {@link #applyToThreads}. */
    public static int apply(final long sliceNs, final Collection<Long> threadIds, final String what,
        final System.Logger logger)
    {
        final List<Long> tids = new ArrayList<>(threadIds);
        tids.removeIf((tid) -> tid < 0);
        if (sliceNs <= 0 || tids.isEmpty())
        {
            return 0;
        }
        final long syscall = schedSetattrNumber();
        if (syscall < 0)
        {
            logger.log(WARNING, what + " keep the default scheduler slice: no sched_setattr number known for " +
                System.getProperty("os.arch"));
            return 0;
        }
        final List<String> command = new ArrayList<>(List.of("perl", "-e", SCRIPT, Long.toString(sliceNs),
            Long.toString(syscall)));
        // sched_setattr sets the nice value too: a thread whose nice cannot be read (it ended, or /proc hides it) is
        // left alone rather than reset to 0, which would undo the apply thread's nice 10 for instance. Each value is
        // read once: a thread ending between two reads would have sent NICE_UNKNOWN to the kernel.
        final List<Long> known = new ArrayList<>(tids.size());
        for (final long tid : tids)
        {
            final int nice = nice(tid);
            if (nice != NICE_UNKNOWN)
            {
                known.add(tid);
                command.add(tid + ":" + nice);
            }
        }
        tids.retainAll(known);
        if (tids.isEmpty())
        {
            logger.log(WARNING, what + " keep the default scheduler slice: their nice values cannot be read from /proc");
            return 0;
        }
        try
        {
            final Process perl = new ProcessBuilder(command).redirectErrorStream(true).start();
            if (!perl.waitFor(CHILD_TIMEOUT_MS, TimeUnit.MILLISECONDS))
            {
                perl.destroyForcibly();
                logger.log(WARNING, what + " keep the default scheduler slice: perl did not exit within " +
                    CHILD_TIMEOUT_MS + " ms");
                return 0;
            }
            final String output = new String(perl.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (perl.exitValue() != 0 || !output.isEmpty())
            {
                logger.log(WARNING, what + " may keep the default scheduler slice: sched_setattr through perl exited " +
                    perl.exitValue() + (output.isEmpty() ? "" : ": " + output));
            }
        }
        catch (final IOException ex)
        {
            logger.log(WARNING, what + " keep the default scheduler slice: cannot run perl for sched_setattr (" + ex + ")");
            return 0;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            logger.log(WARNING, what + " keep the default scheduler slice: interrupted while perl ran");
            return 0;
        }
        int applied = 0;
        long reported = -1;
        for (final long tid : tids)
        {
            reported = slice(tid);
            if (reported == Math.max(MIN_NS, Math.min(MAX_NS, sliceNs)))
            {
                applied++;
            }
        }
        if (applied == tids.size())
        {
            logger.log(INFO, what + " (" + tids.size() + " threads) run with " +
                TimeUnit.NANOSECONDS.toMicros(sliceNs) + " µs scheduler slices");
        }
        else
        {
            logger.log(WARNING, what + ": " + applied + " of " + tids.size() + " threads report a " + sliceNs +
                " ns scheduler slice (the kernel says " + (reported < 0 ? "nothing" : reported + " ns") +
                "); custom slices need Linux 6.12 or later");
        }
        return applied;
    }

    /** This process's threads, by id, with their names as the kernel keeps them (at most 15 characters). */
    public static TreeMap<Long, String> threadNames()
    {
        final TreeMap<Long, String> names = new TreeMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task")))
        {
            for (final Path task : tasks)
            {
                try
                {
                    names.put(Long.parseLong(task.getFileName().toString()), Files.readString(task.resolve("comm")).strip());
                }
                catch (final IOException | NumberFormatException ex)
                {
                    // The thread ended while we looked: it needs no slice.
                }
            }
        }
        catch (final IOException ex)
        {
            // No /proc (not Linux): the caller's apply() finds no thread and does nothing.
        }
        return names;
    }

    /** The calling thread's id as the kernel knows it ({@code /proc/thread-self}), or -1 where there is none. */
    public static long currentThreadId()
    {
        try
        {
            // "/proc/thread-self" -> "<pid>/task/<tid>"
            return Long.parseLong(Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString());
        }
        catch (final IOException | RuntimeException ex)
        {
            return -1;
        }
    }

    /** The slice the kernel reports for a thread of this process ({@code se.slice}, ns), or -1 if it does not say. */
    static long slice(final long tid)
    {
        try
        {
            for (final String line : Files.readAllLines(Path.of("/proc/self/task/" + tid + "/sched")))
            {
                if (line.startsWith("se.slice"))
                {
                    return Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
                }
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            return -1;
        }
        return -1;
    }

    /**
     * Whether this kernel honours a custom slice: Linux 6.12 or later (EEVDF's {@code sched_runtime} for
     * {@code SCHED_OTHER}). Older kernels accept the call and ignore it, which {@link #apply} reports as a WARNING.
     */
    public static boolean kernelHasCustomSlices()
    {
        if (!"Linux".equals(System.getProperty("os.name")))
        {
            return false;
        }
        final String[] version = System.getProperty("os.version", "0.0").split("[.-]");
        try
        {
            final int major = Integer.parseInt(version[0]);
            final int minor = version.length > 1 ? Integer.parseInt(version[1]) : 0;
            return major > 6 || (major == 6 && minor >= 12);
        }
        catch (final NumberFormatException ex)
        {
            return false;
        }
    }

    /** A thread's nice value (field 19 of its stat line), {@link #NICE_UNKNOWN} if unreadable. */
    static int nice(final long tid)
    {
        try
        {
            final String stat = Files.readString(Path.of("/proc/self/task/" + tid + "/stat"));
            // The name in parentheses may hold spaces: count fields from after its closing parenthesis.
            final String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Integer.parseInt(fields[16]);
        }
        catch (final IOException | RuntimeException ex)
        {
            return NICE_UNKNOWN;
        }
    }

    private static long schedSetattrNumber()
    {
        return switch (System.getProperty("os.arch", "").toLowerCase(Locale.ROOT))
        {
            case "amd64", "x86_64" -> 314;
            case "aarch64", "arm64" -> 274;
            default -> -1;
        };
    }
}
