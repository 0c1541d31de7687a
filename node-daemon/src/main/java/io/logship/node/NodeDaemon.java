package io.logship.node;

import io.logship.LogshipException;
import org.agrona.concurrent.ShutdownSignalBarrier;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Properties;

/**
 * {@code logshipd --config FILE}: runs one node in the foreground, logging to stdout, until SIGTERM
 * or SIGINT, then stops cleanly (see {@link Node#close()}) and prints {@code logshipd: node N stopped
 * cleanly}. Under systemd ({@code Type=notify}) it sends READY=1 once the node has recovered its log and
 * runs (see {@link SystemdNotifier}). {@code logshipd --check-config --config FILE} runs every
 * configuration check ({@link ConfigCheck}: the file, the secret file, this node's address, the data dir)
 * and exits; {@code logshipd --version} prints the version. Exit codes: 0 for a good --check-config or
 * --version; 143 (SIGTERM) or 130 (SIGINT) after a clean stop — the JVM's status for a signal it handled,
 * listed as success in dist/systemd/logshipd.service —; 2 for a bad command line or configuration (one
 * line naming the key or file); 1 if the node cannot start (e.g. a corrupt log, named in the message).
 */
public final class NodeDaemon
{
    static final int EXIT_CONFIG = 2;
    static final String USAGE = "usage: logshipd --config FILE | logshipd --check-config --config FILE | logshipd --version";

    private NodeDaemon()
    {
    }

    public static void main(final String[] args)
    {
        if (null == System.getProperty("java.util.logging.SimpleFormatter.format"))
        {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tF %1$tT.%1$tL %4$s %5$s%6$s%n");
        }
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

        final Node node;
        try
        {
            node = Node.start(config);
        }
        catch (final LogshipException ex)
        {
            // Before the barrier exists: its shutdown hook would wait for a close that never comes.
            System.err.println("logshipd: " + ex.getMessage());
            System.exit(1);
            return;
        }
        try (ShutdownSignalBarrier barrier = new ShutdownSignalBarrier())
        {
            final String running = "node " + config.nodeId() + " running on " + config.self() +
                " (data " + config.dataDirectory() + ")";
            System.out.println("logshipd: " + running);
            System.out.flush();
            // Node.start returns once the log is recovered and the transport and duty threads run.
            final String notReady = SystemdNotifier.fromEnvironment().ready(running + ", " + node.role());
            if (null != notReady)
            {
                System.err.println("logshipd: cannot tell systemd the node is ready: " + notReady);
            }
            barrier.await();
            node.close();
        }
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
