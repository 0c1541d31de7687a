package io.logship.system.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One {@code logshipd} JVM started with {@link ProcessBuilder}: {@code java --add-exports ... -cp <node-daemon jar +
 * runtime class path> io.logship.node.NodeDaemon --config FILE}. stdout and stderr go (appended across restarts) to
 * {@code node-N.log} in the test's directory. {@link #start()} returns once the node printed
 * {@code logshipd: node N running}.
 *
 * <p>{@link #kill9()} is {@code destroyForcibly} (SIGKILL on Linux) and then removes the node's Aeron directory, which
 * a killed driver leaves behind; {@link #stop()} is SIGTERM (the node's clean stop), escalating to SIGKILL after
 * {@link #STOP_TIMEOUT}.
 *
 * <p>Used by the test thread only (and the load threads of a test only through the client): not thread-safe.
 */
public final class NodeProcess
{
    private static final DateTimeFormatter LOG_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");
    public static final Duration START_TIMEOUT = Duration.ofSeconds(45);
    public static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);

    private final int nodeId;
    private final Path configFile;
    private final Path logFile;
    private final Path aeronDir;
    private final Path dataDir;
    private final NodeBinaries binaries;
    /** The node JVM's java.io.tmpdir: see {@link #launch()}. */
    private final Path scratchDir;
    private final List<String> extraJvmOptions = new ArrayList<>();
    private Process process;
    private int starts;
    /** Where the log of the newest run starts: its "running" line is looked for from here. */
    private long launchLogOffset;

    NodeProcess(final int nodeId, final Path configFile, final Path logFile, final Path aeronDir, final Path dataDir,
        final NodeBinaries binaries)
    {
        this.dataDir = dataDir;
        this.nodeId = nodeId;
        this.configFile = configFile;
        this.logFile = logFile;
        this.aeronDir = aeronDir;
        this.binaries = binaries;
        this.scratchDir = logFile.resolveSibling("node-" + nodeId + "-tmp");
    }

    public int nodeId()
    {
        return nodeId;
    }

    public Path logFile()
    {
        return logFile;
    }

    public Path configFile()
    {
        return configFile;
    }

    public Path dataDir()
    {
        return dataDir;
    }

    public Path aeronDir()
    {
        return aeronDir;
    }

    /**
     * The directory the harness gives the node JVM as {@code java.io.tmpdir}, standing in for /tmp: the node replaces it
     * with its own scratch directory under its data directory, so nothing should appear here.
     */
    public Path jvmTempDir()
    {
        return scratchDir;
    }

    public boolean isRunning()
    {
        return null != process && process.isAlive();
    }

    /** The exit code of a node that has exited (by itself or stopped); fails while it runs or before any start. */
    public int exitCode()
    {
        if (null == process || process.isAlive())
        {
            throw new IllegalStateException("node " + nodeId + " has not exited");
        }
        return process.exitValue();
    }

    public long pid()
    {
        return null == process ? -1 : process.pid();
    }

    /** A JVM option (e.g. a test-only {@code -D}) for every later {@link #start()} of this node. */
    public void addJvmOption(final String option)
    {
        extraJvmOptions.add(option);
    }

    /** Starts the node and waits for its "running" line; fails with the tail of its log if it exits or hangs. */
    public void start()
    {
        launch();
        awaitRunning();
    }

    /**
     * Starts the node's process without waiting for it: {@link #awaitRunning()} waits. A cluster starts all its
     * nodes this way, then waits for each, so the JVMs start side by side rather than one after another.
     */
    void launch()
    {
        if (isRunning())
        {
            throw new IllegalStateException("node " + nodeId + " is already running (pid " + process.pid() + ")");
        }
        final String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final List<String> command = new ArrayList<>(List.of(
            javaBin,
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens", "java.base/java.nio=ALL-UNNAMED",
            "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
            "-Xmx512m",
            "-XX:+UseSerialGC",
            // C1 only: a test's node lives seconds and carries little load, and C2's compile bursts at start took
            // about a third of the suite's CPU on 2 cores (ReplicationSystemTest 58 s -> 46 s, FailoverSystemTest
            // 150 s -> 106 s). Only the test harness does this; logshipd and the benchmarks run the full JIT.
            "-XX:TieredStopAtLevel=1",
            // Stands in for /tmp, under the test's directory, which the harness removes. logshipd replaces it with
            // <data>/tmp (NodeScratch) for the native library the store unpacks; a test checks nothing lands here.
            "-Djava.io.tmpdir=" + scratchDir,
            // A JVM crash report goes there too, not into the working directory of the build.
            "-XX:ErrorFile=" + scratchDir.resolve("hs_err_pid%p.log"),
            "-cp", binaries.classPath(),
            "io.logship.node.NodeDaemon",
            "--config", configFile.toString()));
        command.addAll(command.indexOf("-cp"), extraJvmOptions);
        final ClassDataArchive archive = ClassDataArchive.forProgram("logshipd", binaries.classPath());
        final ClassDataArchive.Launch launch = null == archive ? null : archive.nextLaunch();
        if (null != launch)
        {
            command.addAll(command.indexOf("-cp"), launch.jvmOptions());
        }
        try
        {
            Files.createDirectories(scratchDir);
            launchLogOffset = Files.exists(logFile) ? Files.size(logFile) : 0;
            Files.writeString(logFile, "=== harness: start #" + (++starts) + " of node " + nodeId + ": " +
                String.join(" ", command) + System.lineSeparator(), StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .start();
            if (null != launch)
            {
                archive.launched(launch, process);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot start node " + nodeId, ex);
        }
    }

    /** Waits for the "running" line of the run {@link #launch()} started; fails if it exits first or hangs. */
    void awaitRunning()
    {
        final String running = "logshipd: node " + nodeId + " running";
        final long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (true)
        {
            if (readLogFrom(launchLogOffset).contains(running))
            {
                return;
            }
            if (!process.isAlive())
            {
                throw new AssertionError("node " + nodeId + " exited with code " + process.exitValue() +
                    " before it was running; log " + logFile + ":\n" + tail(40));
            }
            if (System.nanoTime() > deadline)
            {
                threadDump();
                throw new AssertionError("node " + nodeId + " did not print '" + running + "' within " + START_TIMEOUT +
                    "; log " + logFile + ":\n" + tail(40));
            }
            Poll.pause();
        }
    }

    /**
     * Sends SIGTERM without waiting; {@link #stop()} then waits. A cluster's close signals every node first, so their
     * clean stops (a store's final commit takes seconds after a large test) overlap instead of adding up.
     */
    public void signalStop()
    {
        if (null != process && process.isAlive())
        {
            process.destroy();
        }
    }

    /** SIGTERM, wait for a clean exit (code 0 expected), SIGKILL after the stop timeout. Returns the exit code. */
    public int stop()
    {
        if (null == process)
        {
            return -1;
        }
        if (!process.isAlive())
        {
            return process.exitValue();
        }
        process.destroy();
        try
        {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
            {
                threadDump();
                process.destroyForcibly();
                process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                deleteLeftovers();
                throw new AssertionError("node " + nodeId + " did not stop within " + STOP_TIMEOUT +
                    " of SIGTERM; killed it. Log " + logFile);
            }
        }
        catch (final InterruptedException ex)
        {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while stopping node " + nodeId, ex);
        }
        final int code = process.exitValue();
        deleteLeftovers(); // the node removes it on a clean stop; this covers an unclean one
        return code;
    }

    /**
     * Whether the last stop was clean: the JVM exited with 0, or with 143 (128 + SIGTERM: what the JVM reports when a
     * signal started its shutdown, even though the node's own clean stop ran), and the store's clean-shutdown marker
     * exists. (The node's "stopped" line and its shutdown log lines are not reliable evidence: the JVM may halt, and
     * java.util.logging is reset, before they are written.) A store kept in memory ({@code logship.node.store=memory})
     * writes no marker: there the exit code is the evidence.
     */
    public boolean stoppedCleanly()
    {
        if (null == process || process.isAlive())
        {
            return false;
        }
        final int code = process.exitValue();
        return (code == 0 || code == 143) &&
            (storeInMemory() || Files.exists(dataDir.resolve("store").resolve("clean-shutdown")));
    }

    private boolean storeInMemory()
    {
        try
        {
            return Files.readAllLines(configFile, StandardCharsets.UTF_8).stream()
                .anyMatch((line) -> line.replace(" ", "").equals("logship.node.store=memory"));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read " + configFile, ex);
        }
    }

    /** SIGKILL (no shutdown hooks, no flush), wait for the process to be gone, remove its Aeron directory. */
    public void kill9()
    {
        if (null == process || !process.isAlive())
        {
            throw new IllegalStateException("node " + nodeId + " is not running");
        }
        process.destroyForcibly();
        try
        {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
            {
                throw new AssertionError("node " + nodeId + " (pid " + process.pid() + ") survived SIGKILL");
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while killing node " + nodeId, ex);
        }
        appendHarnessLine("killed with SIGKILL");
        deleteLeftovers();
    }

    /** A clean stop (asserting it was clean, see {@link #stoppedCleanly()}) followed by a start. */
    public void restart()
    {
        stopCleanly();
        start();
    }

    /** SIGTERM and assert the node stopped cleanly. */
    public void stopCleanly()
    {
        final int code = stop();
        if (!stoppedCleanly())
        {
            throw new AssertionError("node " + nodeId + " did not stop cleanly after SIGTERM (exit code " + code +
                "); log " + logFile + ":\n" + tail(40));
        }
    }

    /**
     * The running node's threads by name (the kernel's, at most 15 characters) and the scheduler slice Linux reports for
     * each ({@code se.slice} in {@code /proc/PID/task/TID/sched}, ns): docs/DESIGN.md#thread-slice.
     */
    public Map<String, Long> schedulerSlices()
    {
        final Map<String, Long> slices = new TreeMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(process.pid()), "task")))
        {
            for (final Path task : tasks.toList())
            {
                try
                {
                    final String name = Files.readString(task.resolve("comm")).strip();
                    Files.readAllLines(task.resolve("sched")).stream().filter(line -> line.startsWith("se.slice"))
                        .findFirst().ifPresent(line ->
                            slices.put(name, Long.parseLong(line.substring(line.indexOf(':') + 1).strip())));
                }
                catch (final IOException ex)
                {
                    // The thread ended while we looked.
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot list node " + nodeId + "'s threads", ex);
        }
        return slices;
    }

    /**
     * Sends the running node a signal with {@code kill -NAME} (e.g. {@code STOP} and {@code CONT} to freeze and resume
     * it) and fails unless {@code kill} exits 0 within 10 s.
     */
    public void signal(final String name)
    {
        if (!isRunning())
        {
            throw new IllegalStateException("node " + nodeId + " is not running");
        }
        try
        {
            final Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
            if (!kill.waitFor(10, TimeUnit.SECONDS))
            {
                kill.destroyForcibly();
                throw new AssertionError("kill -" + name + " " + process.pid() + " did not exit within 10 s");
            }
            if (kill.exitValue() != 0)
            {
                throw new AssertionError("kill -" + name + " " + process.pid() + " exited " + kill.exitValue());
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot run kill -" + name + " for node " + nodeId, ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while sending " + name + " to node " + nodeId, ex);
        }
        appendHarnessLine("sent SIG" + name);
    }

    /** Asks the JVM for a thread dump (SIGQUIT: it goes to the node's log). Best effort. */
    public void threadDump()
    {
        if (!isRunning())
        {
            return;
        }
        try
        {
            final long from = Files.size(logFile);
            appendHarnessLine("thread dump requested (SIGQUIT to pid " + process.pid() + ")");
            final Process kill = new ProcessBuilder("kill", "-3", Long.toString(process.pid())).start();
            kill.waitFor(5, TimeUnit.SECONDS);
            // The target JVM writes the dump asynchronously; give it a moment to land in the log.
            final long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (System.nanoTime() < until && !readLogFrom(from).contains("Full thread dump"))
            {
                Poll.pause();
            }
        }
        catch (final IOException ex)
        {
            appendHarnessLine("thread dump failed: " + ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    /** The last lines of this node's log. */
    public String tail(final int lines)
    {
        final List<String> all = logLines();
        return String.join(System.lineSeparator(), all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    /** A node log line's timestamp (log4j2.xml: {@code yyyy-MM-dd HH:mm:ss.SSS} first; the machine's clock). */
    public static LocalDateTime logTime(final String line)
    {
        return LocalDateTime.parse(line.substring(0, 23), LOG_TIME);
    }

    public List<String> logLines()
    {
        try
        {
            if (!Files.exists(logFile))
            {
                return List.of();
            }
            return List.of(new String(Files.readAllBytes(logFile), StandardCharsets.UTF_8).split("\\R"));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** Whether the node's log holds this text. */
    public boolean logContains(final String text)
    {
        return readLogFrom(0).contains(text);
    }

    /**
     * Removes what a node that is gone leaves outside the test's directory: its Aeron directory (a killed driver
     * does not delete it) and the JVM's attach socket {@code /tmp/.java_pid<pid>} (HotSpot puts it in /tmp whatever
     * java.io.tmpdir says, and only a normal exit removes it; {@code jcmd} against the node creates it).
     */
    void deleteLeftovers()
    {
        if (null != process && !process.isAlive())
        {
            try
            {
                Files.deleteIfExists(Path.of("/tmp", ".java_pid" + process.pid()));
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("cannot delete the attach socket of node " + nodeId, ex);
            }
        }
        if (Files.exists(aeronDir))
        {
            try (Stream<Path> paths = Files.walk(aeronDir))
            {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("cannot delete " + aeronDir, ex);
            }
        }
    }

    private void appendHarnessLine(final String line)
    {
        try
        {
            Files.writeString(logFile, "=== harness: node " + nodeId + " " + line + System.lineSeparator(),
                StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private String readLogFrom(final long offset)
    {
        try
        {
            final byte[] bytes = Files.readAllBytes(logFile);
            final int from = (int)Math.min(offset, bytes.length);
            return new String(bytes, from, bytes.length - from, StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    @Override
    public String toString()
    {
        return "node " + nodeId + (isRunning() ? " (pid " + process.pid() + ")" : " (not running)");
    }
}
