package io.logship.node;

import io.logship.cluster.ClusterKeys;
import io.logship.cluster.MemberList;

import io.logship.node.election.ElectionConfig;

import io.logship.LogshipException;
import io.logship.log.FsyncPolicy;
import io.logship.log.LogConfig;
import io.logship.kv.KeyValueStore;
import io.logship.kv.SnapshotStore;
import io.logship.transport.IdleStrategyKind;
import io.logship.transport.TransportConfiguration;
import io.logship.transport.TransportContext;
import io.aeron.driver.ThreadingMode;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.Set;
import java.util.TreeSet;

/**
 * A node's configuration file ({@code logshipd --config FILE}): Java properties, every key under
 * {@code logship.}. Every key, its default and unit is listed in node-daemon/README.md and in the
 * {@code *_PROP}/{@code *_DEFAULT} constants here. {@link #load} rejects an unknown key (a typo
 * would otherwise silently fall back to a default) and a bad value, naming the key, the value and
 * what is accepted. Immutable once loaded.
 *
 * <p>A little over 500 lines because it is one flat list: a constant pair, a field and a getter per key,
 * so that every key of a node is found in one place.
 */
public final class NodeConfig
{
    public static final String NODE_ID_PROP = ClusterKeys.NODE_ID;
    public static final String CLUSTER_NODES_PROP = ClusterKeys.CLUSTER_NODES;
    public static final String SECRET_FILE_PROP = ClusterKeys.SECRET_FILE;
    public static final String LEADER_PROP = "logship.cluster.leader";
    public static final String JOIN_PROP = ClusterKeys.CLUSTER_JOIN;
    public static final String DATA_DIR_PROP = ClusterKeys.DATA_DIR;
    public static final String ACK_LEVEL_PROP = "logship.node.ack.level.default";
    public static final String ACK_LEVEL_DEFAULT = "quorum";
    public static final String REQUEST_TIMEOUT_MS_PROP = "logship.node.request.timeout.ms";
    public static final long REQUEST_TIMEOUT_MS_DEFAULT = 5_000;
    public static final String BATCH_MAX_BYTES_PROP = ClusterKeys.BATCH_MAX_BYTES;
    /** Fits one Aeron message at the default 8 MiB term (max message 1 MiB) with room for the header. */
    public static final int BATCH_MAX_BYTES_DEFAULT = 512 * 1024;
    public static final String RING_SIZE_PROP = "logship.node.ring.size";
    public static final int RING_SIZE_DEFAULT = 8192;
    public static final String PENDING_MAX_PROP = "logship.node.pending.max";
    public static final int PENDING_MAX_DEFAULT = 65_536;
    public static final String HEARTBEAT_INTERVAL_MS_PROP = "logship.node.heartbeat.interval.ms";
    public static final long HEARTBEAT_INTERVAL_MS_DEFAULT = 50;
    public static final String REPLICATION_BYTES_PER_CYCLE_PROP = "logship.node.replication.max.bytes.per.cycle";
    /** Catch-up pacing: bytes sent to one follower per duty cycle, so live traffic keeps flowing. */
    public static final int REPLICATION_BYTES_PER_CYCLE_DEFAULT = 1024 * 1024;
    public static final String REPLICATION_WINDOW_BYTES_PROP = "logship.node.replication.window.bytes";
    /** The leader's last appended batches kept in memory to ship from (docs/DESIGN.md#replication-window); 0 = none. */
    public static final int REPLICATION_WINDOW_BYTES_DEFAULT = 16 * 1024 * 1024;
    public static final String SNAPSHOT_INTERVAL_RECORDS_PROP = "logship.node.snapshot.interval.records";
    public static final long SNAPSHOT_INTERVAL_RECORDS_DEFAULT = 1_000_000;
    public static final String SNAPSHOT_RETAIN_PROP = "logship.node.snapshot.retain";
    public static final int SNAPSHOT_RETAIN_DEFAULT = 2;
    /** Bytes of a snapshot being written between two forces of its file: docs/DESIGN.md#snapshot-flush. */
    public static final String SNAPSHOT_FLUSH_BYTES_PROP = "logship.node.snapshot.flush.bytes";
    /**
     * Where the store keeps its data: {@code file} (a memory-mapped file under the data directory, reused after a
     * clean shutdown) or {@code memory} (direct memory, rebuilt from the newest snapshot and the log on every
     * start, no write-back competing with the log's fsyncs): docs/DESIGN.md#store-medium.
     */
    public static final String STORE_PROP = "logship.node.store";
    public static final String STORE_DEFAULT = "file";
    /** Linux nice value of the store's apply thread (0 = as the other threads): docs/DESIGN.md#node-threads. */
    public static final String APPLY_NICE_PROP = "logship.node.apply.nice";
    public static final int APPLY_NICE_DEFAULT = 10;
    /**
     * Linux scheduler slice, in µs, asked for the conductor, journal and fsync threads (0 = the kernel's default):
     * docs/DESIGN.md#thread-slice.
     */
    public static final String LATENCY_SLICE_US_PROP = "logship.node.latency.slice.us";
    public static final int LATENCY_SLICE_US_DEFAULT = 100;
    public static final String IDLE_STRATEGY_PROP = "logship.node.idle.strategy";
    public static final String IDLE_STRATEGY_DEFAULT = "backoff";
    /**
     * {@code shared}: the embedded media driver and the Aeron client conductor run on the node's conductor thread
     * (Aeron's INVOKER mode), for hosts with few cores; {@code dedicated}: they have threads of their own
     * (docs/DESIGN.md#node-threads says when to pick which).
     */
    public static final String THREADING_PROP = "logship.node.threading";
    public static final String THREADING_DEFAULT = "dedicated";
    /**
     * {@code thread}: the leader's appends run on a journal thread of their own (the Disruptor's consumer);
     * {@code conductor}: the conductor runs the journal stage itself, one thread hop fewer per write
     * (docs/DESIGN.md#journal-on-conductor says when to pick which).
     */
    public static final String JOURNAL_PROP = "logship.node.journal";
    public static final String JOURNAL_DEFAULT = "thread";
    public static final String FAILOVER_PROP = "logship.cluster.failover";
    public static final String FAILOVER_DEFAULT = "auto";
    public static final String PRIORITIES_PROP = "logship.cluster.priorities";
    public static final String LEASE_TIMEOUT_MS_PROP = "logship.node.election.lease.timeout.ms";
    public static final String ELECTION_TIMEOUT_MS_PROP = "logship.node.election.timeout.ms";
    public static final String ELECTION_JITTER_MS_PROP = "logship.node.election.jitter.ms";
    public static final String CANDIDACY_STEP_MS_PROP = "logship.node.election.candidacy.step.ms";
    public static final String BACKOFF_MIN_MS_PROP = "logship.node.election.backoff.min.ms";
    public static final String BACKOFF_MAX_MS_PROP = "logship.node.election.backoff.max.ms";
    public static final String VOTE_ROUND_TIMEOUT_MS_PROP = "logship.node.election.vote.round.timeout.ms";
    public static final String HANDOVER_TIMEOUT_MS_PROP = "logship.node.election.handover.timeout.ms";
    public static final String METRICS_PORT_PROP = "logship.node.metrics.port";
    public static final String FAULTS_FILE_PROP = "logship.node.faults.file";
    public static final int METRICS_PORT_DEFAULT = 0;
    /** {@code text} (one line per event) or {@code json} (one JSON object per line); see {@link NodeLogging}. */
    public static final String LOG_FORMAT_PROP = "logship.node.log.format";
    public static final String LOG_FORMAT_DEFAULT = "text";
    /** Least severe level written: trace, debug, info, warn, error or off. */
    public static final String LOG_LEVEL_PROP = "logship.node.log.level";
    public static final String LOG_LEVEL_DEFAULT = "info";

