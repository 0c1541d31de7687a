package io.logship.transport;

import io.aeron.driver.ThreadingMode;
import io.logship.transport.auth.AuthenticationPolicy;
import io.logship.transport.auth.ClusterSecret;
import org.agrona.BitUtil;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;

/**
 * Settings of one {@link TransportNode}. Each field starts from {@link TransportConfiguration}'s
 * property reader and can be overridden with a fluent setter; {@link #conclude()} runs once, before
 * the node starts, validates every value (naming the setting, the value and what was expected),
 * derives the aeron directory and loads the cluster secret. Not thread-safe; immutable in practice
 * after {@code conclude()}.
 */
public final class TransportContext
{
    private boolean concluded;

    private int nodeId = TransportConfiguration.nodeId();
    private String endpointHost = TransportConfiguration.endpointHost();
    private int endpointPort = TransportConfiguration.endpointPort();
    private String aeronDirectoryName = TransportConfiguration.aeronDirectoryName();
    private boolean embeddedDriver = TransportConfiguration.embeddedDriver();
    private ThreadingMode threadingMode = TransportConfiguration.threadingMode();
    private boolean invokedByOwner;
    private IdleStrategyKind idleStrategy = TransportConfiguration.idleStrategy();
    private int termLength = TransportConfiguration.termLength();
    private int mtuLength = TransportConfiguration.mtuLength();
    private int socketRcvbufLength = TransportConfiguration.socketRcvbufLength();
    private long driverTimeoutMs = TransportConfiguration.driverTimeoutMs();
    private long publicationConnectionTimeoutMs = TransportConfiguration.publicationConnectionTimeoutMs();
    private long imageLivenessTimeoutMs = TransportConfiguration.imageLivenessTimeoutMs();
    private int publicationRetryLimit = TransportConfiguration.publicationRetryLimit();
    private IdleStrategyKind publicationRetryIdleStrategy = TransportConfiguration.publicationRetryIdleStrategy();
    private boolean authenticateReplicationData = TransportConfiguration.authenticateReplicationData();
    private Path clusterSecretFile = null == TransportConfiguration.clusterSecretFile() ?
        null : Paths.get(TransportConfiguration.clusterSecretFile());
    private ClusterSecret clusterSecret;
    private AuthenticationPolicy authenticationPolicy;
    private ErrorHandler errorHandler;
    private NanoClock nanoClock;

