package io.logship.node;

import io.logship.LogshipException;
import org.agrona.concurrent.ShutdownSignalBarrier;

import java.nio.file.Path;

/**
 * {@code logshipd --config FILE}: runs one node in the foreground, logging to stdout, until SIGTERM
 * or SIGINT, then stops cleanly (see {@link Node#close()}) and prints {@code logshipd: node N stopped
 * cleanly}. Exit codes: 143 (SIGTERM) or 130 (SIGINT) after that clean stop — the JVM's status for a
 * signal it handled, listed as success in dist/logshipd.service —, 2 for a bad command line or
 * configuration, 1 if the node cannot start (e.g. a corrupt log, named in the message).
 */
public final class NodeDaemon
{
    private NodeDaemon()
    {
    }

    public static void main(final String[] args)
    {
        if (null == System.getProperty("java.util.logging.SimpleFormatter.format"))
        {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tF %1$tT.%1$tL %4$s %5$s%6$s%n");
        }
        if (args.length != 2 || !"--config".equals(args[0]))
        {
            System.err.println("usage: logshipd --config FILE");
            System.exit(2);
        }
        final NodeConfig config;
        try
        {
            config = NodeConfig.load(Path.of(args[1]));
        }
        catch (final LogshipException ex)
        {
            System.err.println("logshipd: " + ex.getMessage());
            System.exit(2);
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
            System.out.println("logshipd: node " + config.nodeId() + " running on " + config.self() +
                " (data " + config.dataDirectory() + ")");
            System.out.flush();
            barrier.await();
            node.close();
        }
    }
}
