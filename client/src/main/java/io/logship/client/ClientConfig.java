package io.logship.client;

import io.logship.LogshipException;
import io.logship.transport.IdleStrategyKind;
import io.logship.transport.TransportConfiguration;
import org.agrona.ErrorHandler;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Settings of one {@link LogshipClient}. Fluent setters; {@link #conclude()} runs once in
 * {@link LogshipClient#connect(ClientConfig)}, validates every value (naming the setting, the value and
 * what was expected) and derives the client id, response port and aeron directory. Not thread-safe; do
 * not change it after {@code connect}.
 */
public final class ClientConfig
{
    public static final long DEFAULT_REQUEST_TIMEOUT_MS = 5_000;
    public static final long DEFAULT_DEADLINE_MS = 30_000;
    public static final int DEFAULT_MAX_IN_FLIGHT = 1024;
    public static final long DEFAULT_CONNECT_TIMEOUT_MS = 1_000;
    public static final int DEFAULT_CONNECT_ATTEMPTS = 3;
    /**
     * 16 MiB terms give a 2 MiB maximum message, so a write of the largest key (1 KiB) and value (1 MiB)
     * fits one WriteRequest; the transport's 8 MiB default caps messages at exactly 1 MiB, too small.
     * The buffers are sparse files: only what is written uses memory.
     */
    public static final int DEFAULT_TERM_LENGTH = 16 * 1024 * 1024;
    /**
     * System property overriding the derived {@link #responseHost()} of every client in the JVM that does not set
     * one (e.g. {@code LOGSHIP_JAVA_OPTS=-Dlogship.client.response.host=10.0.0.9 logship status ...}).
     */
    public static final String RESPONSE_HOST_PROP = "logship.client.response.host";

    private boolean concluded;
    private final Map<Integer, InetSocketAddress> nodes = new TreeMap<>();
    private long clientId;
    private Path clusterSecretFile;
    private long requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS;
    private long deadlineMs = DEFAULT_DEADLINE_MS;
    private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
    private int maxBatchRecords = 256;
    private boolean retryTimedOutWrites;
    private int maxBatchBytes = 256 * 1024;
    private AckLevel defaultAckLevel = AckLevel.QUORUM;
    private String responseHost;
    private int responsePort;
    private String aeronDir;
    private IdleStrategyKind idleStrategy = IdleStrategyKind.BACKOFF;
    private boolean sharedThreading;
    private long connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS;
    private int connectAttempts = DEFAULT_CONNECT_ATTEMPTS;
    private int termLength = DEFAULT_TERM_LENGTH;
    private int mtuLength = TransportConfiguration.mtuLength();
    private ErrorHandler errorHandler;

    /**
     * Validates and derives: a random non-zero client id if none was set, a free UDP port if
     * {@code responsePort} is 0, and {@code /dev/shm/logship-client-<random>-<user>} (or under
     * java.io.tmpdir) if no aeron directory was set.
     *
     * @throws LogshipException naming the first bad setting.
     */
    public ClientConfig conclude()
    {
        if (concluded)
        {
            throw new LogshipException("ClientConfig already concluded", LogshipException.Category.ERROR);
        }
        if (nodes.isEmpty())
        {
            throw bad("nodes", "{}", "at least one node id -> host:port");
        }
        for (final Map.Entry<Integer, InetSocketAddress> node : nodes.entrySet())
        {
            final InetSocketAddress address = node.getValue();
            if (node.getKey() < 0)
            {
                throw bad("nodes", node.getKey(), "node ids >= 0");
            }
            if (null == address || address.getPort() <= 0 || null == address.getHostString())
            {
                throw bad("nodes[" + node.getKey() + "]", address, "a host and a UDP port in [1, 65535]");
            }
        }
        if (requestTimeoutMs <= 0 || requestTimeoutMs > Integer.MAX_VALUE)
        {
            throw bad("requestTimeoutMs", requestTimeoutMs, "a positive number of milliseconds");
        }
        if (deadlineMs < requestTimeoutMs)
        {
            throw bad("deadlineMs", deadlineMs, "at least requestTimeoutMs (" + requestTimeoutMs + ")");
        }
        if (maxBatchRecords < 1 || maxBatchRecords > 4096)
        {
            throw bad("maxBatchRecords", maxBatchRecords, "in [1, 4096]");
        }
        if (maxBatchBytes < 1024 || maxBatchBytes > 1024 * 1024)
        {
            throw bad("maxBatchBytes", maxBatchBytes, "in [1024, 1048576]");
        }
        if (maxInFlight < 1 || maxInFlight > 1 << 20)
        {
            throw bad("maxInFlight", maxInFlight, "in [1, 1048576]");
        }
        if (null == defaultAckLevel)
        {
            throw bad("defaultAckLevel", null, "LEADER, QUORUM or ALL");
        }
        if (null == responseHost)
        {
            final String property = System.getProperty(RESPONSE_HOST_PROP);
            responseHost = null != property ? property.trim() : routeSourceAddress(nodes.values().iterator().next());
        }
        if (responseHost.isBlank())
        {
            throw bad("responseHost", responseHost, "a host or IP address the nodes can send to");
        }
        if (responsePort < 0 || responsePort > 65535)
        {
            throw bad("responsePort", responsePort, "a UDP port in [1, 65535], or 0 for a free one");
        }
        if (null == idleStrategy)
        {
            throw bad("idleStrategy", null, "backoff, busy-spin, yield or sleep");
        }
        if (connectTimeoutMs <= 0)
        {
            throw bad("connectTimeoutMs", connectTimeoutMs, "a positive number of milliseconds");
        }
        if (connectAttempts < 1)
        {
            throw bad("connectAttempts", connectAttempts, "at least 1");
        }
        if (null != aeronDir && aeronDir.isBlank())
        {
            throw bad("aeronDir", aeronDir, "a directory path");
        }
        if (!TransportConfiguration.isValidMtuLength(mtuLength))
        {
            throw bad("mtuLength", mtuLength, TransportConfiguration.MTU_LENGTH_EXPECTED);
        }

        final SecureRandom random = new SecureRandom();
        while (0 == clientId)
        {
            clientId = random.nextLong();
        }
        if (null == aeronDir)
        {
            aeronDir = TransportConfiguration.defaultAeronDirectoryName(
                "client-" + Long.toHexString(random.nextLong() & Long.MAX_VALUE));
        }
        if (null == errorHandler)
        {
            errorHandler = Throwable::printStackTrace;
        }
        concluded = true;
        return this;
    }

    /**
     * The address this host sends from to reach {@code node}: what the kernel picks as the source address of that
     * route, found by connecting a UDP socket (connect sends nothing; it only selects the route). 127.0.0.1 for a
     * node on loopback, the address of the right interface for a node on another host: the address that node can
     * answer to.
     *
     * @throws LogshipException naming the node when its host does not resolve or has no route.
     */
    static String routeSourceAddress(final InetSocketAddress node)
    {
        final InetAddress target;
        try
        {
            target = InetAddress.getByName(node.getHostString());
        }
        catch (final UnknownHostException ex)
        {
            throw bad("responseHost", null, "an address derived from the route to " + node.getHostString() + ":" +
                node.getPort() + ", but that host does not resolve; set responseHost (or -D" + RESPONSE_HOST_PROP + ")");
        }
        try (DatagramSocket socket = new DatagramSocket())
        {
            socket.connect(new InetSocketAddress(target, node.getPort()));
            final InetAddress local = socket.getLocalAddress();
            if (null == local || local.isAnyLocalAddress())
            {
                throw bad("responseHost", local, "the source address of the route to " + target.getHostAddress() +
                    ", which the kernel did not report; set responseHost (or -D" + RESPONSE_HOST_PROP + ")");
            }
            return local.getHostAddress();
        }
        catch (final IOException ex)
        {
            throw bad("responseHost", null, "the source address of the route to " + target.getHostAddress() + ":" +
                node.getPort() + ", but there is none (" + ex.getMessage() + "); set responseHost (or -D" +
                RESPONSE_HOST_PROP + ")");
        }
    }

    public boolean isConcluded()
    {
        return concluded;
    }

    /** The cluster: node id to that node's UDP endpoint (host:port). */
    public Map<Integer, InetSocketAddress> nodes()
    {
        return Collections.unmodifiableMap(nodes);
    }

    /** Replaces the node list. */
    public ClientConfig nodes(final Map<Integer, InetSocketAddress> nodes)
    {
        this.nodes.clear();
        this.nodes.putAll(nodes);
        return this;
    }

    /** Adds (or replaces) one node. */
    public ClientConfig node(final int id, final String host, final int port)
    {
        nodes.put(id, InetSocketAddress.createUnresolved(host, port));
        return this;
    }

    /** The id the leader deduplicates retried writes by; random and non-zero unless set. */
    public long clientId()
    {
        return clientId;
    }

    /**
     * Set it only to resume a previous client's sequence space deliberately; two live clients with one id
     * would have their writes deduplicated against each other.
     */
    public ClientConfig clientId(final long clientId)
    {
        this.clientId = clientId;
        return this;
    }

    public Path clusterSecretFile()
    {
        return clusterSecretFile;
    }

    /** The cluster secret (mode 0600), needed only for admin calls: status, checksum, promote, demote. */
    public ClientConfig clusterSecretFile(final Path clusterSecretFile)
    {
        this.clusterSecretFile = clusterSecretFile;
        return this;
    }

    public long requestTimeoutMs()
    {
        return requestTimeoutMs;
    }

    /** How long one attempt at one node may take before the client gives up on it and retries. */
    public ClientConfig requestTimeoutMs(final long requestTimeoutMs)
    {
        this.requestTimeoutMs = requestTimeoutMs;
        return this;
    }

    public long deadlineMs()
    {
        return deadlineMs;
    }

    /** Total time a request may take across every retry; its future fails after it. */
    public ClientConfig deadlineMs(final long deadlineMs)
    {
        this.deadlineMs = deadlineMs;
        return this;
    }

    /**
     * When a node answers TIMEOUT (the ack level was not reached within the attempt), send the write again
     * (same sequence: the leader recognises it and waits for the ack level anew) until the deadline, instead
     * of failing it at once. For writers that must not give up during a slow disk or an election: the load
     * generator. Default false: the first TIMEOUT fails the write and says what was reached.
     */
    public ClientConfig retryTimedOutWrites(final boolean retry)
    {
        this.retryTimedOutWrites = retry;
        return this;
    }

    public boolean retryTimedOutWrites()
    {
        return retryTimedOutWrites;
    }

    /**
     * Client-side batching: writes with the same ack level that are queued when the client's thread
     * looks (it never waits to fill a batch: no linger) go out as one request of at most this many
     * records, answered once. 1 turns batching off. Default 256.
     */
    public ClientConfig maxBatchRecords(final int maxBatchRecords)
    {
        this.maxBatchRecords = maxBatchRecords;
        return this;
    }

    public int maxBatchRecords()
    {
        return maxBatchRecords;
    }

    /**
     * Upper bound on one batched request's records as the log stores them (keys, values and 26 bytes of record
     * header each), in bytes. Default 256 KiB.
     */
    public ClientConfig maxBatchBytes(final int maxBatchBytes)
    {
        this.maxBatchBytes = maxBatchBytes;
        return this;
    }

    public int maxBatchBytes()
    {
        return maxBatchBytes;
    }

    public int maxInFlight()
    {
        return maxInFlight;
    }

    /** Requests outstanding at once; beyond it callers block (see {@link LogshipClient}). */
    public ClientConfig maxInFlight(final int maxInFlight)
    {
        this.maxInFlight = maxInFlight;
        return this;
    }

    public AckLevel defaultAckLevel()
    {
        return defaultAckLevel;
    }

    public ClientConfig defaultAckLevel(final AckLevel defaultAckLevel)
    {
        this.defaultAckLevel = defaultAckLevel;
        return this;
    }

    public String responseHost()
    {
        return responseHost;
    }

    /**
     * Host the client's response endpoint binds and the nodes send their answers to. Default: the
     * {@value #RESPONSE_HOST_PROP} system property if set, else the source address of this host's route to the
     * first node (by id): 127.0.0.1 for a cluster on loopback, this host's address on the cluster's network for
     * one on other hosts. Set it when the nodes must answer to another address (NAT, several interfaces).
     */
    public ClientConfig responseHost(final String responseHost)
    {
        this.responseHost = responseHost;
        return this;
    }

    public int responsePort()
    {
        return responsePort;
    }

    /**
     * UDP port of the client's response endpoint. Default 0: the kernel picks a free one as the endpoint binds, and
     * the client names it to the nodes. A port picked earlier and bound later could be taken in between by any
     * process that opens an ephemeral port (every Aeron publication does); a CI run lost a client that way.
     */
    public ClientConfig responsePort(final int responsePort)
    {
        this.responsePort = responsePort;
        return this;
    }

    public String aeronDir()
    {
        return aeronDir;
    }

    /** Directory of the client's embedded media driver; removed on close. */
    public ClientConfig aeronDir(final String aeronDir)
    {
        this.aeronDir = aeronDir;
        return this;
    }

    public IdleStrategyKind idleStrategy()
    {
        return idleStrategy;
    }

    /** Idle strategy of the client conductor and the embedded driver (default backoff). */
    public ClientConfig idleStrategy(final IdleStrategyKind idleStrategy)
    {
        this.idleStrategy = idleStrategy;
        return this;
    }

    public boolean sharedThreading()
    {
        return sharedThreading;
    }

    /**
     * Whether the client's conductor thread also runs its embedded media driver and its Aeron client conductor
     * (Aeron's {@code INVOKER} mode), as a node with {@code logship.node.threading=shared} does: one thread instead
     * of three, so a request goes out and its answer comes in without waking another thread. Default false: the
     * driver gets a thread of its own. Pick true on a small host or for one request at a time, where each hand-off
     * between threads is a wake-up that costs tens of microseconds; keep the default when the application's
     * callbacks (they run on the conductor thread) may take long, since with true they also hold the network.
     * With true the conductor parks at most 50 µs for 5 ms after any work (see {@code ConductorIdleStrategy}), and
     * {@link #idleStrategy} no longer applies to it.
     */
    public ClientConfig sharedThreading(final boolean sharedThreading)
    {
        this.sharedThreading = sharedThreading;
        return this;
    }

    public long connectTimeoutMs()
    {
        return connectTimeoutMs;
    }

    /** How long to wait for a ConnectResponse before sending Connect again. */
    public ClientConfig connectTimeoutMs(final long connectTimeoutMs)
    {
        this.connectTimeoutMs = connectTimeoutMs;
        return this;
    }

    public int connectAttempts()
    {
        return connectAttempts;
    }

    /** Connects sent per round before a node counts as unreachable. */
    public ClientConfig connectAttempts(final int connectAttempts)
    {
        this.connectAttempts = connectAttempts;
        return this;
    }

    public int termLength()
    {
        return termLength;
    }

    /** Term length of the client's publications (bytes, a power of two): bounds the largest request. */
    public ClientConfig termLength(final int termLength)
    {
        this.termLength = termLength;
        return this;
    }

    public int mtuLength()
    {
        return mtuLength;
    }

    /**
     * The largest datagram the client's publications send (bytes, a multiple of 32). Default: the
     * {@code logship.transport.mtu.length} system property, else Aeron's 1,408, which fits a 1,500-byte Ethernet
     * frame. Set it to the cluster's own {@code logship.transport.mtu.length} when the client shares the nodes'
     * network: a batch of a few hundred small writes then leaves as one or two datagrams instead of 25, which
     * took a local cluster's quorum throughput from 313 k to 391 k writes/s (perf/README.md, "The client's MTU";
     * docs/DESIGN.md#mtu). Between hosts, above 1,408 only where every link carries jumbo frames.
     */
    public ClientConfig mtuLength(final int mtuLength)
    {
        this.mtuLength = mtuLength;
        return this;
    }

    public ErrorHandler errorHandler()
    {
        return errorHandler;
    }

    /** Receives driver errors, dropped-message reports and unexpected conductor errors (default: stderr). */
    public ClientConfig errorHandler(final ErrorHandler errorHandler)
    {
        this.errorHandler = errorHandler;
        return this;
    }

    @Override
    public String toString()
    {
        return "ClientConfig{nodes=" + nodes +
            ", clientId=" + clientId +
            ", clusterSecretFile=" + clusterSecretFile +
            ", requestTimeoutMs=" + requestTimeoutMs +
            ", deadlineMs=" + deadlineMs +
            ", maxInFlight=" + maxInFlight +
            ", defaultAckLevel=" + defaultAckLevel +
            ", response=" + responseHost + ":" + responsePort +
            ", aeronDir=" + aeronDir +
            ", idleStrategy=" + idleStrategy +
            ", sharedThreading=" + sharedThreading +
            ", connectTimeoutMs=" + connectTimeoutMs +
            ", connectAttempts=" + connectAttempts +
            ", termLength=" + termLength +
            ", mtuLength=" + mtuLength + '}';
    }

    private static LogshipException bad(final String setting, final Object value, final String expected)
    {
        return new LogshipException("ClientConfig." + setting + "=" + value + " is invalid: expected " + expected,
            LogshipException.Category.ERROR);
    }
}
