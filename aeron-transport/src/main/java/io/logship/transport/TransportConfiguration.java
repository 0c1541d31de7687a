package io.logship.transport;

import io.aeron.driver.ThreadingMode;
import io.logship.cluster.ClusterKeys;

import java.io.File;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Property names, defaults and stream ids of the transport. Every setting is read from a system
 * property {@code logship.transport.*}; {@link TransportContext} starts from these and can override
 * each one. Stream ids are fixed: every node and client of a cluster must agree on them.
 */
public final class TransportConfiguration
{
    /** Leader to follower: {@code AppendBatch}, {@code Heartbeat}. */
    public static final int REPLICATION_STREAM_ID = 1001;
    /** Follower to leader: {@code Ack}, {@code FetchFrom}. */
    public static final int REPLICATION_FEEDBACK_STREAM_ID = 1002;
    /** Peer to peer: votes and epoch-end queries. */
    public static final int ELECTION_STREAM_ID = 1003;
    /** Client to node: {@code Connect}, reads, writes, tails. */
    public static final int CLIENT_INGRESS_STREAM_ID = 1004;
    /** Node to client, on the client's response channel, unless the client names another in Connect. */
    public static final int CLIENT_EGRESS_STREAM_ID = 1005;
    /** Operator to node: status, promote, demote. */
    public static final int ADMIN_STREAM_ID = 1006;

    /**
     * The same key the node's config uses ({@link ClusterKeys#NODE_ID}): one key per concept, so a node id set
     * once cannot disagree between the node and its transport.
     */
    public static final String NODE_ID_PROP = ClusterKeys.NODE_ID;
    public static final int NODE_ID_DEFAULT = -1;

    public static final String ENDPOINT_HOST_PROP = "logship.transport.endpoint.host";
    public static final String ENDPOINT_HOST_DEFAULT = "127.0.0.1";

    public static final String ENDPOINT_PORT_PROP = "logship.transport.endpoint.port";
    /** 0: none; a node must set one, a client picks a free port for its response channel. */
    public static final int ENDPOINT_PORT_DEFAULT = 0;

    /** Default: {@code /dev/shm/logship-<nodeId>-<user>} (or under java.io.tmpdir without /dev/shm). */
    public static final String AERON_DIR_PROP = "logship.transport.aeron.dir";

    public static final String EMBEDDED_DRIVER_PROP = "logship.transport.embedded.driver";
    public static final boolean EMBEDDED_DRIVER_DEFAULT = true;

    public static final String THREADING_MODE_PROP = "logship.transport.threading.mode";
    /** SHARED: one driver thread. On 2 cores, more driver threads only compete with the node's own. */
    public static final ThreadingMode THREADING_MODE_DEFAULT = ThreadingMode.SHARED;

    /**
     * The media driver's idle strategy. Not the same concept as {@code logship.node.idle.strategy}, which is
     * how the node's conductor idles: the two threads are tuned separately (a busy-spinning driver beside a
     * backing-off conductor is a sensible pairing on a many-core host).
     */
    public static final String IDLE_STRATEGY_PROP = "logship.transport.idle.strategy";
    public static final IdleStrategyKind IDLE_STRATEGY_DEFAULT = IdleStrategyKind.BACKOFF;

    public static final String TERM_LENGTH_PROP = "logship.transport.term.length";
    /**
     * 8 MiB: a publication or image maps 3 terms, 24 MiB of sparse /dev/shm, and the largest message
     * is termLength / 8 = 1 MiB. Aeron caps any message at 16 MiB whatever the term length, so a
     * 16 MiB log batch can never travel as one message: {@code AppendBatch} carries it in chunks
     * (see {@link AppendBatchAssembler}). A bigger term only buys fewer chunks per large batch.
     */
    public static final int TERM_LENGTH_DEFAULT = 8 * 1024 * 1024;
    public static final int TERM_LENGTH_MIN = 64 * 1024;
    public static final int TERM_LENGTH_MAX = 1024 * 1024 * 1024;

    public static final String MTU_LENGTH_PROP = "logship.transport.mtu.length";
    /** Aeron's default: fits a 1500-byte Ethernet frame after IP and UDP headers. */
    public static final int MTU_LENGTH_DEFAULT = 1408;
    public static final int MTU_LENGTH_MIN = 64;
    public static final int MTU_LENGTH_MAX = 65504;
    /** What a valid {@link #MTU_LENGTH_PROP} is, for error messages. */
    public static final String MTU_LENGTH_EXPECTED =
        "a multiple of 32 in [" + MTU_LENGTH_MIN + ", " + MTU_LENGTH_MAX + "]";

