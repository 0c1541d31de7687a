package io.logship.system;

import io.logship.log.LogDump;
import io.logship.system.harness.Json;
import io.logship.system.harness.NamespaceNetwork;
import io.logship.system.harness.Poll;
import io.logship.system.harness.Release;
import io.logship.system.harness.Shell;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three hosts and an operator machine as Linux network namespaces on one bridge (10.77.0.0/24, see
 * {@link NamespaceNetwork}), installed from the release tarball by following dist/README.md's "Install on three
 * hosts" step by step, within what a namespace allows: each host gets its own root directory (its /opt, /etc,
 * /var/lib) instead of a file system of its own, there is no systemd inside a namespace so the test runs the unit's
 * ExecStartPre and ExecStart commands itself with the unit's EnvironmentFile, and everything runs as root (no
 * logship user, so no chown). The one line added to each node config is an aeron directory of its own, because
 * these "hosts" share this machine's /dev/shm.
 *
 * <p>Then, from the operator namespace with the release's bin/logship: status, put/get, load while the leader is
 * SIGKILLed, promote, load while the leader's cable is pulled (a real partition: its bridge port goes down), heal,
 * verify; and finally every write any load acknowledged is read from every node's log. Skipped with a printed
 * reason without root or iproute2; removes its namespaces, processes and files also when it fails.
 */
class MultiHostNamespaceSystemTest
{
    private static final Duration CLI_TIMEOUT = Duration.ofSeconds(60);
    private static final int NODES = 3;
    private static final int PORT = 7001;
    private static final Pattern DUMP_RECORD = Pattern.compile(
        "^\\s+offset (\\d+) PUT key=(\\S+) value=\\d+ bytes crc32c=([0-9a-f]{8})");

    private final Map<Integer, NamespaceNetwork.Host> hosts = new TreeMap<>();
    private final Map<Integer, Process> nodes = new HashMap<>();
    private final Map<Process, Path> loads = new LinkedHashMap<>();
    private NamespaceNetwork network;
    private NamespaceNetwork.Host ops;
    private Path dir;
    private Path opsConfig;
    private int cliRuns;

