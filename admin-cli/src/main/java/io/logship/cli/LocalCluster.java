package io.logship.cli;

import io.logship.cluster.ClusterKeys;
import io.logship.transport.TransportConfiguration;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The files of a local cluster on 127.0.0.1: {@code DIR/node<i>.conf} (node i on UDP port
 * {@code basePort + i - 1}, data in {@code DIR/data/node<i>}) and {@code DIR/secret} (32 random bytes,
 * base64, mode 0600). Used by {@code logship local init} and {@code logship demo}.
 */
final class LocalCluster
{
    static final int DEFAULT_BASE_PORT = 7001;
    static final String HOST = "127.0.0.1";
    static final int SECRET_BYTES = 32;
    /**
     * The Aeron MTU of a local cluster's publications, written into each config: the nodes talk over loopback,
     * whose MTU is 64 KiB, so a 32 KiB datagram is never split into IP fragments, and an 8-32 KiB log batch
     * leaves as one datagram instead of 6-24 of the daemon's default 1,408 bytes (sized for a 1,500-byte Ethernet
     * frame between hosts). Measured with 3 nodes and the load on one 2-core host: about twice the quorum
     * throughput, latency at 10 k writes/s within the noise (perf/README.md, "The MTU of a local cluster";
     * docs/DESIGN.md#mtu). 64 KiB datagrams measured no better and spread wider.
     */
    static final int LOOPBACK_MTU_LENGTH = 32 * 1024;
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private LocalCluster()
    {
    }

    static Path configFile(final Path dir, final int nodeId)
    {
        return dir.resolve("node" + nodeId + ".conf");
    }

    static Path secretFile(final Path dir)
    {
        return dir.resolve("secret");
    }

    static Path dataDir(final Path dir, final int nodeId)
    {
        return dir.resolve("data").resolve("node" + nodeId);
    }

    static String members(final int nodes, final int basePort)
    {
        final List<String> members = new ArrayList<>();
        for (int i = 1; i <= nodes; i++)
        {
            members.add(i + "@" + HOST + ":" + (basePort + i - 1));
        }
        return String.join(",", members);
    }

    /**
     * Writes the configs and the secret.
     *
     * @return the config files written, node 1 first.
     * @throws CliException (exit 1) if a file exists and {@code force} is false, naming it.
     */
    static List<Path> write(final Path directory, final int nodes, final int basePort, final boolean force)
    {
        if (nodes < 1 || nodes > 99)
        {
            throw new CliException(AdminCli.EXIT_USAGE, "--nodes=" + nodes + " is invalid: expected 1 to 99");
        }
        if (basePort < 1 || basePort + nodes - 1 > 65535)
        {
            throw new CliException(AdminCli.EXIT_USAGE, "--base-port=" + basePort + " is invalid: ports " +
                basePort + ".." + (basePort + nodes - 1) + " must lie in [1, 65535]");
        }
        final Path dir = directory.toAbsolutePath().normalize();
        final List<Path> files = new ArrayList<>();
        for (int i = 1; i <= nodes; i++)
        {
            files.add(configFile(dir, i));
        }
        if (!force)
        {
            final List<Path> existing = new ArrayList<>();
            for (final Path file : files)
            {
                if (Files.exists(file))
                {
                    existing.add(file);
                }
            }
            if (Files.exists(secretFile(dir)))
            {
                existing.add(secretFile(dir));
            }
            if (!existing.isEmpty())
            {
                throw new CliException(AdminCli.EXIT_FAILED, "refusing to overwrite " + existing.get(0) +
                    (existing.size() > 1 ? " and " + (existing.size() - 1) + " more" : "") +
                    ": pass --force to replace the configs and the secret");
            }
        }
        try
        {
            Files.createDirectories(dir);
            writeSecret(secretFile(dir));
            final String members = members(nodes, basePort);
            for (int i = 1; i <= nodes; i++)
            {
                Files.createDirectories(dataDir(dir, i));
                final String config =
                    "# logship node " + i + " of a local " + nodes + "-node cluster, written by `logship local init`.\n" +
                    "# Start it with: bin/logshipd --config " + configFile(dir, i) + "\n" +
                    ClusterKeys.NODE_ID + "=" + i + "\n" +
                    ClusterKeys.CLUSTER_NODES + "=" + members + "\n" +
                    ClusterKeys.SECRET_FILE + "=" + secretFile(dir) + "\n" +
                    ClusterKeys.DATA_DIR + "=" + dataDir(dir, i) + "\n" +
                    "# Loopback carries 32 KiB datagrams whole: fewer datagrams per batch than the default 1408 (for\n" +
                    "# Ethernet between hosts). Copy this line to hosts only if every link carries jumbo frames.\n" +
                    TransportConfiguration.MTU_LENGTH_PROP + "=" + LOOPBACK_MTU_LENGTH + "\n";
                Files.writeString(configFile(dir, i), config, StandardCharsets.UTF_8);
            }
        }
        catch (final IOException ex)
        {
            throw new CliException(AdminCli.EXIT_FAILED, "cannot write the cluster files in " + dir + ": " + ex, ex);
        }
        return files;
    }

    /**
     * 32 random bytes, base64, in a file only its owner can read (created 0600, set again after writing).
     * Replaces an existing file: callers decide whether that is allowed. Also `logship secret generate`.
     */
    static void writeSecret(final Path file) throws IOException
    {
        final byte[] key = new byte[SECRET_BYTES];
        new SecureRandom().nextBytes(key);
        Files.deleteIfExists(file);
        try
        {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        }
        catch (final FileAlreadyExistsException ex)
        {
            throw new IOException("secret file " + file + " appeared while writing it", ex);
        }
        try (Writer writer = Files.newBufferedWriter(file, StandardCharsets.US_ASCII,
            StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING))
        {
            writer.write(Base64.getEncoder().encodeToString(key));
            writer.write('\n');
        }
        Files.setPosixFilePermissions(file, OWNER_ONLY);
    }

    /**
     * A base port with {@code count} consecutive free UDP ports on 127.0.0.1, probed by binding each. Another
     * process may still take one before the node binds it; the node then fails to start, naming the port.
     */
    static int freeBasePort(final int count)
    {
        final ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 200; attempt++)
        {
            final int base = 20_000 + random.nextInt(30_000);
            boolean free = true;
            for (int port = base; port < base + count && free; port++)
            {
                free = udpPortFree(port);
            }
            if (free)
            {
                return base;
            }
        }
        throw new UncheckedIOException(new IOException("no " + count + " consecutive free UDP ports found on " + HOST));
    }

    static boolean udpPortFree(final int port)
    {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(HOST), port)))
        {
            return socket.getLocalPort() == port;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }
}