    public static final String SOCKET_RCVBUF_PROP = "logship.transport.socket.rcvbuf";
    /**
     * A node's default (NodeConfig): 2 MiB, where Aeron's default is 128 KiB. A node reads everything on one UDP
     * socket: client writes and, from each peer, acks, votes and heartbeats, each stream with its own 128 KiB
     * flow-control window. Their windows add up past 128 KiB, and when a duty cycle ran long the kernel dropped
     * datagrams (4,360 in one 2-minute run at 10 k writes/s under fsync {@code always}, none with 2 MiB); a dropped
     * ack or heartbeat holds its stream until
     * Aeron's loss recovery fills the gap (perf/README.md, "Lost leases under fsync always"). The kernel caps the
     * request at {@code net.core.rmem_max}; Aeron warns on stderr when it does (raise it: dist/README.md). A client or
     * CLI context asks for nothing unless the property is set ({@link #socketRcvbufLength()} gives 0: Aeron's
     * default), so a stock kernel's 208 KiB cap does not put that warning on every CLI command.
     */
    public static final int SOCKET_RCVBUF_DEFAULT = 2 * 1024 * 1024;
    public static final int SOCKET_RCVBUF_MIN = 64 * 1024;
    public static final int SOCKET_RCVBUF_MAX = 1024 * 1024 * 1024;

    public static final String DRIVER_TIMEOUT_MS_PROP = "logship.transport.driver.timeout.ms";
    public static final long DRIVER_TIMEOUT_MS_DEFAULT = 10_000;

    public static final String PUBLICATION_CONNECTION_TIMEOUT_MS_PROP =
        "logship.transport.publication.connection.timeout.ms";
    public static final long PUBLICATION_CONNECTION_TIMEOUT_MS_DEFAULT = 5_000;

    public static final String IMAGE_LIVENESS_TIMEOUT_MS_PROP = "logship.transport.image.liveness.timeout.ms";
    public static final long IMAGE_LIVENESS_TIMEOUT_MS_DEFAULT = 10_000;

    public static final String PUBLICATION_RETRY_LIMIT_PROP = "logship.transport.publication.retry.limit";
    /** With the back-off idle strategy, 16 retries block the caller for at most about 2 ms. */
    public static final int PUBLICATION_RETRY_LIMIT_DEFAULT = 16;

    public static final String PUBLICATION_RETRY_IDLE_STRATEGY_PROP =
        "logship.transport.publication.retry.idle.strategy";
    public static final IdleStrategyKind PUBLICATION_RETRY_IDLE_STRATEGY_DEFAULT = IdleStrategyKind.BACKOFF;

    /** The node config's key ({@link ClusterKeys#SECRET_FILE}), for the same reason as {@link #NODE_ID_PROP}. */
    public static final String CLUSTER_SECRET_FILE_PROP = ClusterKeys.SECRET_FILE;

    public static final String AUTHENTICATE_REPLICATION_DATA_PROP =
        "logship.transport.authenticate.replication.data";
    /** On: see README.md, "Authentication", for the measured cost. */
    public static final boolean AUTHENTICATE_REPLICATION_DATA_DEFAULT = true;

    private TransportConfiguration()
    {
    }