    @BeforeAll
    static void requireNamespaces()
    {
        final String reason = NamespaceNetwork.unavailableReason();
        if (null != reason)
        {
            System.out.println("MultiHostNamespaceSystemTest skipped: " + reason);
        }
        Assumptions.assumeTrue(null == reason, reason);
        NamespaceNetwork.removeStale();
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void shouldRunAClusterOfThreeHostsFromTheReleaseAndKeepEveryAcknowledgedWriteThroughAKillAndAPartition()
        throws Exception
    {
        dir = Files.createTempDirectory("logship-multihost");
        boolean passed = false;
        try
        {
            network = new NamespaceNetwork();
            install();

            // systemctl enable --now logshipd, on every host: the unit's ExecStartPre, then its ExecStart.
            for (int id = 1; id <= NODES; id++)
            {
                final Shell.Result check = Shell.run(CLI_TIMEOUT, environment(id), network.inHost(hosts.get(id),
                    List.of(bin(id, "logshipd").toString(), "--check-config", "--config", config(id).toString())));
                assertThat(check.exitCode()).as("%s", check).isZero();
                startNode(id);
            }
            final int firstLeader = awaitOneLeader(Duration.ofSeconds(60), NODES);

            // The answers come back across hosts only to the address the CLI derives from its route to the cluster:
            // told to listen on its own loopback (what it did before), it hears nothing.
            final Shell.Result loopback = logship("status", "--response-host", "127.0.0.1", "--timeout-ms", "1500",
                "--config", opsConfig.toString());
            assertThat(loopback.exitCode()).as("%s", loopback).isEqualTo(1);
            assertThat(loopback.stderr()).contains("no node answered");

            final Shell.Result put = logship("put", "--config", opsConfig.toString(), "greeting", "hello-from-ops");
            assertThat(put.exitCode()).as("%s", put).isZero();
            final Shell.Result get = logship("get", "--config", opsConfig.toString(), "greeting");
            assertThat(get.exitCode()).as("%s", get).isZero();
            assertThat(get.stdout()).contains("greeting = hello-from-ops");

            // SIGKILL the leader under load; the load must still have every write acknowledged.
            final Path acks1 = dir.resolve("acks-kill.jsonl");
            final Process load1 = startLoad("kill-", 5_000, acks1);
            awaitLines(acks1, 1_000, load1);
            kill(firstLeader);
            assertLoadSucceeded(load1, 5_000);
            startNode(firstLeader); // what Restart=on-failure does
            final int secondLeader = awaitOneLeader(Duration.ofSeconds(60), NODES);

            // promote: hand leadership to a node that does not lead.
            final int promoted = secondLeader % NODES + 1;
            final Shell.Result promote = logship("promote", String.valueOf(promoted), "--config", opsConfig.toString());
            assertThat(promote.exitCode()).as("%s", promote).isZero();
            Poll.until("node " + promoted + " to lead after promote", Duration.ofSeconds(30),
                () -> leaders(status()).equals(List.of(promoted)), this::lastStatus);

            // A real partition: the leader's cable is pulled under load; the other two elect a leader and go on.
            final Path acks2 = dir.resolve("acks-partition.jsonl");
            final Process load2 = startLoad("part-", 4_000, acks2);
            awaitLines(acks2, 800, load2);
            network.cut(hosts.get(promoted));
            assertLoadSucceeded(load2, 4_000);
            final Map<Integer, Status> duringPartition = status();
            assertThat(duringPartition.get(promoted).reachable()).as("partitioned node %s answers: %s", promoted,
                duringPartition).isFalse();
            assertThat(leaders(duringPartition)).hasSize(1).doesNotContain(promoted);
            network.heal(hosts.get(promoted));

            // After healing, every node converges on one log.
            Poll.until("logship verify to pass on all three nodes", Duration.ofSeconds(60), () ->
            {
                final Shell.Result verify = logship("verify", "--json", "--config", opsConfig.toString());
                return verify.ok() && Json.parse(verify.stdout(), "verify --json").getBoolean("ok");
            }, this::lastStatus);
            Poll.until("every node to hold the whole log", Duration.ofSeconds(60), () ->
            {
                final Map<Integer, Status> status = status();
                return status.size() == NODES && status.values().stream().allMatch(Status::reachable) &&
                    status.values().stream().map(Status::logEndOffset).distinct().count() == 1;
            }, this::lastStatus);

            // systemctl stop: SIGTERM, a clean stop, then every acknowledged write is read from every node's log.
            for (int id = 1; id <= NODES; id++)
            {
                stopNode(id);
            }
            final List<Ack> acks = new ArrayList<>(readAcks(acks1));
            acks.addAll(readAcks(acks2));
            for (int id = 1; id <= NODES; id++)
            {
                final Map<Long, String[]> log = dumpLog(id);
                final List<String> missing = new ArrayList<>();
                for (final Ack ack : acks)
                {
                    final String[] record = log.get(ack.offset());
                    if (null == record || !record[0].equals(ack.key()) ||
                        Long.parseLong(record[1], 16) != ack.crc32c())
                    {
                        missing.add(ack + " -> " + (null == record ? "absent" : String.join(" ", record)));
                    }
                }
                assertThat(missing).as("acknowledged writes not in node %s's log (of %s)", id, acks.size()).isEmpty();
            }
            passed = true;
        }
        finally
        {
            cleanUp(passed);
        }
    }

    /** dist/README.md, "Install on three hosts", steps 1 to 4 on every host, and the operator machine. */
    private void install() throws IOException
    {
        for (int id = 1; id <= NODES; id++)
        {
            hosts.put(id, network.addHost("n" + id, id));
        }
        ops = network.addHost("ops", 100);
        final List<String> members = new ArrayList<>();
        for (int id = 1; id <= NODES; id++)
        {
            members.add(id + "@" + hosts.get(id).address() + ":" + PORT);
        }
        for (int id = 0; id <= NODES; id++) // 0: the operator machine
        {
            // 1. tar -xzf logship-VERSION.tar.gz -C /opt; ln -sfn /opt/logship-VERSION /opt/logship
            final Path opt = Files.createDirectories(root(id).resolve("opt"));
            final Path unpacked = Release.unpack(opt.resolve(Release.tarball().getFileName().toString()
                .replace(".tar.gz", "")));
            Files.createSymbolicLink(opt.resolve("logship"), unpacked.getFileName());
            // 2. the logship user (systemd-sysusers): none in a namespace; SystemdUnitSystemTest checks the file.
            // 3. install -d /etc/logship; the secret, made on host 1 and copied to the others.
            Files.createDirectories(root(id).resolve("etc/logship"));
        }
        final Shell.Result secret = Shell.run(CLI_TIMEOUT, Map.of(), network.inHost(hosts.get(1), List.of(
            bin(1, "logship").toString(), "secret", "generate", secretFile(1).toString())));
        assertThat(secret.exitCode()).as("%s", secret).isZero();
        for (int id = 0; id <= NODES; id++)
        {
            if (id != 1)
            {
                Shell.run(CLI_TIMEOUT, "cp", "-p", secretFile(1).toString(), secretFile(id).toString()).check();
            }
        }
        // 4. cp /opt/logship/conf/node.conf.example /etc/logship/node.conf; set logship.node.id and
        //    logship.cluster.nodes. The operator machine keeps a copy of host 1's.
        for (int id = 1; id <= NODES; id++)
        {
            final String example = Files.readString(root(id).resolve("opt/logship/conf/node.conf.example"),
                StandardCharsets.UTF_8);
            assertThat(example).contains("logship.node.id=1\n").contains("logship.cluster.nodes=");
            final String config = example
                .replace("logship.node.id=1\n", "logship.node.id=" + id + "\n")
                .replaceAll("(?m)^logship\\.cluster\\.nodes=.*$", "logship.cluster.nodes=" + String.join(",", members))
                // Each "host" has its own root directory rather than its own file system.
                .replace("=/etc/logship/", "=" + root(id).resolve("etc/logship") + "/")
                .replace("=/var/lib/logship", "=" + root(id).resolve("var/lib/logship"))
                + "# Added by the test only: these hosts share one /dev/shm.\n" +
                "logship.transport.aeron.dir=/dev/shm/" + NamespaceNetwork.PREFIX + ProcessHandle.current().pid() +
                "-aeron-" + id + "\n";
            Files.writeString(config(id), config, StandardCharsets.UTF_8);
            // StateDirectory=logship creates /var/lib/logship.
            Files.createDirectories(root(id).resolve("var/lib/logship"));
            // 5. cp /opt/logship/systemd/logshipd.default /etc/default/logshipd, LOGSHIP_JAVA_OPTS set. The test adds
            // the host's own java.io.tmpdir, as the unit's PrivateTmp=yes gives it one: the store's lz4 library unpacks
            // itself there, and a SIGKILLed node would otherwise leave it in the machine's /tmp.
            final Path defaults = Files.createDirectories(root(id).resolve("etc/default")).resolve("logshipd");
            final Path tmp = Files.createDirectories(root(id).resolve("tmp"));
            Files.writeString(defaults, Files.readString(root(id).resolve("opt/logship/systemd/logshipd.default"))
                .replace("#LOGSHIP_JAVA_OPTS=\"-Xms1g -Xmx2g\"", "LOGSHIP_JAVA_OPTS=\"-Xms64m -Xmx256m " +
                    "-Djava.io.tmpdir=" + tmp + "\""));
        }
        opsConfig = config(0);
        Files.writeString(opsConfig, Files.readString(config(1)).replace(root(1).toString(), root(0).toString()));
    }

    private Path root(final int id)
    {
        return dir.resolve(0 == id ? "ops" : "host" + id);
    }

    private Path config(final int id)
    {
        return root(id).resolve("etc/logship/node.conf");
    }

    private Path secretFile(final int id)
    {
        return root(id).resolve("etc/logship/secret");
    }

    private Path bin(final int id, final String script)
    {
        return root(id).resolve("opt/logship/bin").resolve(script);
    }

    /** The unit's EnvironmentFile=-/etc/default/logshipd: KEY=VALUE lines, quotes removed, comments skipped. */
    private Map<String, String> environment(final int id) throws IOException
    {
        final Map<String, String> env = new LinkedHashMap<>();
        final Path file = root(id).resolve("etc/default/logshipd");
        for (final String line : Files.readAllLines(file, StandardCharsets.UTF_8))
        {
            final String trimmed = line.strip();
            final int eq = trimmed.indexOf('=');
            if (trimmed.isEmpty() || trimmed.startsWith("#") || eq < 1)
            {
                continue;
            }
            env.put(trimmed.substring(0, eq), trimmed.substring(eq + 1).replaceAll("^\"|\"$", ""));
        }
        return env;
    }

    /** ExecStart=/opt/logship/bin/logshipd --config /etc/logship/node.conf, in the host's namespace. */
    private void startNode(final int id) throws IOException
    {
        final ProcessBuilder builder = new ProcessBuilder(network.inHost(hosts.get(id),
            List.of(bin(id, "logshipd").toString(), "--config", config(id).toString())))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(root(id).resolve("logshipd.log").toFile()));
        builder.environment().putAll(environment(id));
        nodes.put(id, builder.start());
    }