    /** One member of the cluster as configured: id and UDP endpoint. */
    public record Member(int id, String host, int port)
    {
        @Override
        public String toString()
        {
            return id + "@" + host + ":" + port;
        }
    }

    private final Path file;
    private final int nodeId;
    private final Map<Integer, Member> members;
    private final Path secretFile;
    private final int leaderId;
    /** {@link #JOIN_PROP}: this node's own entry is not in its seed configuration. */
    private final boolean join;
    /** Candidacy priority of every listed node (0 unless {@link #PRIORITIES_PROP} says otherwise). */
    private Map<Integer, Integer> priorities;
    private final Path dataDirectory;
    private final String defaultAckLevel;
    private final long requestTimeoutMs;
    private final int batchMaxBytes;
    private final int ringSize;
    private final int pendingMax;
    private final long heartbeatIntervalMs;
    private final int replicationBytesPerCycle;
    private final int replicationWindowBytes;
    private final long snapshotIntervalRecords;
    private final int snapshotRetain;
    private final long snapshotFlushBytes;
    private final int applyNice;
    private final KeyValueStore.Medium storeMedium;
    private final int latencySliceUs;
    private final IdleStrategyKind idleStrategy;
    private final boolean sharedThreading;
    private final boolean journalOnConductor;
    private final boolean networkWait;
    private final int metricsPort;
    private final Path faultsFile;
    private final String logFormat;
    private final String logLevel;
    private final ElectionConfig electionConfig;
    private final LogConfig logConfig;
    private final TransportContext transportContext;