    static int intProperty(final String name, final int defaultValue)
    {
        final long value = longProperty(name, defaultValue);
        if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE)
        {
            throw new TransportException(name + "=" + value + " does not fit an int", TransportException.Category.ERROR);
        }
        return (int)value;
    }

    static long longProperty(final String name, final long defaultValue)
    {
        final String value = System.getProperty(name);
        if (null == value)
        {
            return defaultValue;
        }
        try
        {
            return Long.parseLong(value.trim());
        }
        catch (final NumberFormatException ex)
        {
            throw new TransportException(name + "=" + value + " is not a number", TransportException.Category.ERROR, ex);
        }
    }

    public static int nodeId()
    {
        return intProperty(NODE_ID_PROP, NODE_ID_DEFAULT);
    }

    public static String endpointHost()
    {
        return System.getProperty(ENDPOINT_HOST_PROP, ENDPOINT_HOST_DEFAULT);
    }

    public static int endpointPort()
    {
        return intProperty(ENDPOINT_PORT_PROP, ENDPOINT_PORT_DEFAULT);
    }

    /** The configured aeron directory, or null to derive it from the node id. */
    public static String aeronDirectoryName()
    {
        return System.getProperty(AERON_DIR_PROP);
    }

    /** {@code /dev/shm/logship-<instance>-<user>}, or the same under java.io.tmpdir without /dev/shm. */
    public static String defaultAeronDirectoryName(final String instance)
    {
        final File shm = new File("/dev/shm");
        final String base = shm.isDirectory() ? shm.getPath() : System.getProperty("java.io.tmpdir");
        final String user = System.getProperty("user.name", "default").replaceAll("[^A-Za-z0-9_.-]", "_");
        return new File(base, "logship-" + instance + "-" + user).getPath();
    }

    public static boolean embeddedDriver()
    {
        return Boolean.parseBoolean(System.getProperty(EMBEDDED_DRIVER_PROP, Boolean.toString(EMBEDDED_DRIVER_DEFAULT)));
    }

    public static ThreadingMode threadingMode()
    {
        final String value = System.getProperty(THREADING_MODE_PROP);
        if (null == value)
        {
            return THREADING_MODE_DEFAULT;
        }
        try
        {
            return ThreadingMode.valueOf(value.trim().toUpperCase(Locale.ROOT));
        }
        catch (final IllegalArgumentException ex)
        {
            throw new TransportException(THREADING_MODE_PROP + "=" + value + " is not a threading mode: expected" +
                " one of SHARED, SHARED_NETWORK, DEDICATED, INVOKER", TransportException.Category.ERROR, ex);
        }
    }

    public static IdleStrategyKind idleStrategy()
    {
        final String value = System.getProperty(IDLE_STRATEGY_PROP);
        return null == value ? IDLE_STRATEGY_DEFAULT : IdleStrategyKind.parse(IDLE_STRATEGY_PROP, value);
    }

    public static int termLength()
    {
        return intProperty(TERM_LENGTH_PROP, TERM_LENGTH_DEFAULT);
    }

    /** Whether Aeron can send datagrams of at most {@code mtuLength} bytes ({@link #MTU_LENGTH_EXPECTED}). */
    public static boolean isValidMtuLength(final int mtuLength)
    {
        return mtuLength >= MTU_LENGTH_MIN && mtuLength <= MTU_LENGTH_MAX && (mtuLength & 31) == 0;
    }

    public static int mtuLength()
    {
        return intProperty(MTU_LENGTH_PROP, MTU_LENGTH_DEFAULT);
    }

    /** The system property, or 0 (Aeron's default) when unset: a node's config file sets its own default. */
    public static int socketRcvbufLength()
    {
        return intProperty(SOCKET_RCVBUF_PROP, 0);
    }

    public static long driverTimeoutMs()
    {
        return longProperty(DRIVER_TIMEOUT_MS_PROP, DRIVER_TIMEOUT_MS_DEFAULT);
    }

    public static long publicationConnectionTimeoutMs()
    {
        return longProperty(PUBLICATION_CONNECTION_TIMEOUT_MS_PROP, PUBLICATION_CONNECTION_TIMEOUT_MS_DEFAULT);
    }

    public static long imageLivenessTimeoutMs()
    {
        return longProperty(IMAGE_LIVENESS_TIMEOUT_MS_PROP, IMAGE_LIVENESS_TIMEOUT_MS_DEFAULT);
    }

    public static int publicationRetryLimit()
    {
        return intProperty(PUBLICATION_RETRY_LIMIT_PROP, PUBLICATION_RETRY_LIMIT_DEFAULT);
    }

    public static IdleStrategyKind publicationRetryIdleStrategy()
    {
        final String value = System.getProperty(PUBLICATION_RETRY_IDLE_STRATEGY_PROP);
        return null == value ?
            PUBLICATION_RETRY_IDLE_STRATEGY_DEFAULT : IdleStrategyKind.parse(PUBLICATION_RETRY_IDLE_STRATEGY_PROP, value);
    }

    /** The configured secret file, or null. */
    public static String clusterSecretFile()
    {
        return System.getProperty(CLUSTER_SECRET_FILE_PROP);
    }

    public static boolean authenticateReplicationData()
    {
        return Boolean.parseBoolean(System.getProperty(
            AUTHENTICATE_REPLICATION_DATA_PROP, Boolean.toString(AUTHENTICATE_REPLICATION_DATA_DEFAULT)));
    }
}