    private void kill(final int id)
    {
        final Process process = nodes.remove(id);
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        Poll.until("node " + id + " to die of SIGKILL", Duration.ofSeconds(20), () -> !process.isAlive());
    }

    private void stopNode(final int id) throws InterruptedException
    {
        final Process process = nodes.remove(id);
        process.destroy();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("node %s stops within 30 s of SIGTERM", id).isTrue();
        assertThat(process.exitValue()).as("node %s exit status after SIGTERM (see %s)", id,
            root(id).resolve("logshipd.log")).isEqualTo(143);
    }

    /** bin/logship in the operator namespace. */
    private Shell.Result logship(final String... args)
    {
        final List<String> command = new ArrayList<>(List.of(bin(0, "logship").toString()));
        command.addAll(List.of(args));
        final Shell.Result result = Shell.run(CLI_TIMEOUT, Map.of(), network.inHost(ops, command));
        cliRuns++;
        return result;
    }

    private Process startLoad(final String prefix, final int records, final Path acks) throws IOException
    {
        final Path out = dir.resolve(prefix + "load.out");
        final Process process = new ProcessBuilder(network.inHost(ops, List.of(bin(0, "logship").toString(), "load",
            "--records", String.valueOf(records), "--rate", "400", "--value-size", "100", "--key-prefix", prefix,
            "--out", acks.toString(), "--json", "--config", opsConfig.toString())))
            .redirectOutput(out.toFile())
            .redirectError(dir.resolve(prefix + "load.err").toFile())
            .start();
        loads.put(process, out);
        return process;
    }