    private ElectionConfig electionConfig(final Reader reader)
    {
        final boolean auto = "auto".equals(reader.oneOf(FAILOVER_PROP, FAILOVER_DEFAULT, "auto", "manual"));
        final Map<Integer, Integer> priorities = new TreeMap<>();
        for (final int id : members.keySet())
        {
            priorities.put(id, 0);
        }
        final String prioritiesText = reader.string(PRIORITIES_PROP, null);
        if (null != prioritiesText && !prioritiesText.isBlank())
        {
            for (final String entry : prioritiesText.split(","))
            {
                final String[] parts = entry.trim().split(":");
                try
                {
                    final int id = Integer.parseInt(parts[0].trim());
                    if (parts.length != 2 || !members.containsKey(id))
                    {
                        throw reader.bad(PRIORITIES_PROP, prioritiesText, "id:priority,... with ids from " +
                            CLUSTER_NODES_PROP + " " + members.keySet());
                    }
                    priorities.put(id, Integer.parseInt(parts[1].trim()));
                }
                catch (final NumberFormatException ex)
                {
                    throw reader.bad(PRIORITIES_PROP, prioritiesText, "id:priority,... with integer ids and priorities");
                }
            }
        }
        final long lease = reader.longValue(LEASE_TIMEOUT_MS_PROP, ElectionConfig.LEASE_TIMEOUT_MS_DEFAULT, 1, 600_000);
        final long election = reader.longValue(ELECTION_TIMEOUT_MS_PROP, ElectionConfig.ELECTION_TIMEOUT_MS_DEFAULT, 1,
            600_000);
        final long jitter = reader.longValue(ELECTION_JITTER_MS_PROP, ElectionConfig.ELECTION_JITTER_MS_DEFAULT, 0,
            600_000);
        final long step = reader.longValue(CANDIDACY_STEP_MS_PROP, ElectionConfig.CANDIDACY_STEP_MS_DEFAULT, 0, 600_000);
        final long backoffMin = reader.longValue(BACKOFF_MIN_MS_PROP, ElectionConfig.BACKOFF_MIN_MS_DEFAULT, 1, 600_000);
        final long backoffMax = reader.longValue(BACKOFF_MAX_MS_PROP, ElectionConfig.BACKOFF_MAX_MS_DEFAULT, 1, 600_000);
        final long voteRound = reader.longValue(VOTE_ROUND_TIMEOUT_MS_PROP, ElectionConfig.VOTE_ROUND_TIMEOUT_MS_DEFAULT,
            1, 600_000);
        final long handover = reader.longValue(HANDOVER_TIMEOUT_MS_PROP, ElectionConfig.HANDOVER_TIMEOUT_MS_DEFAULT, 1,
            600_000);
        try
        {
            this.priorities = Collections.unmodifiableMap(new TreeMap<>(priorities));
            if (join)
            {
                priorities.remove(nodeId); // a joining node is no voter until a configuration says so
            }
            return new ElectionConfig(nodeId, priorities, heartbeatIntervalMs, lease, election, jitter, step,
                backoffMin, backoffMax, voteRound, handover, auto);
        }
        catch (final IllegalArgumentException ex)
        {
            // The record names its own field; say which keys set it.
            throw new LogshipException(file + ": " + ex.getMessage() + " (keys " + HEARTBEAT_INTERVAL_MS_PROP + ", " +
                "logship.node.election.*)", LogshipException.Category.ERROR, ex);
        }
    }