    /**
     * Validates and derives. Call once; later calls throw.
     *
     * @return this.
     * @throws TransportException naming the first bad setting, its value and what was expected.
     */
    public TransportContext conclude()
    {
        if (concluded)
        {
            throw new TransportException("TransportContext already concluded", TransportException.Category.ERROR);
        }

        if (nodeId < -1)
        {
            throw bad(TransportConfiguration.NODE_ID_PROP, nodeId, "a node id >= 0, or -1 for a client");
        }
        if (null == endpointHost || endpointHost.isBlank() || endpointHost.contains("|") || endpointHost.contains("?"))
        {
            throw bad(TransportConfiguration.ENDPOINT_HOST_PROP, endpointHost, "a host name or IP address");
        }
        if (endpointPort < 0 || endpointPort > 65535)
        {
            throw bad(TransportConfiguration.ENDPOINT_PORT_PROP, endpointPort, "a UDP port in [0, 65535]");
        }
        if (null == aeronDirectoryName)
        {
            if (nodeId < 0)
            {
                throw bad(TransportConfiguration.AERON_DIR_PROP, null,
                    "an aeron directory, required when no node id is set (clients must name their own)");
            }
            aeronDirectoryName = TransportConfiguration.defaultAeronDirectoryName(Integer.toString(nodeId));
        }
        if (aeronDirectoryName.isBlank())
        {
            throw bad(TransportConfiguration.AERON_DIR_PROP, aeronDirectoryName, "a directory path");
        }
        if (null == threadingMode)
        {
            throw bad(TransportConfiguration.THREADING_MODE_PROP, null, "SHARED, SHARED_NETWORK, DEDICATED or INVOKER");
        }
        if (ThreadingMode.INVOKER == threadingMode && !invokedByOwner)
        {
            // A client or tool never calls TransportNode.invoke(): with INVOKER its driver would never run.
            throw bad(TransportConfiguration.THREADING_MODE_PROP, threadingMode,
                "SHARED, SHARED_NETWORK or DEDICATED (INVOKER needs an owner whose duty thread runs the driver, " +
                "as a node with logship.node.threading=shared does)");
        }
        if (ThreadingMode.INVOKER == threadingMode && !embeddedDriver)
        {
            // INVOKER means the owner's duty thread runs the driver (TransportNode.invoke()): only a driver
            // launched in this process can be run that way.
            throw bad(TransportConfiguration.THREADING_MODE_PROP, threadingMode,
                "SHARED, SHARED_NETWORK or DEDICATED with " + TransportConfiguration.EMBEDDED_DRIVER_PROP +
                "=false (INVOKER runs the driver on this process's duty thread, so it needs an embedded driver)");
        }
        if (null == idleStrategy)
        {
            throw bad(TransportConfiguration.IDLE_STRATEGY_PROP, null, "backoff, busy-spin, yield or sleep");
        }
        if (termLength < TransportConfiguration.TERM_LENGTH_MIN || termLength > TransportConfiguration.TERM_LENGTH_MAX ||
            !BitUtil.isPowerOfTwo(termLength))
        {
            throw bad(TransportConfiguration.TERM_LENGTH_PROP, termLength, "a power of two in [" +
                TransportConfiguration.TERM_LENGTH_MIN + ", " + TransportConfiguration.TERM_LENGTH_MAX + "]");
        }
        if (!TransportConfiguration.isValidMtuLength(mtuLength))
        {
            throw bad(TransportConfiguration.MTU_LENGTH_PROP, mtuLength, TransportConfiguration.MTU_LENGTH_EXPECTED);
        }
        if (mtuLength > termLength / 8)
        {
            throw bad(TransportConfiguration.MTU_LENGTH_PROP, mtuLength, "at most term length / 8 = " + termLength / 8);
        }
        if (0 != socketRcvbufLength && (socketRcvbufLength < TransportConfiguration.SOCKET_RCVBUF_MIN ||
            socketRcvbufLength > TransportConfiguration.SOCKET_RCVBUF_MAX))
        {
            // Below 64 KiB it would be smaller than one stream's flow-control window (Aeron refuses that too).
            throw bad(TransportConfiguration.SOCKET_RCVBUF_PROP, socketRcvbufLength, "0 (Aeron's default) or bytes in [" +
                TransportConfiguration.SOCKET_RCVBUF_MIN + ", " + TransportConfiguration.SOCKET_RCVBUF_MAX + "]");
        }
        requirePositive(TransportConfiguration.DRIVER_TIMEOUT_MS_PROP, driverTimeoutMs);
        requirePositive(TransportConfiguration.PUBLICATION_CONNECTION_TIMEOUT_MS_PROP, publicationConnectionTimeoutMs);
        requirePositive(TransportConfiguration.IMAGE_LIVENESS_TIMEOUT_MS_PROP, imageLivenessTimeoutMs);
        if (publicationRetryLimit < 0 || publicationRetryLimit > 1_000_000)
        {
            throw bad(TransportConfiguration.PUBLICATION_RETRY_LIMIT_PROP, publicationRetryLimit, "in [0, 1000000]");
        }
        if (null == publicationRetryIdleStrategy)
        {
            throw bad(TransportConfiguration.PUBLICATION_RETRY_IDLE_STRATEGY_PROP, null,
                "backoff, busy-spin, yield or sleep");
        }

        if (null == clusterSecret && null != clusterSecretFile)
        {
            clusterSecret = ClusterSecret.load(clusterSecretFile);
        }
        if (null == authenticationPolicy)
        {
            authenticationPolicy = AuthenticationPolicy.standard(authenticateReplicationData);
        }
        if (null == errorHandler)
        {
            errorHandler = Throwable::printStackTrace;
        }
        if (null == nanoClock)
        {
            nanoClock = SystemNanoClock.INSTANCE;
        }

        concluded = true;
        return this;
    }

    public boolean isConcluded()
    {
        return concluded;
    }

    /** Node id, or -1 for a client or tool. */
    public int nodeId()
    {
        return nodeId;
    }

    public TransportContext nodeId(final int nodeId)
    {
        this.nodeId = nodeId;
        return this;
    }

