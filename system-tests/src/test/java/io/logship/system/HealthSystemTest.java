package io.logship.system;

import io.logship.client.LogshipClient;
import io.logship.system.harness.AckedWrites;
import io.logship.system.harness.AdminCliProcess;
import io.logship.system.harness.Json;
import io.logship.system.harness.Poll;
import io.logship.system.harness.SystemTestWatcher;
import io.logship.system.harness.TestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The metrics port of real {@code logshipd} processes: the Prometheus exposition parses strictly (every family
 * has HELP and TYPE, families are not interleaved) and holds the node, build, role, transport and JVM families;
 * the health checks a load balancer uses answer per role, and {@code logship health} judges the cluster.
 */
class HealthSystemTest
{
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @RegisterExtension
    final SystemTestWatcher watcher = new SystemTestWatcher();

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldExportMetricFamiliesAndAnswerHealthChecksPerRole()
    {
        final TestCluster cluster = watcher.cluster(3).start();
        final LogshipClient client = cluster.client();
        final AckedWrites writes = new AckedWrites("health", 200);
        AckedWrites.awaitAll(writes.write(client, 0, 200), 60);
        assertThat(writes.failedCount()).as("failed writes, first: %s", writes.firstFailure()).isZero();
        cluster.awaitCaughtUp();
        final int leader = cluster.leaderId();
        final int follower = cluster.nodeIds().stream().filter((id) -> id != leader).findFirst().orElseThrow();

        final Map<String, Family> families = parse(get(cluster, leader, "/metrics").body());
        assertThat(families).containsKeys("logship_build_info", "logship_node_role", "logship_role", "logship_epoch",
            "logship_commit_offset", "logship_follower_lag_records", "logship_messages_received",
            "logship_stale_epoch_refusals", "logship_transport_invalid_packets", "logship_journal_records",
            "logship_errors", "jvm_memory_used_bytes", "jvm_threads_current", "process_cpu_seconds");
        assertThat(families.get("logship_node_role").samples).containsEntry("logship_node_role{role=\"leader\"}", 1.0)
            .containsEntry("logship_node_role{role=\"follower\"}", 0.0);
        assertThat(families.get("logship_node_role").type).isEqualTo("gauge");
        assertThat(families.get("logship_stale_epoch_refusals").type).isEqualTo("counter");
        assertThat(families.get("logship_journal_records").samples.get("logship_journal_records_total"))
            .as("records the journal appended").isGreaterThanOrEqualTo(200.0);
        assertThat(families.get("logship_follower_lag_records").samples).hasSize(2);
        assertThat(families.get("logship_messages_received").samples)
            .containsKey("logship_messages_received_total{stream=\"client_ingress\"}");
        assertThat(families.get("logship_build_info").samples.keySet())
            .anySatisfy((sample) -> assertThat(sample).matches("logship_build_info\\{version=\"[^\"]+\"}"));
        assertThat(families.get("logship_transport_invalid_packets").samples)
            .containsKey("logship_transport_invalid_packets_total");

        final Family append = families.get("logship_journal_append_seconds");
        assertThat(append.type).isEqualTo("histogram");
        assertThat(append.samples.get("logship_journal_append_seconds_count")).as("the leader appended batches")
            .isPositive().isEqualTo(append.samples.get("logship_journal_append_seconds_bucket{le=\"+Inf\"}"));
        // The leader timed the 200 quorum writes to their commit, the heartbeats' round trips and its store's apply.
        for (final String histogram : List.of("logship_commit_latency_seconds", "logship_replication_rtt_seconds",
            "logship_apply_lag_seconds"))
        {
            assertHistogramCounted(families, histogram);
        }
        // The duty-cycle counters a benchmark reads before and after its run: one sample per threshold, and a
        // longer threshold never counts more cycles than a shorter one.
        final Family overs = families.get("logship_duty_cycles_over");
        assertThat(overs.type).isEqualTo("counter");
        final List<String> thresholds = List.of("0.001", "0.002", "0.005", "0.01", "0.02", "0.05", "0.1");
        double previous = Double.MAX_VALUE;
        for (final String threshold : thresholds)
        {
            final Double count = overs.samples.get("logship_duty_cycles_over_total{threshold_seconds=\"" + threshold +
                "\"}");
            assertThat(count).as("cycles over %s s in %s", threshold, overs.samples).isNotNull()
                .isLessThanOrEqualTo(previous);
            previous = count;
        }
        assertThat(families.get("logship_log_events_dropped").samples)
            .as("nothing floods stdout here").containsEntry("logship_log_events_dropped_total", 0.0);

        final AdminCliProcess.Result healthy = AdminCliProcess.run(cluster.dir(), Duration.ofSeconds(60), "health",
            "--json", "--config", cluster.node(follower).configFile().toString());
        assertThat(healthy.exitCode()).as("%s", healthy).isZero();
        final Json health = Json.parse(healthy.stdout(), "health --json");
        assertThat(health.getString("health")).as("%s", health).isEqualTo("healthy");
        assertThat(health.getInt("exitCode")).as("%s", health).isZero();
        assertThat(health.getInt("leaderId")).as("%s", health).isEqualTo(leader);
        assertThat(health.getInt("serving")).as("%s", health).isEqualTo(3);
        assertThat(health.getInt("members")).as("%s", health).isEqualTo(3);
        assertThat(health.getStrings("problems")).as("%s", health).isEmpty();

        final Map<String, Family> followerFamilies = parse(get(cluster, follower, "/metrics").body());
        assertThat(followerFamilies.get("logship_node_role").samples)
            .containsEntry("logship_node_role{role=\"follower\"}", 1.0);
        final Family fsync = followerFamilies.get("logship_follower_fsync_seconds");
        assertThat(fsync.type).isEqualTo("histogram");
        assertThat(fsync.samples.get("logship_follower_fsync_seconds_count")).as("the follower fsynced 200 writes")
            .isPositive().isEqualTo(fsync.samples.get("logship_follower_fsync_seconds_bucket{le=\"+Inf\"}"));
        assertHistogramCounted(followerFamilies, "logship_apply_lag_seconds");

        final int epoch = assertState(cluster, leader, "/health", 200, "leader", leader).getInt("epoch");
        assertThat(epoch).as("the leader's epoch").isPositive();
        assertState(cluster, leader, "/ready", 200, "leader", leader);
        assertThat(assertState(cluster, leader, "/leader", 200, "leader", leader).getInt("epoch")).isEqualTo(epoch);
        assertState(cluster, leader, "/replica", 503, "leader", leader);
        assertThat(assertState(cluster, follower, "/health", 200, "follower", leader).getInt("epoch"))
            .isEqualTo(epoch);
        assertState(cluster, follower, "/ready", 200, "follower", leader);
        assertState(cluster, follower, "/leader", 503, "follower", leader);
        assertThat(assertState(cluster, follower, "/replica?lag=0", 200, "follower", leader).getLong("lag")).isZero();
        assertError(cluster, follower, "/replica?lag=-3", 400, "lag must be a whole number");
        assertError(cluster, follower, "/nothing", 404, "no such path");

        // After the leader is SIGKILLed a new one takes /leader, and logship health names the dead node (degraded).
        cluster.node(leader).kill9();
        final int next = cluster.leaderId();
        assertThat(next).isNotEqualTo(leader);
        Poll.until("node " + next + " to answer /leader", Duration.ofSeconds(30),
            () -> get(cluster, next, "/leader").statusCode() == 200, () -> get(cluster, next, "/leader").body());
        final AdminCliProcess.Result degraded = AdminCliProcess.run(cluster.dir(), Duration.ofSeconds(60), "health",
            "--config", cluster.node(next).configFile().toString());
        assertThat(degraded.exitCode()).as("%s", degraded).isEqualTo(1);
        assertThat(degraded.stdout()).startsWith("degraded: leader " + next)
            .contains("node " + leader + " (" + TestCluster.HOST + ":" + cluster.port(leader) + "): unreachable");
    }