    private void awaitLines(final Path file, final int lines, final Process load)
    {
        Poll.until(lines + " acknowledged writes in " + file, Duration.ofSeconds(60),
            () -> countLines(file) >= lines || !load.isAlive(), () -> countLines(file) + " lines");
        assertThat(load.isAlive()).as("load still running after %s acknowledged writes", lines).isTrue();
    }

    private void assertLoadSucceeded(final Process load, final int records) throws Exception
    {
        assertThat(load.waitFor(90, TimeUnit.SECONDS)).as("load finishes").isTrue();
        final String stdout = Files.readString(loads.get(load));
        assertThat(load.exitValue()).as("load exit; stdout %s", stdout).isZero();
        final Json summary = Json.parse(stdout, "load --json");
        assertThat(summary.getLong("acknowledged")).as("%s", summary).isEqualTo(records);
        assertThat(summary.getLong("failed")).as("%s", summary).isZero();
    }

    private static long countLines(final Path file)
    {
        try
        {
            return Files.exists(file) ? Files.readAllLines(file).size() : 0;
        }
        catch (final IOException ex)
        {
            return 0;
        }
    }

    private record Status(int id, boolean reachable, String role, long logEndOffset)
    {
    }

    private String lastStatusText = "";

    private Map<Integer, Status> status()
    {
        final Shell.Result result = logship("status", "--json", "--timeout-ms", "3000", "--config",
            opsConfig.toString());
        lastStatusText = result.toString();
        final Map<Integer, Status> status = new TreeMap<>();
        if (result.stdout().isBlank())
        {
            return status; // no node answered: status said so on stderr
        }
        for (final Json node : Json.parse(result.stdout(), "status --json").getObjects("nodes"))
        {
            if (node.isNull("id"))
            {
                continue; // an address that never answered with its id: not one of the nodes this test counts
            }
            final int id = node.getInt("id");
            final boolean reachable = node.getBoolean("reachable");
            status.put(id, new Status(id, reachable, reachable ? node.getString("role") : null,
                reachable ? node.getLong("logEndOffset") : -1));
        }
        return status;
    }