    /** Host of this process's one UDP endpoint, where every inbound stream is subscribed. */
    public String endpointHost()
    {
        return endpointHost;
    }

    public TransportContext endpointHost(final String endpointHost)
    {
        this.endpointHost = endpointHost;
        return this;
    }

    public int endpointPort()
    {
        return endpointPort;
    }

    public TransportContext endpointPort(final int endpointPort)
    {
        this.endpointPort = endpointPort;
        return this;
    }

    /** The channel every inbound stream of this process is subscribed on. */
    public String localChannel()
    {
        return TransportChannels.udpSubscription(endpointHost, endpointPort);
    }

    public String aeronDirectoryName()
    {
        return aeronDirectoryName;
    }

    public TransportContext aeronDirectoryName(final String aeronDirectoryName)
    {
        this.aeronDirectoryName = aeronDirectoryName;
        return this;
    }

    /** True: launch a media driver in this process; false: connect to one already running. */
    public boolean embeddedDriver()
    {
        return embeddedDriver;
    }

    public TransportContext embeddedDriver(final boolean embeddedDriver)
    {
        this.embeddedDriver = embeddedDriver;
        return this;
    }

    /**
     * How the embedded driver runs. {@link ThreadingMode#INVOKER}: it has no thread of its own, and the Aeron
     * client's conductor has none either; the owner's duty thread runs both through {@link TransportNode#invoke()}
     * (a node with {@code logship.node.threading=shared}). Any other mode: the driver's own threads, and a client
     * conductor thread.
     */
    public ThreadingMode threadingMode()
    {
        return threadingMode;
    }

    public TransportContext threadingMode(final ThreadingMode threadingMode)
    {
        this.threadingMode = threadingMode;
        return this;
    }

    /** Whether the owner calls {@link TransportNode#invoke()} on its duty thread: required for INVOKER. */
    public boolean invokedByOwner()
    {
        return invokedByOwner;
    }

    public TransportContext invokedByOwner(final boolean invokedByOwner)
    {
        this.invokedByOwner = invokedByOwner;
        return this;
    }

    /** Idle strategy of the embedded driver's threads and of the node's transport agents. */
    public IdleStrategyKind idleStrategy()
    {
        return idleStrategy;
    }

    public TransportContext idleStrategy(final IdleStrategyKind idleStrategy)
    {
        this.idleStrategy = idleStrategy;
        return this;
    }

    /** Term length of publications this node creates (UDP and IPC), in bytes. */
    public int termLength()
    {
        return termLength;
    }

    public TransportContext termLength(final int termLength)
    {
        this.termLength = termLength;
        return this;
    }

    /** Largest message a publication with this term length accepts: termLength / 8, capped at 16 MiB. */
    public int maxMessageLength()
    {
        return Math.min(termLength / 8, 16 * 1024 * 1024);
    }

    public int mtuLength()
    {
        return mtuLength;
    }

    public TransportContext mtuLength(final int mtuLength)
    {
        this.mtuLength = mtuLength;
        return this;
    }

    /**
     * SO_RCVBUF asked for on the embedded driver's sockets; 0 for Aeron's default (clients). A node sets
     * {@link TransportConfiguration#SOCKET_RCVBUF_DEFAULT} unless its config says otherwise.
     */
    public int socketRcvbufLength()
    {
        return socketRcvbufLength;
    }

    public TransportContext socketRcvbufLength(final int socketRcvbufLength)
    {
        this.socketRcvbufLength = socketRcvbufLength;
        return this;
    }

    public long driverTimeoutMs()
    {
        return driverTimeoutMs;
    }

    public TransportContext driverTimeoutMs(final long driverTimeoutMs)
    {
        this.driverTimeoutMs = driverTimeoutMs;
        return this;
    }

    public long publicationConnectionTimeoutMs()
    {
        return publicationConnectionTimeoutMs;
    }

    public TransportContext publicationConnectionTimeoutMs(final long publicationConnectionTimeoutMs)
    {
        this.publicationConnectionTimeoutMs = publicationConnectionTimeoutMs;
        return this;
    }

    public long imageLivenessTimeoutMs()
    {
        return imageLivenessTimeoutMs;
    }

