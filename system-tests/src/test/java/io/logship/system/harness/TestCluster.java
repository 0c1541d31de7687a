package io.logship.system.harness;

import io.logship.client.ChecksumResult;
import io.logship.client.ClientConfig;
import io.logship.client.LogshipClient;
import io.logship.client.NodeStatus;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A cluster of real {@code logshipd} processes on 127.0.0.1, for one test. It writes one config per node (UDP ports
 * taken from the OS, a mode-0600 cluster secret, a data directory and an Aeron directory per node), starts and stops
 * {@link NodeProcess}es, hands out {@link LogshipClient}s, waits for the followers to catch up, and compares the
 * nodes' committed logs by checksum the way {@code logship verify} does.
 *
 * <p>Created through {@link SystemTestWatcher#cluster(int)}, which closes it after the test: every process is stopped
 * (always), the Aeron directories are removed, node logs are scanned for {@code ERROR}/{@code SEVERE} lines the test did
 * not declare with {@link #expectErrors}, and the test directory is deleted — unless the test failed, in which case
 * thread dumps are taken first and the directory (configs, data, logs) is kept and its path printed.
 *
 * <p>Used from the test thread; {@link #client()} is thread-safe (so are LogshipClients).
 */
public final class TestCluster
{
    public static final String HOST = "127.0.0.1";
    public static final Duration CATCH_UP_TIMEOUT = Duration.ofSeconds(60);
    /** A node that is not in the seed configuration and joins through {@code logship member add}. */
    public static final String JOIN_PROP = "logship.cluster.join";

    private final String name;
    private final Path dir;
    private final Path secretFile;
    private final int leaderId;
    private final Map<Integer, Integer> ports = new TreeMap<>();
    private final Map<Integer, Integer> metricsPorts = new TreeMap<>();
    /** Lease and election timeouts of every test cluster unless the test sets them: see the constructor. */
    public static final int RELAXED_LEASE_MS = 1000;
    public static final int RELAXED_ELECTION_MS = 1500;
    private final Map<Integer, NodeProcess> nodes = new TreeMap<>();
    private final List<LogshipClient> clients = new ArrayList<>();
    private final List<RawWireClient> rawClients = new ArrayList<>();
    private final Path aeronBase;
    private final List<Predicate<String>> expectedErrors = new ArrayList<>();
    private LogshipClient client;
    private LogshipClient statusClient;

    private TestCluster(final Builder builder)
    {
        this.name = builder.name;
        this.leaderId = builder.leaderId;
        try
        {
            final Path base = Path.of(System.getProperty("logship.systemTest.dir", System.getProperty("java.io.tmpdir")));
            Files.createDirectories(base);
            dir = Files.createTempDirectory(base, name + "-");
            secretFile = dir.resolve("cluster.secret");
            final byte[] secret = new byte[32];
            new SecureRandom().nextBytes(secret);
            Files.createFile(secretFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(secretFile, HexFormat.of().formatHex(secret), StandardCharsets.US_ASCII);

            final int[] free = new int[builder.nodeCount];
            for (int i = 0; i < free.length; i++)
            {
                free[i] = TestPorts.next(); // below the ephemeral range: see TestPorts
            }
            for (int id = 1; id <= builder.nodeCount; id++)
            {
                ports.put(id, free[id - 1]);
            }
            // Joining nodes are not in the seed: each lists the seed plus its own entry and waits to be added
            // (MEMBERSHIP contract, "Joining node").
            final String members = ports.entrySet().stream()
                .filter(e -> !builder.joining.contains(e.getKey()))
                .map(e -> e.getKey() + "@" + HOST + ":" + e.getValue())
                .collect(Collectors.joining(","));
            final Path shm = Path.of("/dev/shm");
            aeronBase = Files.isDirectory(shm) && Files.isWritable(shm) ? shm :
                Path.of(System.getProperty("java.io.tmpdir"));
            final String unique = dir.getFileName().toString();
            for (final int id : ports.keySet())
            {
                final Path aeronDir = aeronBase.resolve(unique + "-" + id);
                final Properties config = new Properties();
                config.setProperty("logship.node.id", Integer.toString(id));
                if (builder.joining.contains(id))
                {
                    config.setProperty("logship.cluster.nodes", members + "," + id + "@" + HOST + ":" + ports.get(id));
                    config.setProperty(JOIN_PROP, "true");
                }
                else
                {
                    config.setProperty("logship.cluster.nodes", members);
                }
                config.setProperty("logship.cluster.secret.file", secretFile.toString());
                config.setProperty("logship.cluster.leader", Integer.toString(leaderId));
                final Path dataDir = dir.resolve("node-" + id + "-data");
                config.setProperty("logship.node.data.dir", dataDir.toString());
                config.setProperty("logship.transport.aeron.dir", aeronDir.toString());
                // What `logship local init` writes for a cluster on loopback (LocalCluster.LOOPBACK_MTU_LENGTH), so
                // these tests run the datagram size local clusters run.
                config.setProperty("logship.transport.mtu.length", Integer.toString(32 * 1024));
                // Relaxed election timeouts unless a test sets its own (FailoverSystemTest runs the defaults): on
                // 2 shared cores, a build or the test JVM can starve a node for 300 ms, and a failover that is not
                // the subject of a test would only make it slower and noisier.
                config.setProperty("logship.node.election.lease.timeout.ms", Integer.toString(RELAXED_LEASE_MS));
                config.setProperty("logship.node.election.timeout.ms", Integer.toString(RELAXED_ELECTION_MS));
                final int metricsPort = TestPorts.next();
                metricsPorts.put(id, metricsPort);
                config.setProperty("logship.node.metrics.port", Integer.toString(metricsPort));
                builder.properties.forEach(config::setProperty);
                builder.nodeProperties.getOrDefault(id, Map.of()).forEach(config::setProperty);
                final Path configFile = dir.resolve("node-" + id + ".conf");
                try (java.io.Writer out = Files.newBufferedWriter(configFile, StandardCharsets.UTF_8))
                {
                    config.store(out, "system test " + name + ", node " + id);
                }
                nodes.put(id, new NodeProcess(id, configFile, dir.resolve("node-" + id + ".log"), aeronDir, dataDir,
                    NodeBinaries.locate()));
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot set up cluster " + name, ex);
        }
    }

    /** Starts a builder; {@link SystemTestWatcher#cluster(int)} is the usual entry point. */
    static Builder builder(final String name, final int nodeCount, final SystemTestWatcher watcher)
    {
        return new Builder(name, nodeCount, watcher);
    }

    /** Options of one test's cluster: any node config key, for all nodes or for one. */
    public static final class Builder
    {
        private final String name;
        private final int nodeCount;
        private final SystemTestWatcher watcher;
        private final Map<String, String> properties = new LinkedHashMap<>();
        private final Map<Integer, Map<String, String>> nodeProperties = new TreeMap<>();
        private int leaderId = 1;
        private final java.util.Set<Integer> joining = new java.util.TreeSet<>();

        private Builder(final String name, final int nodeCount, final SystemTestWatcher watcher)
        {
            this.name = name;
            this.nodeCount = nodeCount;
            this.watcher = watcher;
        }

        /** A config key for every node, e.g. {@code logship.log.segment.bytes}. */
        public Builder with(final String key, final Object value)
        {
            properties.put(key, String.valueOf(value));
            return this;
        }

        /** A config key for one node. */
        public Builder with(final int nodeId, final String key, final Object value)
        {
            nodeProperties.computeIfAbsent(nodeId, id -> new LinkedHashMap<>()).put(key, String.valueOf(value));
            return this;
        }

        /**
         * Nodes outside the seed configuration: their config lists the seed members plus their own entry, with
         * {@link #JOIN_PROP}{@code =true}; the other nodes' configs do not name them. Start them with
         * {@code start(seed ids...)} and later {@code node(id).start()}, then add them with {@code logship member add}.
         */
        public Builder joining(final int... nodeIds)
        {
            for (final int id : nodeIds)
            {
                joining.add(id);
            }
            return this;
        }

        /**
         * Every node reads {@code dir/node-N} as its faults file (logship.node.faults.file): write a node's file to cut
         * it off from the peers it lists or to slow its election-state writes, delete it to heal.
         */
        public Builder faultsFiles(final java.nio.file.Path dir)
        {
            for (int id = 1; id <= nodeCount; id++)
            {
                with(id, "logship.node.faults.file", dir.resolve("node-" + id));
            }
            return this;
        }

        public Builder leader(final int leaderId)
        {
            this.leaderId = leaderId;
            return this;
        }

        /** Writes the configs, starts every node and waits until they have formed a cluster (see {@link #start(int...)}). */
        public TestCluster start()
        {
            final int[] all = new int[nodeCount];
            for (int i = 0; i < nodeCount; i++)
            {
                all[i] = i + 1;
            }
            return start(all);
        }

        /**
         * Writes every node's config but starts only the given nodes (the rest: {@code node(id).start()}); if the leader
         * is among them, waits until every started node holds the leader's opening NOOP ({@link #awaitCaughtUp()}).
         */
        public TestCluster start(final int... nodeIds)
        {
            final long startNs = System.nanoTime();
            final TestCluster cluster = new TestCluster(this);
            watcher.register(cluster);
            // All JVMs start side by side, then each is waited for: one after another cost each test about two
            // node start-ups more.
            for (final int id : nodeIds)
            {
                cluster.node(id).launch();
            }
            for (final int id : nodeIds)
            {
                cluster.node(id).awaitRunning();
            }
            final long runningNs = System.nanoTime();
            if (2 * cluster.runningNodeIds().size() > cluster.nodeIds().size())
            {
                // Every test starts from a formed cluster: a leader is elected and its opening NOOP is on every
                // started node.
                cluster.awaitCaughtUp();
            }
            System.out.println(cluster.name + ": " + nodeIds.length + " node(s) running after " +
                TimeUnit.NANOSECONDS.toMillis(runningNs - startNs) + " ms, a formed cluster after " +
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs) + " ms");
            return cluster;
        }
    }

    public String name()
    {
        return name;
    }

    public Path dir()
    {
        return dir;
    }

    public Path secretFile()
    {
        return secretFile;
    }

    /** The node named by {@code logship.cluster.leader}: it stands first when the cluster is new. */
    public int bootstrapLeaderId()
    {
        return leaderId;
    }

    /**
     * The current leader: the running node that reports itself LEADER in the highest epoch, waited for (an
     * election may be under way) up to {@link #CATCH_UP_TIMEOUT}.
     */
    public int leaderId()
    {
        final int[] found = {-1};
        final Map<Integer, String> seen = new TreeMap<>();
        Poll.until("a leader among the running nodes", CATCH_UP_TIMEOUT, () ->
            {
                found[0] = currentLeader(seen);
                return found[0] > 0;
            },
            seen::toString);
        return found[0];
    }

    private int currentLeader(final Map<Integer, String> seen)
    {
        int leader = -1;
        int leaderEpoch = -1;
        seen.clear();
        for (final int id : runningNodeIds())
        {
            try
            {
                final NodeStatus status = status(id);
                seen.put(id, status.role() + "@" + status.epoch());
                if ("LEADER".equals(status.role()) && status.epoch() > leaderEpoch)
                {
                    leader = id;
                    leaderEpoch = status.epoch();
                }
            }
            catch (final RuntimeException ex)
            {
                seen.put(id, "no answer: " + ex.getMessage());
            }
        }
        return leader;
    }

    public NodeProcess node(final int nodeId)
    {
        final NodeProcess node = nodes.get(nodeId);
        if (null == node)
        {
            throw new IllegalArgumentException("no node " + nodeId + " in " + nodes.keySet());
        }
        return node;
    }

    /** The current leader's process (see {@link #leaderId()}). */
    public NodeProcess leader()
    {
        return node(leaderId());
    }

    /** The node's Prometheus text ({@code GET /metrics} on its metrics port). */
    public String metrics(final int nodeId)
    {
        try
        {
            final java.net.http.HttpResponse<String> response = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + HOST + ":" +
                    metricsPorts.get(nodeId) + "/metrics")).timeout(java.time.Duration.ofSeconds(5)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
            return response.body();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("metrics of node " + nodeId, ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", ex);
        }
    }

    public int port(final int nodeId)
    {
        return ports.get(nodeId);
    }

    /** {@code id@127.0.0.1:port}: the node's entry as in {@code logship.cluster.nodes} and {@code member add}. */
    public String memberEntry(final int nodeId)
    {
        return nodeId + "@" + HOST + ":" + ports.get(nodeId);
    }

    public List<Integer> nodeIds()
    {
        return List.copyOf(nodes.keySet());
    }

    public List<Integer> runningNodeIds()
    {
        return nodes.values().stream().filter(NodeProcess::isRunning).map(NodeProcess::nodeId).toList();
    }

    /** A client config naming every node and the cluster secret (for status and checksum). */
    public ClientConfig clientConfig()
    {
        final ClientConfig config = new ClientConfig().clusterSecretFile(secretFile).responseHost(HOST);
        ports.forEach((id, port) -> config.node(id, HOST, port));
        return config;
    }

    /** The test's shared client (created on first use, closed with the cluster). */
    public synchronized LogshipClient client()
    {
        if (null == client)
        {
            client = newClient(config -> { });
        }
        return client;
    }

    /**
     * The client {@link #status} asks through: a 1 s request timeout instead of the default 5 s. A node restarted
     * after a SIGKILL has no session for a client that was connected to its previous run and drops its requests
     * (docs/DESIGN.md#streams-and-channels); the client reconnects when a request times out, so with the default every
     * wait for a restarted node to catch up took 5 s longer than the catch-up (measured: 5.03 s in each round of
     * the SIGKILL failover test, whose node had caught up within 50 ms).
     */
    private synchronized LogshipClient statusClient()
    {
        if (null == statusClient)
        {
            statusClient = newClient(config -> config.requestTimeoutMs(1_000));
        }
        return statusClient;
    }

    /** A further client, customised; closed with the cluster. */
    public synchronized LogshipClient newClient(final Consumer<ClientConfig> customiser)
    {
        final ClientConfig config = clientConfig();
        customiser.accept(config);
        final LogshipClient created = LogshipClient.connect(config);
        clients.add(created);
        return created;
    }

    /** A wire-level client with its own driver (Aeron directory beside the nodes'); closed with the cluster. */
    public synchronized RawWireClient rawClient(final long clientId)
    {
        return rawClient(clientId, null);
    }

    /** A wire-level client that signs with {@code secretFile} (e.g. the cluster's, to impersonate a peer). */
    public synchronized RawWireClient rawClient(final long clientId, final Path secretFile)
    {
        final RawWireClient raw = new RawWireClient(clientId,
            aeronBase.resolve(dir.getFileName() + "-raw-" + (rawClients.size() + 1)), secretFile);
        rawClients.add(raw);
        return raw;
    }

    public NodeStatus status(final int nodeId)
    {
        return statusClient().status(nodeId);
    }

    /** Lines matching this predicate in a node log do not fail the test. */
    public void expectErrors(final Predicate<String> errorLine)
    {
        expectedErrors.add(errorLine);
    }

    /**
     * Waits until every running node holds, durably, exactly the leader's log, the leader has committed all of it,
     * and every node has learned that commit offset and applied up to it. Returns the leader's final status.
     */
    public NodeStatus awaitCaughtUp()
    {
        return awaitCaughtUp(CATCH_UP_TIMEOUT);
    }

    public NodeStatus awaitCaughtUp(final Duration timeout)
    {
        final Map<Integer, NodeStatus> last = new TreeMap<>();
        final NodeStatus[] leaderStatus = new NodeStatus[1];
        Poll.until("every running node to catch up with the leader", timeout, () ->
            {
                last.clear();
                leaderStatus[0] = null;
                for (final int id : runningNodeIds())
                {
                    final NodeStatus status;
                    try
                    {
                        status = status(id);
                    }
                    catch (final RuntimeException ex)
                    {
                        return false; // restarting or busy: ask again
                    }
                    last.put(id, status);
                    if ("LEADER".equals(status.role()) &&
                        (null == leaderStatus[0] || status.epoch() > leaderStatus[0].epoch()))
                    {
                        leaderStatus[0] = status;
                    }
                }
                final NodeStatus leader = leaderStatus[0];
                if (null == leader || leader.commitOffset() != leader.logEndOffset())
                {
                    return false;
                }
                for (final NodeStatus status : last.values())
                {
                    if (status.logEndOffset() != leader.logEndOffset() ||
                        status.durableEndOffset() != leader.logEndOffset() ||
                        status.commitOffset() != leader.commitOffset() ||
                        status.appliedOffset() != leader.commitOffset())
                    {
                        return false;
                    }
                }
                return true;
            },
            () -> describe(last));
        return leaderStatus[0];
    }

    /** The range compared by {@link #assertCommittedChecksumsMatch()} and the CRC every node reported for it. */
    public record CommonRange(long fromOffset, long toOffset, long batchCount, long byteCount, long crc32c)
    {
    }

    /**
     * What {@code logship verify} does: over the common committed range {@code [max logStart, min commit)} of every
     * running node, asks each for the CRC32C of its batches and asserts they agree (range covered, batch and byte
     * counts, CRC). Fails if the range is empty.
     */
    public CommonRange assertCommittedChecksumsMatch()
    {
        final Map<Integer, NodeStatus> statuses = new TreeMap<>();
        for (final int id : runningNodeIds())
        {
            statuses.put(id, status(id));
        }
        final long from = statuses.values().stream().mapToLong(NodeStatus::logStartOffset).max().orElseThrow();
        final long to = statuses.values().stream().mapToLong(NodeStatus::commitOffset).min().orElseThrow();
        if (to <= from)
        {
            throw new AssertionError("no common committed range to compare: [" + from + ", " + to + "); " +
                describe(statuses));
        }
        final Map<Integer, ChecksumResult> results = new TreeMap<>();
        for (final int id : statuses.keySet())
        {
            results.put(id, client().checksum(id, from, to));
        }
        final ChecksumResult first = results.values().iterator().next();
        for (final ChecksumResult result : results.values())
        {
            if (result.fromOffset() != first.fromOffset() || result.toOffset() != first.toOffset() ||
                result.batchCount() != first.batchCount() || result.byteCount() != first.byteCount() ||
                result.crc32c() != first.crc32c())
            {
                throw new AssertionError("committed logs differ over [" + from + ", " + to + "): " + results);
            }
        }
        if (first.batchCount() == 0 || first.toOffset() <= first.fromOffset())
        {
            throw new AssertionError("checksum over [" + from + ", " + to + ") covered nothing: " + results);
        }
        return new CommonRange(first.fromOffset(), first.toOffset(), first.batchCount(), first.byteCount(),
            first.crc32c());
    }

    public static String describe(final Map<Integer, NodeStatus> statuses)
    {
        final StringBuilder out = new StringBuilder();
        statuses.forEach((id, s) -> out.append(System.lineSeparator()).append("  node ").append(id)
            .append(": role=").append(s.role()).append(" epoch=").append(s.epoch())
            .append(" log=[").append(s.logStartOffset()).append(", ").append(s.logEndOffset())
            .append(") durable=").append(s.durableEndOffset()).append(" commit=").append(s.commitOffset())
            .append(" applied=").append(s.appliedOffset()));
        return out.toString();
    }

    /**
     * Ends the cluster (called by {@link SystemTestWatcher} after every test): on failure first a thread dump of every
     * running node; then closes the clients and stops every node (always); removes the Aeron directories; checks the
     * node logs for unexpected errors. Deletes the test directory only if everything passed.
     *
     * @return problems found while closing (unclean exits, unexpected error lines); empty if none.
     */
    List<String> close(final boolean testFailed)
    {
        final List<String> problems = new ArrayList<>();
        if (testFailed)
        {
            nodes.values().forEach(NodeProcess::threadDump);
        }
        final long stopNs = System.nanoTime();
        stopNodesLeaderFirst(problems);
        synchronized (this)
        {
            for (final LogshipClient c : clients)
            {
                try
                {
                    c.close();
                }
                catch (final RuntimeException ex)
                {
                    problems.add("closing a client failed: " + ex);
                }
            }
            clients.clear();
            client = null;
            statusClient = null;
            for (final RawWireClient raw : rawClients)
            {
                try
                {
                    raw.close();
                }
                catch (final RuntimeException ex)
                {
                    problems.add("closing a raw client failed: " + ex);
                }
            }
            rawClients.clear();
        }
        System.out.println(name + ": nodes stopped in " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopNs) +
            " ms");
        for (final NodeProcess node : nodes.values())
        {
            final List<String> allErrors = node.logLines().stream()
                .filter(line -> line.contains(" ERROR ") || line.contains(" SEVERE "))
                .toList();
            final List<String> errors = allErrors.stream()
                .filter(line -> expectedErrors.stream().noneMatch(expected -> expected.test(line)))
                .toList();
            if (allErrors.size() > errors.size())
            {
                System.out.println(name + ": node " + node.nodeId() + " logged " + (allErrors.size() - errors.size()) +
                    " expected error line(s), first: " + allErrors.stream().filter(line -> !errors.contains(line))
                    .findFirst().orElse(""));
            }
            if (!errors.isEmpty())
            {
                problems.add("node " + node.nodeId() + " logged " + errors.size() + " unexpected error line(s), first: " +
                    errors.subList(0, Math.min(5, errors.size())));
            }
        }
        if (testFailed || !problems.isEmpty())
        {
            System.err.println("system test " + name + " failed: kept its directory (configs, data, node logs, thread " +
                "dumps) at " + dir);
        }
        else
        {
            deleteRecursively(dir);
        }
        return problems;
    }

    /**
     * SIGTERMs the running nodes, each time the current leader first: it hands its epoch to a live follower in about
     * 100 ms, where a leader stopped after its followers tried to hand over to one that had just gone and waited out
     * the handover timeout (4-6 s per test in id order whenever the leader had the highest id). With no leader (or
     * none that answers), the rest are signalled at once, so their clean stops overlap. Every node is checked for a
     * clean stop and its leftovers removed.
     */
    private void stopNodesLeaderFirst(final List<String> problems)
    {
        while (true)
        {
            final List<NodeProcess> running = nodes.values().stream().filter(NodeProcess::isRunning).toList();
            if (running.isEmpty())
            {
                break;
            }
            int leader = -1;
            if (running.size() > 1)
            {
                try
                {
                    leader = currentLeader(new TreeMap<>());
                }
                catch (final RuntimeException ex)
                {
                    leader = -1; // the statuses go unanswered: stop them all
                }
            }
            if (leader > 0)
            {
                stopCleanly(nodes.get(leader), problems);
            }
            else
            {
                running.forEach(NodeProcess::signalStop);
                running.forEach(node -> stopCleanly(node, problems));
            }
        }
        for (final NodeProcess node : nodes.values())
        {
            try
            {
                node.deleteLeftovers();
            }
            catch (final RuntimeException ex)
            {
                problems.add(ex.getMessage());
            }
        }
    }

    private static void stopCleanly(final NodeProcess node, final List<String> problems)
    {
        try
        {
            final int code = node.stop();
            if (!node.stoppedCleanly())
            {
                problems.add("node " + node.nodeId() + " did not stop cleanly after SIGTERM (exit code " + code +
                    "), log " + node.logFile());
            }
        }
        catch (final RuntimeException | AssertionError ex)
        {
            problems.add(ex.getMessage());
        }
    }

    private static void deleteRecursively(final Path root)
    {
        try (Stream<Path> paths = Files.walk(root))
        {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot delete " + root, ex);
        }
    }

    /** Distinct free UDP ports on 127.0.0.1: bind them all at once (so they differ), then release them. */
    @Override
    public String toString()
    {
        return "cluster " + name + " " + nodes.values() + " in " + dir;
    }
}