    private String lastStatus()
    {
        return lastStatusText;
    }

    private static List<Integer> leaders(final Map<Integer, Status> status)
    {
        return status.values().stream().filter((s) -> s.reachable() && "LEADER".equals(s.role())).map(Status::id)
            .toList();
    }

    private int awaitOneLeader(final Duration timeout, final int reachable)
    {
        final int[] leader = {-1};
        Poll.until("one leader and " + reachable + " reachable nodes", timeout, () ->
        {
            final Map<Integer, Status> status = status();
            final List<Integer> leaders = leaders(status);
            if (leaders.size() == 1 && status.values().stream().filter(Status::reachable).count() == reachable)
            {
                leader[0] = leaders.get(0);
                return true;
            }
            return false;
        }, this::lastStatus);
        return leader[0];
    }

    private record Ack(String key, long offset, long crc32c)
    {
    }

    private static List<Ack> readAcks(final Path file) throws IOException
    {
        final List<Ack> acks = new ArrayList<>();
        for (final Json line : Json.parseLines(file))
        {
            acks.add(new Ack(line.getString("key"), line.getLong("offset"), line.getLong("crc32c")));
        }
        return acks;
    }

    /** offset -> {key, crc32c hex} of every PUT in the node's log, read offline as `logship dump --records`. */
    private Map<Long, String[]> dumpLog(final int id) throws IOException
    {
        final Path dump = root(id).resolve("dump.txt");
        try (PrintStream out = new PrintStream(Files.newOutputStream(dump), false, StandardCharsets.UTF_8))
        {
            assertThat(LogDump.dump(root(id).resolve("var/lib/logship/log"), true, out))
                .as("node %s's log is valid", id).isTrue();
        }
        final Map<Long, String[]> records = new HashMap<>();
        try (var lines = Files.lines(dump, StandardCharsets.UTF_8))
        {
            lines.forEach((line) ->
            {
                final Matcher m = DUMP_RECORD.matcher(line);
                if (m.find())
                {
                    records.put(Long.parseLong(m.group(1)), new String[] {m.group(2), m.group(3)});
                }
            });
        }
        return records;
    }

    /** Stops everything this test started and removes every namespace, link and file, whatever happened. */
    private void cleanUp(final boolean passed)
    {
        for (final Process load : loads.keySet())
        {
            load.destroyForcibly();
        }
        for (final Process node : nodes.values())
        {
            node.descendants().forEach(ProcessHandle::destroyForcibly);
            node.destroyForcibly();
        }
        if (null != network)
        {
            network.close();
        }
        if (!passed && null != dir)
        {
            printLogs();
        }
        for (int id = 1; id <= NODES; id++)
        {
            Shell.deleteTree(Path.of("/dev/shm/" + NamespaceNetwork.PREFIX + ProcessHandle.current().pid() +
                "-aeron-" + id));
        }
        Shell.deleteTree(dir);
    }

    /** On failure the temp dir goes too: the end of every log goes to stdout (kept in the failsafe report). */
    private void printLogs()
    {
        try (var files = Files.walk(dir))
        {
            for (final Path file : files.filter((f) -> f.toString().endsWith(".log") || f.toString().endsWith(".err") ||
                f.toString().endsWith(".out")).toList())
            {
                final List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
                System.out.println("==== " + dir.relativize(file) + " (last 60 of " + lines.size() + " lines)");
                lines.subList(Math.max(0, lines.size() - 60), lines.size()).forEach(System.out::println);
            }
        }
        catch (final IOException ex)
        {
            System.out.println("cannot print the logs in " + dir + ": " + ex);
        }
        System.out.println("last status: " + lastStatusText + " (" + cliRuns + " logship runs)");
    }
}