    public TransportContext imageLivenessTimeoutMs(final long imageLivenessTimeoutMs)
    {
        this.imageLivenessTimeoutMs = imageLivenessTimeoutMs;
        return this;
    }

    /** How many times a back-pressured or admin-action offer is retried before the failure is returned. */
    public int publicationRetryLimit()
    {
        return publicationRetryLimit;
    }

    public TransportContext publicationRetryLimit(final int publicationRetryLimit)
    {
        this.publicationRetryLimit = publicationRetryLimit;
        return this;
    }

    public IdleStrategyKind publicationRetryIdleStrategy()
    {
        return publicationRetryIdleStrategy;
    }

    public TransportContext publicationRetryIdleStrategy(final IdleStrategyKind publicationRetryIdleStrategy)
    {
        this.publicationRetryIdleStrategy = publicationRetryIdleStrategy;
        return this;
    }

    public boolean authenticateReplicationData()
    {
        return authenticateReplicationData;
    }

    public TransportContext authenticateReplicationData(final boolean authenticateReplicationData)
    {
        this.authenticateReplicationData = authenticateReplicationData;
        return this;
    }

    public Path clusterSecretFile()
    {
        return clusterSecretFile;
    }

    /** Loaded by {@link #conclude()} unless {@link #clusterSecret(ClusterSecret)} was set. */
    public TransportContext clusterSecretFile(final Path clusterSecretFile)
    {
        this.clusterSecretFile = clusterSecretFile;
        return this;
    }

    /** The cluster secret, or null: then authenticated messages cannot be sent and are dropped on receipt. */
    public ClusterSecret clusterSecret()
    {
        return clusterSecret;
    }

    public TransportContext clusterSecret(final ClusterSecret clusterSecret)
    {
        this.clusterSecret = clusterSecret;
        return this;
    }

    public AuthenticationPolicy authenticationPolicy()
    {
        return authenticationPolicy;
    }

    /** Overrides the policy derived from {@link #authenticateReplicationData()}. */
    public TransportContext authenticationPolicy(final AuthenticationPolicy authenticationPolicy)
    {
        this.authenticationPolicy = authenticationPolicy;
        return this;
    }

    /** Receives driver and client errors, and reports of dropped messages. Default: stack trace to stderr. */
    public ErrorHandler errorHandler()
    {
        return errorHandler;
    }

    public TransportContext errorHandler(final ErrorHandler errorHandler)
    {
        this.errorHandler = errorHandler;
        return this;
    }

    public NanoClock nanoClock()
    {
        return nanoClock;
    }

    public TransportContext nanoClock(final NanoClock nanoClock)
    {
        this.nanoClock = nanoClock;
        return this;
    }

    public long publicationConnectionTimeoutNs()
    {
        return TimeUnit.MILLISECONDS.toNanos(publicationConnectionTimeoutMs);
    }

    @Override
    public String toString()
    {
        return "TransportContext{" +
            "nodeId=" + nodeId +
            ", endpoint=" + endpointHost + ":" + endpointPort +
            ", aeronDirectoryName=" + aeronDirectoryName +
            ", embeddedDriver=" + embeddedDriver +
            ", threadingMode=" + threadingMode +
            ", invokedByOwner=" + invokedByOwner +
            ", idleStrategy=" + idleStrategy +
            ", termLength=" + termLength +
            ", mtuLength=" + mtuLength +
            ", socketRcvbufLength=" + socketRcvbufLength +
            ", driverTimeoutMs=" + driverTimeoutMs +
            ", publicationConnectionTimeoutMs=" + publicationConnectionTimeoutMs +
            ", imageLivenessTimeoutMs=" + imageLivenessTimeoutMs +
            ", publicationRetryLimit=" + publicationRetryLimit +
            ", publicationRetryIdleStrategy=" + publicationRetryIdleStrategy +
            ", authenticateReplicationData=" + authenticateReplicationData +
            ", clusterSecret=" + clusterSecret +
            '}';
    }

    private static TransportException bad(final String property, final Object value, final String expected)
    {
        return new TransportException(
            property + "=" + value + " is invalid: expected " + expected, TransportException.Category.ERROR);
    }

    private static void requirePositive(final String property, final long value)
    {
        if (value <= 0)
        {
            throw bad(property, value, "a positive number of milliseconds");
        }
    }
}
