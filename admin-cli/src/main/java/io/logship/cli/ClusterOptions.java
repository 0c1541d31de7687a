package io.logship.cli;

import io.logship.LogshipException;
import io.logship.cluster.ClusterKeys;
import io.logship.cluster.MemberList;

import io.logship.client.ClientConfig;
import io.logship.client.LogshipClient;
import io.logship.client.LogshipClientException;
import io.logship.transport.TransportConfiguration;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.Reader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The cluster selection every networked command takes (a picocli mixin): {@code --config FILE} (a node
 * config file: its {@code logship.cluster.nodes} and {@code logship.cluster.secret.file}) or
 * {@code --cluster host:port,...} (entries may be {@code id@host:port}), {@code --secret-file} and
 * {@code --timeout-ms} and {@code --response-host} (where the nodes answer; derived from the route to the cluster
 * unless given). {@link #resolve} turns them into a {@link Target}; plain {@code host:port} entries
 * get their node id by asking the node (see {@link #discoverId}).
 */
public final class ClusterOptions
{
    static final String NODES_PROP = ClusterKeys.CLUSTER_NODES;
    static final String SECRET_FILE_PROP = ClusterKeys.SECRET_FILE;

    /** Ids used while discovering: above every id a node config accepts (1..1,000,000), so never real. */
    private static final int PROVISIONAL_ID_BASE = 1_000_001;

    @Option(names = "--config", paramLabel = "FILE",
        description = "A node config file: the cluster's nodes (logship.cluster.nodes) and secret " +
            "(logship.cluster.secret.file) are read from it.")
    Path config;

    @Option(names = "--cluster", paramLabel = "NODES",
        description = "Comma-separated node addresses, host:port or id@host:port (plain host:port: the id is " +
            "asked from the node).")
    String cluster;

    @Option(names = "--secret-file", paramLabel = "FILE",
        description = "The cluster secret (mode 0600), for admin calls (status, verify, promote, demote) with " +
            "--cluster; overrides the one named by --config.")
    Path secretFile;

    @Option(names = "--timeout-ms", paramLabel = "MS",
        description = "How long to wait for the cluster (per request, across retries). Default: 2000 for " +
            "status, verify, promote and demote; 10000 for put, delete, get, tail and member add|promote|remove; " +
            "30000 for load; 120000 for member replace (there it bounds the new node's catch-up).")
    Long timeoutMs;

    @Option(names = "--response-host", paramLabel = "HOST",
        description = "Address the nodes send their answers to (this host's). Default: the " +
            ClientConfig.RESPONSE_HOST_PROP + " system property if set, else the source address of this host's " +
            "route to the first node (127.0.0.1 for a cluster on loopback).")
    String responseHost;

    /** Whether --config or --cluster was given at all. */
    boolean isGiven()
    {
        return null != config || null != cluster;
    }

    /** One configured node: its id (null while unknown: a plain host:port that never answered) and address. */
    record Node(Integer id, String host, int port)
    {
        String address()
        {
            return host + ":" + port;
        }
    }

    /**
     * The resolved cluster. {@code nodes} in configured order; {@code secretFile} may be null; {@code responseHost}
     * null derives it (see {@link ClientConfig#responseHost(String)}); {@code mtuLength} 0 leaves the client's
     * default ({@link ClientConfig#mtuLength(int)}).
     */
    record Target(List<Node> nodes, Path secretFile, long timeoutMs, String responseHost, int mtuLength)
    {
        Target(final List<Node> nodes, final Path secretFile, final long timeoutMs)
        {
            this(nodes, secretFile, timeoutMs, null, 0);
        }

        /** Nodes with a known id, by id. */
        Map<Integer, InetSocketAddress> knownNodes()
        {
            final Map<Integer, InetSocketAddress> known = new TreeMap<>();
            for (final Node node : nodes)
            {
                if (null != node.id())
                {
                    known.put(node.id(), InetSocketAddress.createUnresolved(node.host(), node.port()));
                }
            }
            return known;
        }

        Node node(final int id)
        {
            for (final Node node : nodes)
            {
                if (null != node.id() && node.id() == id)
                {
                    return node;
                }
            }
            throw new CliException(2, "node " + id + " is not in the cluster " + describe());
        }

        String describe()
        {
            final List<String> parts = new ArrayList<>();
            for (final Node node : nodes)
            {
                parts.add((null == node.id() ? "?" : node.id().toString()) + "@" + node.address());
            }
            return String.join(",", parts);
        }

        /** A client for the nodes with known ids; admin calls need {@code secretFile}. */
        LogshipClient connect()
        {
            return connect(ClientConfig.DEFAULT_MAX_IN_FLIGHT);
        }

        LogshipClient connect(final int maxInFlight)
        {
            return connect(maxInFlight, timeoutMs);
        }

        /**
         * A client whose attempts time out after {@code attemptTimeoutMs} (within the command's timeout): over
         * UDP an unanswered attempt is the only sign that a node died, so a long-running command (load) uses
         * short attempts to move on to the new leader soon after a failover.
         */
        LogshipClient connect(final int maxInFlight, final long attemptTimeoutMs)
        {
            return connect(maxInFlight, attemptTimeoutMs, false);
        }

        /** The same, with the client's media driver run on its conductor thread when {@code sharedThreading}. */
        LogshipClient connect(final int maxInFlight, final long attemptTimeoutMs, final boolean sharedThreading)
        {
            final Map<Integer, InetSocketAddress> known = knownNodes();
            if (known.isEmpty())
            {
                throw new CliException(1, "no node of " + describe() + " answered within " + timeoutMs + " ms");
            }
            final boolean shortAttempts = attemptTimeoutMs < timeoutMs;
            final ClientConfig config = clientConfig(known, secretFile, timeoutMs, responseHost);
            if (0 != mtuLength)
            {
                config.mtuLength(mtuLength);
            }
            return LogshipClient.connect(config.maxInFlight(maxInFlight)
                .requestTimeoutMs(Math.min(timeoutMs, attemptTimeoutMs))
                .retryTimedOutWrites(shortAttempts) // short attempts must not turn a slow fsync into a failure
                .sharedThreading(sharedThreading));
        }

        void requireSecret(final String command)
        {
            if (null == secretFile)
            {
                throw new CliException(2, command + " is an admin call and needs the cluster secret: pass " +
                    "--secret-file FILE, or --config FILE naming logship.cluster.secret.file");
            }
        }
    }

    /** Resolves the options; {@code defaultTimeoutMs} applies when --timeout-ms is not given. */
    Target resolve(final long defaultTimeoutMs)
    {
        final long timeout = null == timeoutMs ? defaultTimeoutMs : timeoutMs;
        if (timeout < 100 || timeout > TimeUnit.HOURS.toMillis(1))
        {
            throw new CliException(2, "--timeout-ms=" + timeout + " is invalid: expected 100 to 3600000 ms");
        }
        if (null != config && null != cluster)
        {
            throw new CliException(2, "--config and --cluster are exclusive: pass one of them");
        }
        final List<Node> nodes;
        Path secret = secretFile;
        int mtuLength = 0;
        if (null != config)
        {
            final Properties properties = new Properties();
            try (Reader in = Files.newBufferedReader(config, StandardCharsets.UTF_8))
            {
                properties.load(in);
            }
            catch (final IOException ex)
            {
                throw new CliException(2, "cannot read --config " + config + ": " + ex);
            }
            final String value = properties.getProperty(NODES_PROP);
            if (null == value || value.isBlank())
            {
                throw new CliException(2, "--config " + config + " has no " + NODES_PROP);
            }
            nodes = parse(value, config + ": " + NODES_PROP);
            if (null == secret && null != properties.getProperty(SECRET_FILE_PROP))
            {
                secret = Path.of(properties.getProperty(SECRET_FILE_PROP).trim());
            }
            mtuLength = configuredMtuLength(properties);
        }
        else if (null != cluster)
        {
            nodes = parse(cluster, "--cluster");
        }
        else
        {
            throw new CliException(2, "no cluster given: pass --config FILE (a node config) or --cluster " +
                "host:port,host:port");
        }
        if (null != responseHost && responseHost.isBlank())
        {
            throw new CliException(2, "--response-host is empty: expected this host's address the nodes can reach");
        }
        return new Target(discover(nodes, timeout, responseHost), secret, timeout, responseHost, mtuLength);
    }

    /**
     * The MTU of the nodes' config, for this command's client too, unless the JVM names its own
     * ({@code -Dlogship.transport.mtu.length}): the nodes' MTU says what their network carries, and a client run
     * with their config is on that network. A local cluster's 32 KiB instead of 1,408 sends a client batch as
     * one or two datagrams rather than 25 (perf/README.md, "The client's MTU"). 0 when neither names one.
     */
    private int configuredMtuLength(final Properties properties)
    {
        final String value = properties.getProperty(TransportConfiguration.MTU_LENGTH_PROP);
        if (null == value || null != System.getProperty(TransportConfiguration.MTU_LENGTH_PROP))
        {
            return 0;
        }
        final int mtu;
        try
        {
            mtu = Integer.parseInt(value.trim());
        }
        catch (final NumberFormatException ex)
        {
            throw new CliException(2, "--config " + config + ": " + TransportConfiguration.MTU_LENGTH_PROP + "=" +
                value + " is not a number of bytes");
        }
        if (!TransportConfiguration.isValidMtuLength(mtu))
        {
            throw new CliException(2, "--config " + config + ": " + TransportConfiguration.MTU_LENGTH_PROP + "=" +
                value + " is invalid: expected " + TransportConfiguration.MTU_LENGTH_EXPECTED);
        }
        return mtu;
    }

    /** Parses {@code host:port} and {@code id@host:port} entries; {@code source} names where they came from. */
    static List<Node> parse(final String value, final String source)
    {
        final List<MemberList.Entry> entries;
        try
        {
            entries = MemberList.parse(value, source, false);
        }
        catch (final LogshipException ex)
        {
            throw new CliException(2, ex.getMessage());
        }
        final List<Node> nodes = new ArrayList<>(entries.size());
        for (final MemberList.Entry entry : entries)
        {
            nodes.add(new Node(entry.id(), entry.host(), entry.port()));
        }
        return nodes;
    }

    static ClientConfig clientConfig(
        final Map<Integer, InetSocketAddress> nodes, final Path secretFile, final long timeoutMs,
        final String responseHost)
    {
        // A Connect round is connectAttempts x connectTimeoutMs: keep it inside the timeout, so a node that is
        // down is reported as such before the command's own deadline.
        final long connectTimeoutMs = Math.max(50, Math.min(1000, timeoutMs / 4));
        final ClientConfig config = new ClientConfig();
        if (null != responseHost)
        {
            config.responseHost(responseHost);
        }
        return config
            .nodes(new LinkedHashMap<>(nodes))
            .clusterSecretFile(secretFile)
            .requestTimeoutMs(timeoutMs)
            .deadlineMs(timeoutMs)
            .connectTimeoutMs(connectTimeoutMs)
            .connectAttempts(3)
            .errorHandler(ClusterOptions::onClientError);
    }

    /** Client-side errors (driver warnings, unexpected replies) go to stderr only with LOGSHIP_DEBUG set. */
    static void onClientError(final Throwable error)
    {
        if (null != System.getenv("LOGSHIP_DEBUG"))
        {
            System.err.println("logship: client: " + error);
        }
    }

    /** Fills in the ids of plain host:port entries, in parallel; those that never answer keep a null id. */
    private static List<Node> discover(final List<Node> nodes, final long timeoutMs, final String responseHost)
    {
        final List<Integer> indexes = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++)
        {
            indexes.add(i);
        }
        return Parallel.map(indexes, (i) ->
        {
            final Node node = nodes.get(i);
            return null != node.id() ? node :
                new Node(discoverId(node, PROVISIONAL_ID_BASE + i, timeoutMs, responseHost), node.host(), node.port());
        });
    }

    /**
     * Asks one node for its id: a client that knows the address under an id no node can have sends
     * Connect; the node's ConnectResponse names its real id, which the client reports (and rejects) as
     * "not in the client's node list". The client API has no id discovery of its own.
     *
     * @return the node's id, or null if it did not answer within {@code timeoutMs}.
     */
    static Integer discoverId(final Node node, final int provisionalId, final long timeoutMs,
        final String responseHost)
    {
        final CompletableFuture<Integer> id = new CompletableFuture<>();
        final ClientConfig config = clientConfig(
            Map.of(provisionalId, InetSocketAddress.createUnresolved(node.host(), node.port())), null, timeoutMs,
            responseHost)
            .connectTimeoutMs(Math.max(50, Math.min(500, timeoutMs / 4)))
            .connectAttempts(Integer.MAX_VALUE)
            .errorHandler((error) ->
            {
                if (error instanceof LogshipClientException && error.getMessage().startsWith("ConnectResponse from") &&
                    ((LogshipClientException)error).nodeId() >= 0)
                {
                    id.complete(((LogshipClientException)error).nodeId());
                }
                else
                {
                    onClientError(error);
                }
            });
        try (LogshipClient ignored = LogshipClient.connect(config))
        {
            return id.get(timeoutMs, TimeUnit.MILLISECONDS);
        }
        catch (final java.util.concurrent.TimeoutException ex)
        {
            return null;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return null;
        }
        catch (final java.util.concurrent.ExecutionException ex)
        {
            return null;
        }
    }
}
