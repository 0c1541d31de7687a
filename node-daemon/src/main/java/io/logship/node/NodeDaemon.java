package io.logship.node;

import io.logship.LogshipException;
import org.agrona.concurrent.ShutdownSignalBarrier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code logshipd --config FILE}: runs one node in the foreground, logging to stdout ({@link NodeLogging}), until SIGTERM
 * or SIGINT, then stops cleanly (see {@link Node#close()}) and logs {@code logshipd: node N stopped
 * cleanly}. Under systemd ({@code Type=notify}) it sends READY=1 once the node has recovered its log and joined
 * its cluster (leads, or follows a live leader), or after {@link #JOIN_WAIT_PROP} (10 s) without a leader (the first host
 * of a new cluster), with a STATUS= line saying which (see {@link SystemdNotifier}). SIGTERM on the leader first
 * hands leadership to the most caught-up follower (see {@link Node#close()}). {@code logshipd --check-config --config FILE} runs every
 * configuration check ({@link ConfigCheck}: the file, the secret file, this node's address, the data dir)
 * and exits; {@code logshipd --version} prints the version. Exit codes: 0 for a good --check-config or
 * --version; 143 (SIGTERM) or 130 (SIGINT) after a clean stop — the JVM's status for a signal it handled,
 * listed as success in dist/systemd/logshipd.service —; 2 for a bad command line or configuration (one
 * line naming the key or file); 1 if the node cannot start (e.g. a corrupt log, named in the message); 3 if it lost its
 * transport while running (its Aeron client was terminated, e.g. after the process was paused for longer than the
 * driver timeout): it halts at once, as a crash, and says so on stderr and in an ERROR line; 4 once the node
 * was removed from its cluster ({@code logship member remove}): it stops and says so on stderr and in an ERROR line.
 */
public final class NodeDaemon
{
    static final int EXIT_CONFIG = 2;
    /** The node lost its transport (its Aeron client was terminated) and halted (docs/DESIGN.md#transport-lost). */
    static final int EXIT_TRANSPORT_LOST = 3;
    /** The node was removed from its cluster by a committed configuration (docs/DESIGN.md#membership). */
    static final int EXIT_REMOVED = 4;
    /** JVM property (e.g. in LOGSHIP_JAVA_OPTS): how long READY=1 waits for the node to join a leader. */
    static final String JOIN_WAIT_PROP = "logship.node.ready.join.wait.ms";
    /**
     * Default of {@link #JOIN_WAIT_PROP}: 25 default election timeouts, so a node restarted into a running cluster
     * is joined well within it, while the first host of a new cluster is ready after 10 s.
     */
    static final long JOIN_WAIT_MS_DEFAULT = 10_000;
    static final String USAGE = "usage: logshipd --config FILE | logshipd --check-config --config FILE | logshipd --version";

    private NodeDaemon()
    {
    }

    public static void main(final String[] args)
    {
        NodeLogging.disableShutdownHook();
        if (args.length == 1 && "--version".equals(args[0]))
        {
            System.out.println("logshipd " + version());
            return;
        }
        final boolean checkOnly = args.length == 3 && "--check-config".equals(args[0]);
        final int configAt = checkOnly ? 1 : 0;
        if (!(args.length == 2 || checkOnly) || !"--config".equals(args[configAt]))
        {
            System.err.println(USAGE);
            System.exit(EXIT_CONFIG);
        }
        final NodeConfig config;
        try
        {
            config = ConfigCheck.check(Path.of(args[configAt + 1]));
        }
        catch (final LogshipException ex)
        {
            System.err.println("logshipd: " + ex.getMessage());
            System.exit(EXIT_CONFIG);
            return;
        }
        if (checkOnly)
        {
            System.out.println("logshipd: " + config.file() + " is valid (node " + config.nodeId() + " on " +
                config.self() + ", data " + config.dataDirectory() + ")");
            return;
        }

        // From here on, log lines (the node's and this class's) go through NodeLogging, in the configured format;
        // the lines above went to stdout/stderr directly, before the config said which format.
        NodeLogging.configure(config);
        final Logger logger = LoggerFactory.getLogger(NodeDaemon.class);
        try
        {
            final int removed = NodeScratch.prepare(config.dataDirectory());
            logger.info("logshipd: temporary files in {}{}", System.getProperty("java.io.tmpdir"),
                0 == removed ? "" : " (removed " + removed + " an earlier run left)");
        }
        catch (final IOException ex)
        {
            // Not a reason to refuse to start: the node runs as before, with temporary files where the JVM put them.
            logger.warn("logshipd: temporary files stay in {}: cannot prepare {}: {}",
                System.getProperty("java.io.tmpdir"), config.dataDirectory().resolve(NodeScratch.DIRECTORY),
                ex.toString());
        }
        final Node node;
        try
        {
            node = Node.start(config);
        }
        catch (final LogshipException ex)
        {
            // Before the barrier exists: its shutdown hook would wait for a close that never comes. The reason goes
            // to stderr as one line, like a config error; what the node logged while starting is drained first.
            NodeLogging.stop();
            System.err.println("logshipd: " + ex.getMessage());
            System.exit(1);
            return;
        }
        catch (final RuntimeException ex)
        {
            // Anything else that fails a start: the threads already started (the media driver's) would keep a JVM
            // with a dead main thread alive, a daemon that neither runs nor exits (seen with a port in use).
            logger.error("logshipd: node {} cannot start", config.nodeId(), ex);
            NodeLogging.stop();
            System.err.println("logshipd: " + Node.cannotStart(config, ex));
            System.exit(1);
            return;
        }
        final AtomicBoolean signalled = new AtomicBoolean();
        final String removal;
        try (ShutdownSignalBarrier barrier = new ShutdownSignalBarrier(() -> signalled.set(true)))
        {
            node.onRemoved(barrier::signal);
            final String running = "node " + config.nodeId() + " running on " + config.self() +
                " (data " + config.dataDirectory() + ", " + NodeConfig.THREADING_PROP + "=" +
                (config.sharedThreading() ? "shared" : "dedicated") + ", " + NodeConfig.JOURNAL_PROP + "=" +
                (config.journalOnConductor() ? "conductor" : "thread") + ", " + NodeConfig.STORE_PROP + "=" +
                config.storeMedium().name().toLowerCase() + ")";
            logger.info("logshipd: {}", running);
            // Node.start returns once the log is recovered and the transport and duty threads run.
            final SystemdNotifier notifier = SystemdNotifier.fromEnvironment();
            if (notifier.enabled())
            {
                final String status = awaitJoined(node, notifier, running, signalled, logger,
                    Long.getLong(JOIN_WAIT_PROP, JOIN_WAIT_MS_DEFAULT));
                // Stopped while waiting: systemd is stopping the start job, READY=1 would only confuse it.
                final String notReady = signalled.get() ? null : notifier.ready(status);
                if (null != notReady)
                {
                    logger.warn("logshipd: cannot tell systemd the node is ready: {}", notReady);
                }
            }
            barrier.await();
            removal = node.removal();
            node.close();
            // After the node's stop, whose lines must still reach stdout; before the barrier lets the JVM halt.
            NodeLogging.stop();
        }
        if (null != removal)
        {
            // After the barrier is closed: its shutdown hook would otherwise wait for it and hang the exit.
            System.err.println("logshipd: " + removal);
            System.exit(EXIT_REMOVED);
        }
    }

    /**
     * Waits until the node has joined its cluster ({@link Node#joined()}: it leads, or follows a live leader), at
     * most {@code waitMs}, and returns the STATUS= text for READY=1. The bound is for the first host of a new
     * cluster, which can elect no leader alone: it is ready after the wait, saying it has no leader yet, so
     * {@code systemctl enable --now} returns and the next host can be installed. Main thread, under systemd only.
     */
    static String awaitJoined(final Node node, final SystemdNotifier notifier, final String running,
        final AtomicBoolean signalled, final Logger logger, final long waitMs)
    {
        final long startNs = System.nanoTime();
        final long deadlineNs = startNs + TimeUnit.MILLISECONDS.toNanos(waitMs);
        boolean toldWaiting = false;
        while (!node.joined() && !signalled.get() && System.nanoTime() - deadlineNs < 0)
        {
            if (!toldWaiting)
            {
                toldWaiting = true;
                notifier.status(running + ", recovered; waiting up to " + waitMs + " ms to join a leader");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        if (node.joined())
        {
            return running + ", joined: " + node.role() + (node.role() == Role.LEADER ? "" : " of node " +
                node.leaderId()) + " in epoch " + node.epoch();
        }
        final String line = running + ", no leader after " +
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs) + " ms (a new cluster elects one once a " +
            "majority of its nodes runs); serving as " + node.role();
        logger.info("logshipd: {}", line);
        return line;
    }

    /** The release version, from the jar's Maven metadata; "development" when run from classes. */
    static String version()
    {
        try (InputStream in = NodeDaemon.class.getResourceAsStream(
            "/META-INF/maven/io.logship/node-daemon/pom.properties"))
        {
            if (null != in)
            {
                final Properties properties = new Properties();
                properties.load(in);
                return properties.getProperty("version", "development");
            }
        }
        catch (final IOException ex)
        {
            return "development";
        }
        return "development";
    }
}
