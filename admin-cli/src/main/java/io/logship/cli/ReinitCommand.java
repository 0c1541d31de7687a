package io.logship.cli;

import io.logship.client.LogshipClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.Reader;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;

/**
 * {@code logship reinit ID}: for a follower that refuses to start (a log damaged beyond repair), moves its log, store
 * and snapshots aside so that it resyncs from the leader on its next start, after checking that this cannot lose a
 * committed write or let it vote twice (docs/DESIGN.md#reinit).
 */
@Command(name = "reinit", mixinStandardHelpOptions = true,
    description = {"Reinitialise the data of stopped node ID so that it resyncs from the leader on its next start " +
        "(for a node that refuses to start, e.g. a log damaged beyond repair).",
        "Refused for the current leader, unless the other nodes form a live majority with a leader (asked with " +
            "status), and while node ID runs (it answers status, or its data directory is locked).",
        "The log, store and snapshots are MOVED, not deleted, into DATA_DIR/reinit-<UTC time>/ (delete it once the " +
            "node has caught up); the election state file (node-state: epoch and vote) is KEPT, so the node never " +
            "votes twice in one epoch.",
        "Then start the node: it fetches the leader's log, or installs the leader's snapshot if the leader's log " +
            "no longer starts at 0; logship status shows its progress.",
        "Offline only: a running node is not reinitialised (stop it first).",
        "Exit codes: 0 done, 1 refused or failed (nothing moved), 2 usage."})
public final class ReinitCommand extends CliCommand implements Callable<Integer>
{
    static final String DATA_DIR_PROP = "logship.node.data.dir";
    static final String NODE_ID_PROP = "logship.node.id";

    @Mixin
    ClusterOptions cluster;

    @Parameters(index = "0", paramLabel = "ID", description = "The node to reinitialise.")
    int node;

    @Option(names = "--dir", paramLabel = "DATA_DIR",
        description = "The node's data directory. Default: logship.node.data.dir of --config, if that config is " +
            "node ID's.")
    Path dir;

