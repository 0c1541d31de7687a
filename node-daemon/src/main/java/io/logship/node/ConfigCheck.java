package io.logship.node;

import io.logship.LogshipException;
import io.logship.transport.TransportException;
import io.logship.transport.auth.ClusterSecret;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What {@code logshipd --check-config} (the unit's ExecStartPre) and every start check beyond
 * {@link NodeConfig#load}: things in the file that are only wrong on this host. Each failure is a
 * {@link LogshipException} whose one-line message names the key or file and what is wrong, so that
 * {@link NodeDaemon} exits 2 with it (systemd's RestartPreventExitStatus=2: no restart loop). Stateless.
 */
final class ConfigCheck
{
    private ConfigCheck()
    {
    }

    /** Loads the file and runs every check. */
    static NodeConfig check(final Path file)
    {
        final NodeConfig config = NodeConfig.load(file);
        checkSecret(config);
        checkSelfAddress(config);
        checkDataDirectory(config);
        return config;
    }

    static void checkSecret(final NodeConfig config)
    {
        try
        {
            ClusterSecret.load(config.secretFile());
        }
        catch (final TransportException ex)
        {
            throw bad(config, NodeConfig.SECRET_FILE_PROP + "=" + config.secretFile() + ": " + ex.getMessage() +
                " (make one with: logship secret generate " + config.secretFile() + ")");
        }
    }

    /** The node binds its own entry of logship.cluster.nodes: it must be an address of this host. */
    static void checkSelfAddress(final NodeConfig config)
    {
        final NodeConfig.Member self = config.self();
        final String what = NodeConfig.CLUSTER_NODES_PROP + " entry " + self + " (this node, " +
            NodeConfig.NODE_ID_PROP + "=" + config.nodeId() + ")";
        final InetAddress address;
        try
        {
            address = InetAddress.getByName(self.host());
        }
        catch (final UnknownHostException ex)
        {
            throw bad(config, what + ": host " + self.host() + " does not resolve");
        }
        try
        {
            if (!address.isAnyLocalAddress() && !address.isLoopbackAddress() &&
                null == NetworkInterface.getByInetAddress(address))
            {
                throw bad(config, what + ": " + address.getHostAddress() + " is not an address of this host; " +
                    "each node's entry must name an address it can bind");
            }
        }
        catch (final SocketException ex)
        {
            throw bad(config, what + ": cannot list this host's addresses: " + ex.getMessage());
        }
    }

    /** The data dir must be a writable directory, or creatable under a writable existing parent. */
    static void checkDataDirectory(final NodeConfig config)
    {
        final Path dir = config.dataDirectory().toAbsolutePath();
        final String what = NodeConfig.DATA_DIR_PROP + "=" + config.dataDirectory();
        if (Files.exists(dir))
        {
            if (!Files.isDirectory(dir))
            {
                throw bad(config, what + " is not a directory");
            }
            if (!Files.isWritable(dir))
            {
                throw bad(config, what + " is not writable by user " + System.getProperty("user.name"));
            }
            return;
        }
        Path parent = dir.getParent();
        while (null != parent && !Files.exists(parent))
        {
            parent = parent.getParent();
        }
        if (null == parent || !Files.isDirectory(parent) || !Files.isWritable(parent))
        {
            throw bad(config, what + " does not exist and cannot be created: " + parent + " is not a writable " +
                "directory for user " + System.getProperty("user.name"));
        }
    }

    private static LogshipException bad(final NodeConfig config, final String message)
    {
        return new LogshipException(config.file() + ": " + message, LogshipException.Category.ERROR);
    }
}
