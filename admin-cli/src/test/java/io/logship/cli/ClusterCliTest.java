package io.logship.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.logship.cli.load.LoadGenerator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The JSON output of status, put, get, tail and verify, and load's acknowledged-writes file, against three
 * real logshipd processes on 127.0.0.1 (started from node-daemon's build output). Kept to one cluster and a
 * handful of commands: failure scenarios belong to system-tests.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ClusterCliTest
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<Process> NODES = new ArrayList<>();
    private static Path dir;
    private static String config;
    private static String skipReason;

    /**
     * The test starts real nodes from the packaged node-daemon (`mvn verify` packages it before this
     * module's tests; `mvn test` does not). Without it the test fails rather than passing unrun, unless
     * -Dlogship.test.allowSkip=node-daemon-jar (or all) asks for a printed skip.
     */
    private static boolean requirePackaged(final boolean packaged, final String missing)
    {
        if (packaged)
        {
            return true;
        }
        final String allow = System.getProperty("logship.test.allowSkip", "");
        if (java.util.Arrays.stream(allow.split(",")).map(String::strip)
            .anyMatch(v -> v.equals("node-daemon-jar") || v.equals("all")))
        {
            System.out.println("SKIPPED (allowed by -Dlogship.test.allowSkip=node-daemon-jar): " + missing);
            skipReason = missing;
            return false;
        }
        org.junit.jupiter.api.Assertions.fail(missing + ". Run `mvn verify` (which packages node-daemon first), " +
            "or skip this test on purpose with -Dlogship.test.allowSkip=node-daemon-jar");
        return false;
    }

    /** Each test is reported skipped (a class aborted in @BeforeAll would count as zero tests). */
    @BeforeEach
    void skipWhenAllowed()
    {
        if (null != skipReason)
        {
            org.junit.jupiter.api.Assumptions.abort(skipReason + " (skip allowed by -Dlogship.test.allowSkip)");
        }
    }

    @BeforeAll
    static void startCluster() throws Exception
    {
        final Path nodeDaemon = Path.of("..", "node-daemon", "target").toAbsolutePath().normalize();
        final Path classpathFile = nodeDaemon.resolve("runtime-classpath.txt");
        if (!requirePackaged(Files.exists(classpathFile), "node-daemon is not packaged: no " + classpathFile))
        {
            return;
        }
        final Path jar;
        try (var jars = Files.list(nodeDaemon))
        {
            jar = jars.filter((p) -> p.getFileName().toString().matches("node-daemon-.*\\.jar") &&
                !p.getFileName().toString().endsWith("-tests.jar")).findFirst().orElse(null);
        }
        if (!requirePackaged(null != jar, "no node-daemon jar in " + nodeDaemon))
        {
            return;
        }
        final String classpath = jar + java.io.File.pathSeparator + Files.readString(classpathFile).strip();

        dir = Files.createTempDirectory("logship-cli-test-");
        final int basePort = LocalCluster.freeBasePort(3);
        LocalCluster.write(dir, 3, basePort, false);
        config = dir.resolve("node1.conf").toString();
        final Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        for (int i = 1; i <= 3; i++)
        {
            NODES.add(new ProcessBuilder(java.toString(), "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
                // The store's lz4 library unpacks itself into java.io.tmpdir, removed only at a normal exit.
                "-Xmx256m", "-Djava.io.tmpdir=" + dir, "-cp", classpath, "io.logship.node.NodeDaemon", "--config",
                dir.resolve("node" + i + ".conf").toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("node" + i + ".log").toFile())
                .start());
        }
        awaitLeaderAndFollowers();
    }

    private static void awaitLeaderAndFollowers() throws InterruptedException, IOException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        String last = "";
        while (System.nanoTime() - deadlineNs < 0)
        {
            final CliRun run = CliRun.run("status", "--config", config, "--json");
            last = run.out() + run.err();
            if (run.exitCode() == 0 && roles(parse(run.out())).equals(List.of("LEADER", "FOLLOWER", "FOLLOWER")))
            {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("no leader and two followers: " + last + "\nnode 1 log:\n" +
            Files.readString(dir.resolve("node1.log")));
    }

    @AfterAll
    static void stopCluster()
    {
        for (final Process node : NODES)
        {
            node.destroy();
        }
        for (final Process node : NODES)
        {
            try
            {
                if (!node.waitFor(15, TimeUnit.SECONDS))
                {
                    node.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            }
            catch (final InterruptedException ex)
            {
                node.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        if (null != dir)
        {
            DemoCommand.deleteRecursively(dir);
        }
    }

    @Test
    void shouldPrintStatusOfEveryNodeAsJson()
    {
        final CliRun run = CliRun.run("status", "--config", config, "--json");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out().strip().lines()).as("one line").hasSize(1);
        final JsonNode status = parse(run.out());
        assertThat(fieldNames(status)).containsExactly("nodes");
        assertThat(status.get("nodes")).hasSize(3);
        for (int i = 0; i < 3; i++)
        {
            final JsonNode node = status.get("nodes").get(i);
            assertThat(fieldNames(node)).as("node " + (i + 1)).containsExactly("id", "address", "reachable", "role",
                "epoch", "leaderId", "logStartOffset", "logEndOffset", "durableEndOffset", "commitOffset",
                "appliedOffset", "lag", "autoFailover", "elections", "resync", "quarantinedRecords", "note",
                "configurationOffset", "members");
            assertThat(node.get("members")).as("every node's member set: the three seeded voters").hasSize(3);
            assertThat(fieldNames(node.get("members").get(0))).containsExactly("id", "address", "role");
            assertThat(node.get("members").get(0).get("role").asText()).isEqualTo("voter");
            assertThat(node.get("id").isInt()).isTrue();
            assertThat(node.get("id").asInt()).isEqualTo(i + 1);
            assertThat(node.get("address").asText()).startsWith("127.0.0.1:");
            assertThat(node.get("reachable").asBoolean()).isTrue();
            assertThat(node.get("role").asText()).isIn("LEADER", "FOLLOWER");
            assertThat(node.get("logEndOffset").isIntegralNumber()).isTrue();
            assertThat(node.get("autoFailover").isBoolean()).isTrue();
            assertThat(fieldNames(node.get("resync")))
                .containsExactly("remainingRecords", "recordsPerSecond", "bytesPerSecond", "etaMs");
        }
    }

    @Test
    void shouldReadOwnWriteFromAFollowerAndReportNotFound()
    {
        final CliRun put = CliRun.run("put", "colour", "blue", "--config", config, "--json");
        assertThat(put.exitCode()).as(put.err()).isZero();
        final JsonNode written = parse(put.out());
        assertThat(fieldNames(written))
            .containsExactly("operation", "key", "offset", "epoch", "ackLevelReached", "leaderId", "durability");
        assertThat(written.get("operation").asText()).isEqualTo("put");
        assertThat(written.get("ackLevelReached").asText()).isEqualTo("quorum");
        // fsync=always, quorum: the receipt says a majority of the three had fsynced it when the leader answered.
        final JsonNode receipt = written.get("durability");
        assertThat(fieldNames(receipt)).containsExactly("written", "fsynced");
        assertThat(receipt.get("fsynced").asInt()).as(put.out()).isBetween(2, 3);
        assertThat(receipt.get("written").asInt()).as(put.out()).isBetween(receipt.get("fsynced").asInt(), 3);
        assertThat(written.get("offset").isIntegralNumber()).isTrue();
        final long offset = written.get("offset").asLong();

        final CliRun get = CliRun.run("get", "colour", "--node", "3", "--min-offset", Long.toString(offset),
            "--config", config, "--json");
        assertThat(get.exitCode()).as(get.err()).isZero();
        final JsonNode read = parse(get.out());
        assertThat(fieldNames(read)).containsExactly("key", "found", "offset", "valueCrc32c", "value", "valueEncoding",
            "valueLength", "appliedOffset", "node");
        assertThat(read.get("key").asText()).isEqualTo("colour");
        assertThat(read.get("found").asBoolean()).isTrue();
        assertThat(read.get("offset").asLong()).isEqualTo(offset);
        assertThat(read.get("valueCrc32c").asLong()).isEqualTo(Bytes.crc32c("blue".getBytes(StandardCharsets.UTF_8)));
        assertThat(read.get("value").asText()).isEqualTo("blue");
        assertThat(read.get("valueEncoding").asText()).isEqualTo("utf-8");
        assertThat(read.get("node").asInt()).isEqualTo(3);
        assertThat(read.get("appliedOffset").asLong()).isGreaterThanOrEqualTo(offset);

        final CliRun missing = CliRun.run("get", "no-such-key", "--config", config, "--json");
        assertThat(missing.exitCode()).isEqualTo(AdminCli.EXIT_NOT_FOUND);
        final JsonNode notFound = parse(missing.out());
        assertThat(fieldNames(notFound)).containsExactly("key", "found", "appliedOffset", "node");
        assertThat(notFound.get("found").asBoolean()).isFalse();

        final CliRun tail = CliRun.run("tail", "--from", Long.toString(offset), "--max-records", "1", "--config",
            config, "--json");
        assertThat(tail.exitCode()).as(tail.err()).isZero();
        assertThat(tail.out().strip()).isEqualTo("{\"offset\":" + offset + ",\"type\":\"PUT\",\"key\":\"colour\"," +
            "\"valueCrc32c\":" + Bytes.crc32c("blue".getBytes(StandardCharsets.UTF_8)) + ",\"valueLength\":4}");
    }

    @Test
    void shouldLoadAndVerify() throws IOException
    {
        final Path out = dir.resolve("acks.jsonl");
        final CliRun load = CliRun.run("load", "--records", "500", "--value-size", "32", "--key-prefix", "load-",
            "--out", out.toString(), "--config", config, "--json");
        assertThat(load.exitCode()).as(load.err()).isZero();
        final JsonNode summary = parse(load.out());
        assertThat(fieldNames(summary)).containsExactly("records", "acknowledged", "failed", "elapsedMs",
            "recordsPerSec", "mbPerSec", "latencyUs", "ack", "valueSize", "rate", "inFlight", "firstError",
            "durability");
        assertThat(summary.get("acknowledged").asLong()).isEqualTo(500);
        final JsonNode durability = summary.get("durability");
        assertThat(fieldNames(durability)).containsExactly("minWritten", "minFsynced", "byWritten", "byFsynced");
        assertThat(durability.get("minFsynced").asInt()).as(load.out()).isGreaterThanOrEqualTo(2);
        long fsyncedByMajority = 0;
        for (int k = 2; k < durability.get("byFsynced").size(); k++)
        {
            fsyncedByMajority += durability.get("byFsynced").get(k).asLong();
        }
        assertThat(fsyncedByMajority).as("quorum writes under fsync=always: every receipt a fsynced majority")
            .isEqualTo(500);
        assertThat(summary.get("failed").asLong()).isZero();
        assertThat(summary.get("recordsPerSec").isNumber()).isTrue();
        assertThat(fieldNames(summary.get("latencyUs"))).containsExactly("p50", "p99", "p999", "max", "mean");
        assertThat(summary.get("firstError").isNull()).isTrue();
        final List<String> lines = Files.readAllLines(out);
        assertThat(lines).hasSize(500);
        final Set<String> keys = new HashSet<>();
        for (final String line : lines)
        {
            final JsonNode ack = parse(line);
            assertThat(fieldNames(ack)).containsExactly("key", "offset", "epoch", "crc32c", "ackMs", "written", "fsynced");
            assertThat(ack.get("fsynced").asInt()).as(line).isGreaterThanOrEqualTo(2);
            assertThat(ack.get("key").asText()).startsWith("load-");
            assertThat(ack.get("offset").isIntegralNumber() && ack.get("epoch").isIntegralNumber()).isTrue();
            final byte[] key = ack.get("key").asText().getBytes(StandardCharsets.UTF_8);
            assertThat(ack.get("crc32c").asLong()).as(line)
                .isEqualTo(LoadGenerator.crc32c(LoadGenerator.value(key, 32)));
            keys.add(ack.get("key").asText());
        }
        assertThat(keys).hasSize(500);

        final CliRun verify = CliRun.run("verify", "--config", config, "--json");
        assertThat(verify.exitCode()).as(verify.out() + verify.err()).isZero();
        final JsonNode verified = parse(verify.out());
        assertThat(fieldNames(verified)).containsExactly("ok", "fromOffset", "toOffset", "nodes", "failures");
        assertThat(verified.get("ok").asBoolean()).isTrue();
        assertThat(verified.get("nodes")).hasSize(3);
        assertThat(verified.get("failures")).isEmpty();
    }

    /** One JSON value; fails the test, showing the text, if it is not valid JSON. */
    private static JsonNode parse(final String text)
    {
        try
        {
            return JSON.readTree(text);
        }
        catch (final JsonProcessingException ex)
        {
            throw new AssertionError("not valid JSON: " + text, ex);
        }
    }

    private static List<String> fieldNames(final JsonNode object)
    {
        final List<String> names = new ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static List<String> roles(final JsonNode status)
    {
        final List<String> roles = new ArrayList<>();
        status.get("nodes").forEach((node) -> roles.add(node.path("role").asText("UNREACHABLE")));
        roles.sort(Comparator.comparing((String role) -> !"LEADER".equals(role)));
        return roles;
    }
}