    private static void assertHistogramCounted(final Map<String, Family> families, final String name)
    {
        final Family family = families.get(name);
        assertThat(family).as("family %s in %s", name, families.keySet()).isNotNull();
        assertThat(family.type).isEqualTo("histogram");
        assertThat(family.samples.get(name + "_count")).as("%s observations", name).isPositive()
            .isEqualTo(family.samples.get(name + "_bucket{le=\"+Inf\"}"));
        assertThat(family.samples.get(name + "_sum")).as("%s sum", name).isPositive();
    }

    /**
     * A health check's answer about the node: HTTP {@code status} and exactly the fields {@code node, role, epoch,
     * leader, lag} in that order (what load balancers and node-daemon/README.md rely on), naming this node, its
     * role in lower case and the leader it knows.
     */
    private static Json assertState(final TestCluster cluster, final int nodeId, final String path, final int status,
        final String role, final int leaderId)
    {
        final HttpResponse<String> response = get(cluster, nodeId, path);
        assertThat(response.statusCode()).as("GET %s on node %d: %s", path, nodeId, response.body()).isEqualTo(status);
        final Json body = Json.parse(response.body(), "GET " + path + " on node " + nodeId);
        assertThat(body.fieldNames()).as("%s", body).containsExactly("node", "role", "epoch", "leader", "lag");
        assertThat(body.getInt("node")).as("%s", body).isEqualTo(nodeId);
        assertThat(body.getString("role")).as("%s", body).isEqualTo(role);
        assertThat(body.getInt("epoch")).as("%s", body).isNotNegative();
        assertThat(body.getInt("leader")).as("%s", body).isEqualTo(leaderId);
        assertThat(body.getLong("lag")).as("%s", body).isGreaterThanOrEqualTo(-1);
        return body;
    }