    private NodeConfig(final Path file, final Properties properties)
    {
        this.file = file;
        final Reader reader = new Reader(file, properties);
        nodeId = reader.intValue(NODE_ID_PROP, null, 1, 1_000_000);
        members = parseMembers(reader.required(CLUSTER_NODES_PROP));
        if (!members.containsKey(nodeId))
        {
            throw reader.bad(NODE_ID_PROP, Integer.toString(nodeId), "one of the ids in " + CLUSTER_NODES_PROP +
                " " + members.keySet());
        }
        secretFile = Path.of(reader.required(SECRET_FILE_PROP));
        join = Boolean.parseBoolean(reader.oneOf(JOIN_PROP, "false", "true", "false"));
        if (join && members.size() < 2)
        {
            throw reader.bad(JOIN_PROP, "true", "false for a node listed alone in " + CLUSTER_NODES_PROP +
                " (a joining node lists the current members and itself)");
        }
        final int lowestOther = members.keySet().stream().filter((id) -> !join || id != nodeId).min(Integer::compare)
            .orElse(nodeId);
        leaderId = reader.intValue(LEADER_PROP, Integer.toString(lowestOther), 1, 1_000_000);
        if (!members.containsKey(leaderId) || join && leaderId == nodeId)
        {
            throw reader.bad(LEADER_PROP, Integer.toString(leaderId), "one of the ids in " + CLUSTER_NODES_PROP +
                (join ? " other than this joining node's" : ""));
        }
        dataDirectory = Path.of(reader.required(DATA_DIR_PROP));
        defaultAckLevel = reader.oneOf(ACK_LEVEL_PROP, ACK_LEVEL_DEFAULT, "leader", "quorum", "all");
        requestTimeoutMs = reader.longValue(REQUEST_TIMEOUT_MS_PROP, REQUEST_TIMEOUT_MS_DEFAULT, 1, 3_600_000);
        batchMaxBytes = reader.intValue(BATCH_MAX_BYTES_PROP, Integer.toString(BATCH_MAX_BYTES_DEFAULT), 4096,
            8 * 1024 * 1024);
        ringSize = reader.intValue(RING_SIZE_PROP, Integer.toString(RING_SIZE_DEFAULT), 16, 1 << 20);
        if (Integer.bitCount(ringSize) != 1)
        {
            throw reader.bad(RING_SIZE_PROP, Integer.toString(ringSize), "a power of two");
        }
        pendingMax = reader.intValue(PENDING_MAX_PROP, Integer.toString(PENDING_MAX_DEFAULT), 16, 1 << 22);
        heartbeatIntervalMs = reader.longValue(HEARTBEAT_INTERVAL_MS_PROP, HEARTBEAT_INTERVAL_MS_DEFAULT, 1, 10_000);
        replicationBytesPerCycle = reader.intValue(REPLICATION_BYTES_PER_CYCLE_PROP,
            Integer.toString(REPLICATION_BYTES_PER_CYCLE_DEFAULT), 64 * 1024, 64 * 1024 * 1024);
        replicationWindowBytes = reader.intValue(REPLICATION_WINDOW_BYTES_PROP,
            Integer.toString(REPLICATION_WINDOW_BYTES_DEFAULT), 0, 1024 * 1024 * 1024);
        snapshotIntervalRecords = reader.longValue(SNAPSHOT_INTERVAL_RECORDS_PROP, SNAPSHOT_INTERVAL_RECORDS_DEFAULT,
            1, Long.MAX_VALUE);
        snapshotRetain = reader.intValue(SNAPSHOT_RETAIN_PROP, Integer.toString(SNAPSHOT_RETAIN_DEFAULT), 1, 100);
        snapshotFlushBytes = reader.longValue(SNAPSHOT_FLUSH_BYTES_PROP, SnapshotStore.DEFAULT_FLUSH_BEHIND_BYTES,
            SnapshotStore.MIN_FLUSH_BEHIND_BYTES, 1024L * 1024 * 1024);
        applyNice = reader.intValue(APPLY_NICE_PROP, Integer.toString(APPLY_NICE_DEFAULT), 0, 19);
        storeMedium = KeyValueStore.Medium.valueOf(reader.oneOf(STORE_PROP, STORE_DEFAULT, "file", "memory")
            .toUpperCase());
        latencySliceUs = reader.intValue(LATENCY_SLICE_US_PROP, Integer.toString(LATENCY_SLICE_US_DEFAULT), 0, 100_000);
        final String idle = reader.oneOf(IDLE_STRATEGY_PROP, IDLE_STRATEGY_DEFAULT,
            "backoff", "busy-spin", "yield", "sleep", "network");
        networkWait = "network".equals(idle);
        idleStrategy = networkWait ? IdleStrategyKind.BACKOFF : IdleStrategyKind.valueOf(idle.toUpperCase().replace('-', '_'));
        sharedThreading = "shared".equals(reader.oneOf(THREADING_PROP, THREADING_DEFAULT, "shared", "dedicated"));
        journalOnConductor = "conductor".equals(reader.oneOf(JOURNAL_PROP, JOURNAL_DEFAULT, "thread", "conductor"));
        if (networkWait && !sharedThreading)
        {
            throw reader.bad(IDLE_STRATEGY_PROP, "network", "backoff, busy-spin, yield or sleep unless " + THREADING_PROP +
                "=shared: only a conductor that runs the media driver can wait on its sockets");
        }
        metricsPort = reader.intValue(METRICS_PORT_PROP, Integer.toString(METRICS_PORT_DEFAULT), 0, 65535);
        electionConfig = electionConfig(reader);
        final String faults = reader.string(FAULTS_FILE_PROP, null);
        faultsFile = null == faults || faults.isBlank() ? null : Path.of(faults);
        logFormat = reader.oneOf(LOG_FORMAT_PROP, LOG_FORMAT_DEFAULT, "text", "json");
        logLevel = reader.oneOf(LOG_LEVEL_PROP, LOG_LEVEL_DEFAULT, "trace", "debug", "info", "warn", "error", "off");

        logConfig = new LogConfig()
            .directory(dataDirectory.resolve("log"))
            .segmentBytes(reader.intValue(LogConfig.SEGMENT_BYTES_PROP,
                Integer.toString(LogConfig.SEGMENT_BYTES_DEFAULT), 1, Integer.MAX_VALUE))
            .indexIntervalBytes(reader.intValue(LogConfig.INDEX_INTERVAL_BYTES_PROP,
                Integer.toString(LogConfig.INDEX_INTERVAL_BYTES_DEFAULT), 1, Integer.MAX_VALUE))
            .fsyncPolicy(FsyncPolicy.valueOf(reader.oneOf(LogConfig.FSYNC_PROP, "always", "always", "interval")
                .toUpperCase()))
            .fsyncIntervalMs(reader.longValue(LogConfig.FSYNC_INTERVAL_MS_PROP, LogConfig.FSYNC_INTERVAL_MS_DEFAULT,
                1, 60_000))
            .retentionBytes(reader.longValue(LogConfig.RETENTION_BYTES_PROP, LogConfig.RETENTION_BYTES_DEFAULT, -1,
                Long.MAX_VALUE))
            .retentionMs(reader.longValue(LogConfig.RETENTION_MS_PROP, LogConfig.RETENTION_MS_DEFAULT, -1,
                Long.MAX_VALUE));
        if (batchMaxBytes > logConfig.segmentBytes())
        {
            throw reader.bad(BATCH_MAX_BYTES_PROP, Integer.toString(batchMaxBytes), "at most " +
                LogConfig.SEGMENT_BYTES_PROP + "=" + logConfig.segmentBytes() + " (a batch must fit in one segment)");
        }
        try
        {
            logConfig.conclude();
        }
        catch (final IllegalArgumentException ex)
        {
            throw new LogshipException(file + ": " + ex.getMessage(), LogshipException.Category.ERROR, ex);
        }

        final boolean embeddedDriver = Boolean.parseBoolean(reader.oneOf(TransportConfiguration.EMBEDDED_DRIVER_PROP,
            "true", "true", "false"));
        final String driverThreading = reader.string(TransportConfiguration.THREADING_MODE_PROP, null);
        final ThreadingMode threadingMode;
        if (sharedThreading)
        {
            // The conductor runs the driver itself: a driver threading mode or an external driver would contradict it.
            if (null != driverThreading)
            {
                throw reader.bad(THREADING_PROP, "shared", "dedicated when " + TransportConfiguration.THREADING_MODE_PROP +
                    " is set (shared runs the media driver on the node's conductor thread: remove " +
                    TransportConfiguration.THREADING_MODE_PROP + ")");
            }
            if (!embeddedDriver)
            {
                throw reader.bad(THREADING_PROP, "shared", "dedicated with " + TransportConfiguration.EMBEDDED_DRIVER_PROP +
                    "=false (shared runs an embedded media driver on the node's conductor thread)");
            }
            threadingMode = ThreadingMode.INVOKER;
        }
        else
        {
            threadingMode = ThreadingMode.valueOf(reader.oneOf(TransportConfiguration.THREADING_MODE_PROP, "SHARED",
                "SHARED", "SHARED_NETWORK", "DEDICATED"));
        }

        final Member self = members.get(nodeId);
        transportContext = new TransportContext()
            .nodeId(nodeId)
            .endpointHost(self.host())
            .endpointPort(self.port())
            .clusterSecretFile(secretFile)
            .aeronDirectoryName(reader.string(TransportConfiguration.AERON_DIR_PROP,
                TransportConfiguration.defaultAeronDirectoryName(nodeId + "-" + members.get(nodeId).port())))
            .embeddedDriver(embeddedDriver)
            .threadingMode(threadingMode)
            .invokedByOwner(sharedThreading) // NodeAgent calls TransportNode.invoke() every duty cycle
            .idleStrategy(IdleStrategyKind.valueOf(reader.oneOf(TransportConfiguration.IDLE_STRATEGY_PROP, "backoff",
                "backoff", "busy-spin", "yield", "sleep").toUpperCase().replace('-', '_')))
            .termLength(reader.intValue(TransportConfiguration.TERM_LENGTH_PROP,
                Integer.toString(TransportConfiguration.TERM_LENGTH_DEFAULT), 1, Integer.MAX_VALUE))
            .mtuLength(reader.intValue(TransportConfiguration.MTU_LENGTH_PROP,
                Integer.toString(TransportConfiguration.MTU_LENGTH_DEFAULT), 1, Integer.MAX_VALUE))
            .socketRcvbufLength(reader.intValue(TransportConfiguration.SOCKET_RCVBUF_PROP,
                Integer.toString(TransportConfiguration.SOCKET_RCVBUF_DEFAULT), TransportConfiguration.SOCKET_RCVBUF_MIN,
                TransportConfiguration.SOCKET_RCVBUF_MAX))
            .authenticateReplicationData(Boolean.parseBoolean(reader.oneOf(
                TransportConfiguration.AUTHENTICATE_REPLICATION_DATA_PROP, "true", "true", "false")));
        reader.rejectUnknown();
    }

