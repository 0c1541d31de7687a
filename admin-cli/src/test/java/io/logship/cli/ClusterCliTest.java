package io.logship.cli;

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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The JSON output of status, put, get, tail and verify, and load's acknowledged-writes file, against three
 * real logshipd processes on 127.0.0.1 (started from node-daemon's build output). Kept to one cluster and a
 * handful of commands: failure scenarios belong to system-tests.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ClusterCliTest
{
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
                "-Xmx256m", "-cp", classpath, "io.logship.node.NodeDaemon", "--config",
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
            if (count(run.out(), "\"role\":\"LEADER\"") == 1 && count(run.out(), "\"role\":\"FOLLOWER\"") == 2)
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
        assertThat(run.out()).startsWith("{\"nodes\":[{\"id\":1,\"address\":\"127.0.0.1:");
        assertThat(count(run.out(), "\"reachable\":true")).isEqualTo(3);
        for (final String field : List.of("role", "epoch", "leaderId", "logStartOffset", "logEndOffset",
            "durableEndOffset", "commitOffset", "appliedOffset", "lag"))
        {
            assertThat(count(run.out(), "\"" + field + "\":")).as(field).isEqualTo(3);
        }
    }

    @Test
    void shouldReadOwnWriteFromAFollowerAndReportNotFound()
    {
        final CliRun put = CliRun.run("put", "colour", "blue", "--config", config, "--json");
        assertThat(put.exitCode()).as(put.err()).isZero();
        assertThat(put.out()).contains("\"ackLevelReached\":\"quorum\"");
        final long offset = number(put.out(), "offset");

        final CliRun get = CliRun.run("get", "colour", "--node", "3", "--min-offset", Long.toString(offset),
            "--config", config, "--json");
        assertThat(get.exitCode()).as(get.err()).isZero();
        assertThat(get.out().strip()).startsWith("{\"key\":\"colour\",\"found\":true,\"offset\":" + offset + ",")
            .contains("\"valueCrc32c\":" + Bytes.crc32c("blue".getBytes(StandardCharsets.UTF_8)))
            .contains("\"value\":\"blue\"", "\"valueEncoding\":\"utf-8\"", "\"node\":3", "\"appliedOffset\":");

        final CliRun missing = CliRun.run("get", "no-such-key", "--config", config, "--json");
        assertThat(missing.exitCode()).isEqualTo(AdminCli.EXIT_NOT_FOUND);
        assertThat(missing.out()).contains("\"found\":false");

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
        assertThat(load.out()).contains("\"acknowledged\":500", "\"failed\":0");
        final List<String> lines = Files.readAllLines(out);
        assertThat(lines).hasSize(500);
        assertThat(lines.get(0)).matches("\\{\"key\":\"load-\\d+\",\"offset\":\\d+,\"epoch\":\\d+,\"crc32c\":\\d+," +
            "\"ackMs\":\\d+}");

        final CliRun verify = CliRun.run("verify", "--config", config, "--json");
        assertThat(verify.exitCode()).as(verify.out() + verify.err()).isZero();
        assertThat(verify.out()).startsWith("{\"ok\":true,");
    }

    private static int count(final String text, final String needle)
    {
        int count = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1))
        {
            count++;
        }
        return count;
    }

    private static long number(final String json, final String field)
    {
        final Matcher matcher = Pattern.compile("\"" + field + "\":(\\d+)").matcher(json);
        assertThat(matcher.find()).as(field + " in " + json).isTrue();
        return Long.parseLong(matcher.group(1));
    }
}