    @Override
    public Integer call()
    {
        final ClusterOptions.Target target = cluster.resolve(StatusCommand.DEFAULT_TIMEOUT_MS);
        target.requireSecret("reinit");
        target.node(node);
        final Path dataDir = dataDirectory();
        if (!Files.isDirectory(dataDir.resolve(DataDirectory.LOG)) && !Files.isDirectory(dataDir.resolve(DataDirectory.STORE)))
        {
            throw new CliException(AdminCli.EXIT_FAILED, dataDir + " holds no log/ or store/: not node " + node +
                "'s data directory, or nothing to reinitialise");
        }
        checkCluster(target);
        try (FileChannel lockFile = openLock(dataDir); FileLock lock = lock(lockFile, dataDir))
        {
            final Path aside = dataDir.resolve("reinit-" +
                LocalDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")));
            Files.createDirectory(aside);
            final List<String> moved = new ArrayList<>();
            for (final String name : List.of(DataDirectory.LOG, DataDirectory.STORE, DataDirectory.SNAPSHOTS))
            {
                final Path from = dataDir.resolve(name);
                if (Files.exists(from))
                {
                    Files.move(from, aside.resolve(name));
                    moved.add(name + "/");
                }
            }
            println("node " + node + ": moved " + String.join(", ", moved) + " of " + dataDir + " into " + aside +
                " (not deleted: remove it once the node has caught up)");
            println("kept " + dataDir.resolve(DataDirectory.NODE_STATE) + " (epoch and vote: the node must never " +
                "vote twice in one epoch)");
            println("start node " + node + ": it resyncs from the leader; watch logship status");
        }
        catch (final IOException ex)
        {
            throw new CliException(AdminCli.EXIT_FAILED, "reinit of node " + node + " in " + dataDir + " failed: " + ex,
                ex);
        }
        return AdminCli.EXIT_OK;
    }

    /** --dir, else the data directory of --config when that config is node {@link #node}'s. */
    private Path dataDirectory()
    {
        if (null != dir)
        {
            return dir;
        }
        if (null == cluster.config)
        {
            throw usage("node " + node + "'s data directory is unknown: pass --dir DATA_DIR, or --config with node " +
                node + "'s config file");
        }
        final Properties properties = new Properties();
        try (Reader in = Files.newBufferedReader(cluster.config, StandardCharsets.UTF_8))
        {
            properties.load(in);
        }
        catch (final IOException ex)
        {
            throw usage("cannot read --config " + cluster.config + ": " + ex);
        }
        final String id = properties.getProperty(NODE_ID_PROP, "").trim();
        final String data = properties.getProperty(DATA_DIR_PROP, "").trim();
        if (!id.equals(Integer.toString(node)) || data.isEmpty())
        {
            throw usage("--config " + cluster.config + " is node " + (id.isEmpty() ? "?" : id) + "'s config, not node " +
                node + "'s (or names no " + DATA_DIR_PROP + "): pass --dir DATA_DIR");
        }
        return Path.of(data);
    }

    /**
     * Refuses unless the nodes other than {@link #node} form a live majority of the cluster, agree on a leader that
     * is not {@link #node}, and {@link #node} itself does not answer.
     */
    private void checkCluster(final ClusterOptions.Target target)
    {
        final List<StatusCommand.NodeReport> reports;
        try (LogshipClient client = target.connect())
        {
            reports = StatusCommand.collect(target, client);
        }
        final int clusterSize = target.nodes().size();
        final int majority = clusterSize / 2 + 1;
        int liveOthers = 0;
        int leader = -1;
        int followedLeader = -1;
        StatusCommand.NodeReport self = null;
        for (final StatusCommand.NodeReport report : reports)
        {
            if (!report.reachable())
            {
                continue;
            }
            if ("LEADER".equals(report.status().role()))
            {
                leader = report.status().nodeId();
            }
            if (report.status().nodeId() == node)
            {
                self = report;
            }
            else
            {
                liveOthers++;
                if (report.status().leaderId() == node)
                {
                    followedLeader = node;
                }
            }
        }
        if (leader == node || followedLeader == node)
        {
            throw new CliException(AdminCli.EXIT_FAILED, "node " + node + " is the current leader: never " +
                "reinitialise the leader (its log is the one the others follow); stop it so that another node is " +
                "elected, or demote it, then try again");
        }
        if (null != self)
        {
            throw new CliException(AdminCli.EXIT_FAILED, "node " + node + " is running (it answered status as " +
                self.status().role() + " in epoch " + self.status().epoch() + "): stop it first; reinit works on a " +
                "stopped node only");
        }
        if (liveOthers < majority || leader < 0)
        {
            throw new CliException(AdminCli.EXIT_FAILED, "refused: the other nodes must form a live majority with " +
                "a leader, so that the committed log survives elsewhere; " + liveOthers + " of " + clusterSize +
                " answered (a majority is " + majority + ")" + (leader < 0 ? " and none leads" : "") +
                ": " + target.describe());
        }
    }

    private static FileChannel openLock(final Path dataDir) throws IOException
    {
        final Path logDir = dataDir.resolve(DataDirectory.LOG);
        if (!Files.isDirectory(logDir))
        {
            return null;
        }
        return FileChannel.open(logDir.resolve(DataDirectory.LOG_LOCK), StandardOpenOption.CREATE,
            StandardOpenOption.WRITE);
    }

    /** The log directory's lock, as the node takes it: held while the directories move, so no node starts meanwhile. */
    private FileLock lock(final FileChannel lockFile, final Path dataDir) throws IOException
    {
        if (null == lockFile)
        {
            return null;
        }
        final FileLock lock;
        try
        {
            lock = lockFile.tryLock();
        }
        catch (final OverlappingFileLockException ex)
        {
            throw new CliException(AdminCli.EXIT_FAILED, dataDir + " is locked by this process");
        }
        if (null == lock)
        {
            throw new CliException(AdminCli.EXIT_FAILED, "node " + node + " is running: " +
                dataDir.resolve(DataDirectory.LOG).resolve(DataDirectory.LOG_LOCK) + " is locked by another " +
                "process; stop the node first (reinit works on a stopped node only)");
        }
        return lock;
    }
}