    /**
     * Reads and validates a config file.
     *
     * @throws LogshipException naming the file, key, value and what is accepted.
     */
    public static NodeConfig load(final Path file)
    {
        final Properties properties = new Properties();
        try (java.io.Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8))
        {
            properties.load(in);
        }
        catch (final IOException ex)
        {
            throw new LogshipException("cannot read config " + file + ": " + ex, LogshipException.Category.ERROR, ex);
        }
        return new NodeConfig(file, properties);
    }

    private Map<Integer, Member> parseMembers(final String value)
    {
        final Map<Integer, Member> parsed = new LinkedHashMap<>();
        for (final MemberList.Entry entry : MemberList.parse(value, file + ": " + CLUSTER_NODES_PROP, true))
        {
            parsed.put(entry.id(), new Member(entry.id(), entry.host(), entry.port()));
        }
        return Collections.unmodifiableMap(parsed);
    }

    /** Reads keys, remembering which were used so unknown ones can be rejected. */
    private static final class Reader
    {
        private final Path file;
        private final Properties properties;
        private final Set<String> used = new TreeSet<>();

        Reader(final Path file, final Properties properties)
        {
            this.file = file;
            this.properties = properties;
        }

        String string(final String key, final String defaultValue)
        {
            used.add(key);
            final String value = properties.getProperty(key);
            return null == value ? defaultValue : value.trim();
        }

        String required(final String key)
        {
            final String value = string(key, null);
            if (null == value || value.isEmpty())
            {
                throw new LogshipException(file + ": required key " + key + " is missing",
                    LogshipException.Category.ERROR);
            }
            return value;
        }

        String oneOf(final String key, final String defaultValue, final String... accepted)
        {
            final String value = string(key, defaultValue);
            for (final String candidate : accepted)
            {
                if (candidate.equalsIgnoreCase(value))
                {
                    return candidate;
                }
            }
            throw bad(key, value, "one of " + String.join(", ", accepted));
        }

        long longValue(final String key, final long defaultValue, final long min, final long max)
        {
            final String value = string(key, Long.toString(defaultValue));
            try
            {
                final long parsed = Long.parseLong(value.replace("_", ""));
                if (parsed < min || parsed > max)
                {
                    throw bad(key, value, "an integer in [" + min + ", " + max + "]");
                }
                return parsed;
            }
            catch (final NumberFormatException ex)
            {
                throw bad(key, value, "an integer in [" + min + ", " + max + "]");
            }
        }

        int intValue(final String key, final String defaultValue, final int min, final int max)
        {
            final String value = null == defaultValue ? required(key) : string(key, defaultValue);
            try
            {
                final int parsed = Integer.parseInt(value.replace("_", ""));
                if (parsed < min || parsed > max)
                {
                    throw bad(key, value, "an integer in [" + min + ", " + max + "]");
                }
                return parsed;
            }
            catch (final NumberFormatException ex)
            {
                throw bad(key, value, "an integer in [" + min + ", " + max + "]");
            }
        }

        LogshipException bad(final String key, final String value, final String expected)
        {
            return new LogshipException(file + ": " + key + "=" + value + " is invalid: expected " + expected,
                LogshipException.Category.ERROR);
        }

        void rejectUnknown()
        {
            final List<String> unknown = new ArrayList<>();
            for (final String key : properties.stringPropertyNames())
            {
                if (!used.contains(key))
                {
                    unknown.add(key);
                }
            }
            if (!unknown.isEmpty())
            {
                Collections.sort(unknown);
                throw new LogshipException(file + ": unknown key(s) " + unknown + " (see node-daemon/README.md)",
                    LogshipException.Category.ERROR);
            }
        }
    }

    public Path file()
    {
        return file;
    }

    public int nodeId()
    {
        return nodeId;
    }

    public Map<Integer, Member> members()
    {
        return members;
    }

    public Member self()
    {
        return members.get(nodeId);
    }

    public Path secretFile()
    {
        return secretFile;
    }

    public int leaderId()
    {
        return leaderId;
    }

    /** {@link #JOIN_PROP}: this node joins a running cluster, its own entry is not in its seed configuration. */
    public boolean join()
    {
        return join;
    }

    /** Candidacy priority of node {@code id} ({@link #PRIORITIES_PROP}), 0 for a node the file does not list. */
    public int priority(final int id)
    {
        return priorities.getOrDefault(id, 0);
    }

    public Path dataDirectory()
    {
        return dataDirectory;
    }

    public String defaultAckLevel()
    {
        return defaultAckLevel;
    }

    public long requestTimeoutMs()
    {
        return requestTimeoutMs;
    }

    public int batchMaxBytes()
    {
        return batchMaxBytes;
    }

    public int ringSize()
    {
        return ringSize;
    }

    public int pendingMax()
    {
        return pendingMax;
    }

    public long heartbeatIntervalMs()
    {
        return heartbeatIntervalMs;
    }

    public int replicationBytesPerCycle()
    {
        return replicationBytesPerCycle;
    }

    /** Bytes of the leader's recent batches kept in memory for shipping (0: every batch shipped is read from the log). */
    public int replicationWindowBytes()
    {
        return replicationWindowBytes;
    }

    public long snapshotIntervalRecords()
    {
        return snapshotIntervalRecords;
    }

    public int snapshotRetain()
    {
        return snapshotRetain;
    }

    /** {@value #SNAPSHOT_FLUSH_BYTES_PROP}: bytes of a snapshot being written between two forces of its file. */
    public long snapshotFlushBytes()
    {
        return snapshotFlushBytes;
    }

    /** {@value #STORE_PROP}: where the store keeps its data. */
    public KeyValueStore.Medium storeMedium()
    {
        return storeMedium;
    }

    /** Nice value the apply thread sets itself to at start; 0 leaves it at the process's. */
    public int applyNice()
    {
        return applyNice;
    }

    /** Scheduler slice (µs) the node asks for its write-path threads at start; 0 leaves the kernel's default. */
    public int latencySliceUs()
    {
        return latencySliceUs;
    }

    public IdleStrategyKind idleStrategy()
    {
        return idleStrategy;
    }

    /**
     * {@code logship.node.threading=shared}: the conductor thread also runs the media driver and the Aeron client
     * conductor (the transport's threading mode is then INVOKER).
     */
    public boolean sharedThreading()
    {
        return sharedThreading;
    }

    /** {@value #JOURNAL_PROP}{@code =conductor}: the conductor appends the leader's writes, no journal thread. */
    public boolean journalOnConductor()
    {
        return journalOnConductor;
    }

    /**
     * {@code logship.node.idle.strategy=network} (with shared threading only): the idle conductor sleeps on the media
     * driver's sockets instead of polling them ({@code io.logship.transport.NetworkWait}, docs/DESIGN.md#node-threads).
     */
    public boolean networkWait()
    {
        return networkWait;
    }

    public int metricsPort()
    {
        return metricsPort;
    }

    /**
     * Fault injection for partition tests, or null (the default, and the only sane production value): while
     * this file exists, the node drops every message to and from the peer ids it lists.
     */
    public Path faultsFile()
    {
        return faultsFile;
    }

    /** {@code text} or {@code json}: how logshipd writes its log lines to stdout. */
    public String logFormat()
    {
        return logFormat;
    }

    /** The least severe level logshipd writes, lower case: trace, debug, info, warn, error or off. */
    public String logLevel()
    {
        return logLevel;
    }

    /** Who may lead and when: priorities, timeouts, automatic failover (see ELECTION.md). */
    public ElectionConfig electionConfig()
    {
        return electionConfig;
    }

    public LogConfig logConfig()
    {
        return logConfig;
    }

    public TransportContext transportContext()
    {
        return transportContext;
    }
}