    /** A refused request: HTTP {@code status} and only an {@code error} field that says why. */
    private static void assertError(final TestCluster cluster, final int nodeId, final String path, final int status,
        final String messagePart)
    {
        final HttpResponse<String> response = get(cluster, nodeId, path);
        assertThat(response.statusCode()).as("GET %s on node %d: %s", path, nodeId, response.body()).isEqualTo(status);
        final Json body = Json.parse(response.body(), "GET " + path + " on node " + nodeId);
        assertThat(body.fieldNames()).as("%s", body).containsExactly("error");
        assertThat(body.getString("error")).as("%s", body).contains(messagePart);
    }

    private static HttpResponse<String> get(final TestCluster cluster, final int nodeId, final String path)
    {
        try
        {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://" + TestCluster.HOST + ":" +
                metricsPort(cluster, nodeId) + path)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("GET " + path + " on node " + nodeId, ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", ex);
        }
    }

    private static int metricsPort(final TestCluster cluster, final int nodeId)
    {
        final Properties config = new Properties();
        try (Reader in = Files.newBufferedReader(cluster.dir().resolve("node-" + nodeId + ".conf")))
        {
            config.load(in);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("config of node " + nodeId, ex);
        }
        return Integer.parseInt(config.getProperty("logship.node.metrics.port"));
    }

    /** One metric family of the exposition: its HELP, TYPE and samples (sample name with labels -> value). */
    private record Family(String name, String help, String type, Map<String, Double> samples)
    {
    }

    private static final Pattern HELP = Pattern.compile("# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)");
    private static final Pattern TYPE = Pattern.compile(
        "# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped|info|stateset|unknown)");
    private static final Pattern SAMPLE = Pattern.compile(
        "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(?:[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\]|\\\\.)*\",?)*})? " +
        "(-?[0-9.eE+-]+|NaN|[+-]Inf)( -?\\d+)?");

    /**
     * A strict parser of the Prometheus text format 0.0.4 (Prometheus' Java client ships writers, not a parser):
     * every line is a HELP, a TYPE or a sample; a family's HELP and TYPE come before its samples and its samples
     * are contiguous; a counter's samples end in {@code _total} or {@code _created}.
     */
    private static Map<String, Family> parse(final String text)
    {
        final Map<String, Family> families = new LinkedHashMap<>();
        String help = null;
        String helpName = null;
        Family current = null;
        final List<String> closed = new ArrayList<>();
        for (final String line : text.split("\n"))
        {
            final Matcher helpLine = HELP.matcher(line);
            final Matcher typeLine = TYPE.matcher(line);
            final Matcher sample = SAMPLE.matcher(line);
            if (helpLine.matches())
            {
                if (null != current)
                {
                    closed.add(current.name);
                }
                current = null;
                helpName = helpLine.group(1);
                help = helpLine.group(2);
            }
            else if (typeLine.matches())
            {
                assertThat(typeLine.group(1)).as("TYPE right after the HELP of the same family: %s", line)
                    .isEqualTo(helpName);
                // Format 0.0.4 names a counter family by its sample name (with _total); the family is the base name.
                final String name = "counter".equals(typeLine.group(2)) && helpName.endsWith("_total") ?
                    helpName.substring(0, helpName.length() - "_total".length()) : helpName;
                assertThat(families).as("family %s declared once", name).doesNotContainKey(name);
                current = new Family(name, help, typeLine.group(2), new TreeMap<>());
                families.put(name, current);
            }
            else if (sample.matches())
            {
                assertThat(current).as("sample after its family's HELP and TYPE: %s", line).isNotNull();
                final String name = sample.group(1);
                assertThat(name).as("sample of family %s (not interleaved): %s", current.name, line)
                    .startsWith(current.name);
                final String suffix = name.substring(current.name.length());
                assertThat(suffix).as("suffix of %s in %s family %s", name, current.type, current.name)
                    .isIn(switch (current.type)
                    {
                        case "counter" -> List.of("_total", "_created");
                        case "histogram" -> List.of("_bucket", "_count", "_sum", "_created");
                        case "summary" -> List.of("", "_count", "_sum", "_created");
                        default -> List.of("");
                    });
                final String value = sample.group(3);
                current.samples.put(name + (null == sample.group(2) ? "" : sample.group(2)),
                    value.endsWith("Inf") ? (value.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY) :
                    Double.parseDouble(value));
            }
            else
            {
                assertThat(line).as("a HELP, TYPE or sample line").isEmpty();
            }
        }
        for (final String name : closed)
        {
            assertThat(families).as("family %s has a TYPE", name).containsKey(name);
        }
        return families;
    }
}
