package io.logship.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.logship.cli.json.JsonOutput;
import io.logship.client.LogshipClient;
import io.logship.client.NodeStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code logship health}: one verdict on the whole cluster, for scripts and monitoring. Every configured node
 * is asked for its status in parallel (as {@code status} does); exit 0 healthy, 1 degraded (each problem names
 * its node), 2 unusable (no leader, or fewer than a majority of nodes serving: writes cannot commit).
 * A node that reports itself leader holds its lease: a leader steps down within a duty cycle of losing it.
 */
@Command(name = "health", mixinStandardHelpOptions = true,
    description = "Check the whole cluster: exit 0 healthy, 1 degraded (names the node and why), " +
        "2 unusable (no leader or no majority).")
public final class HealthCommand extends CliCommand implements Callable<Integer>
{
    static final int EXIT_HEALTHY = 0;
    static final int EXIT_DEGRADED = 1;
    static final int EXIT_UNUSABLE = 2;

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--max-lag", paramLabel = "RECORDS", defaultValue = "10000",
        description = "A follower further behind the leader's log end than this is degraded (default: ${DEFAULT-VALUE}).")
    long maxLag;

    @Option(names = "--json", description = "Print one JSON object instead of lines.")
    boolean json;

    /** The verdict: exit code, the leader found (-1 none) and the problems, each naming its node. */
    record Verdict(int exitCode, int leaderId, int epoch, int serving, int members, List<String> problems)
    {
        String word()
        {
            return switch (exitCode)
            {
                case EXIT_HEALTHY -> "healthy";
                case EXIT_DEGRADED -> "degraded";
                default -> "unusable";
            };
        }
    }

    @Override
    public Integer call()
    {
        if (maxLag < 0)
        {
            throw new CliException(AdminCli.EXIT_USAGE, "--max-lag must be >= 0, got " + maxLag);
        }
        final ClusterOptions.Target target = cluster.resolve(StatusCommand.DEFAULT_TIMEOUT_MS);
        target.requireSecret("health");
        final List<StatusCommand.NodeReport> reports;
        if (target.knownNodes().isEmpty())
        {
            reports = StatusCommand.collect(target, null);
        }
        else
        {
            try (LogshipClient client = target.connect())
            {
                reports = StatusCommand.collect(target, client);
            }
        }
        final Verdict verdict = judge(reports, maxLag);
        if (json)
        {
            final ObjectNode out = JsonOutput.object()
                .put("health", verdict.word())
                .put("exitCode", verdict.exitCode())
                .put("leaderId", verdict.leaderId())
                .put("epoch", verdict.epoch())
                .put("serving", verdict.serving())
                .put("members", verdict.members());
            final ArrayNode problems = out.putArray("problems");
            verdict.problems().forEach(problems::add);
            out.set("status", StatusCommand.toJson(reports));
            printJson(out);
        }
        else
        {
            println(verdict.word() + ": leader " + (verdict.leaderId() < 0 ? "none" : verdict.leaderId()) +
                " in epoch " + verdict.epoch() + ", " + verdict.serving() + " of " + verdict.members() +
                " nodes serving");
            verdict.problems().forEach(this::println);
        }
        return verdict.exitCode();
    }

    /** Judges the cluster from one status round; pure, so every rule is unit-tested. */
    static Verdict judge(final List<StatusCommand.NodeReport> reports, final long maxLag)
    {
        final int members = reports.size();
        final int majority = members / 2 + 1;
        NodeStatus leader = null;
        for (final StatusCommand.NodeReport report : reports)
        {
            final NodeStatus s = report.status();
            if (null != s && "LEADER".equals(s.role()) && (null == leader || s.epoch() > leader.epoch()))
            {
                leader = s;
            }
        }
        final List<String> problems = new ArrayList<>();
        int serving = 0;
        for (final StatusCommand.NodeReport report : reports)
        {
            final NodeStatus s = report.status();
            final String name = "node " + (null != s ? s.nodeId() : null == report.node().id() ? "?" :
                report.node().id()) + " (" + report.node().address() + ")";
            if (null == s)
            {
                problems.add(name + ": unreachable: " + report.error());
                continue;
            }
            if (s == leader)
            {
                serving++;
                continue;
            }
            switch (s.role())
            {
                case "FENCED" -> problems.add(name + ": fenced after a storage failure; serves reads only");
                case "CANDIDATE" -> problems.add(name + ": candidate in epoch " + s.epoch() + " (election under way)");
                case "LEADER" -> problems.add(name + ": still claims leadership of old epoch " + s.epoch() +
                    " (leader " + leader.nodeId() + " leads epoch " + leader.epoch() + ")");
                default ->
                {
                    if (null == leader || s.leaderId() != leader.nodeId())
                    {
                        problems.add(name + ": follows " + (s.leaderId() < 0 ? "no leader" : "node " + s.leaderId()) +
                            (null == leader ? "" : ", not leader " + leader.nodeId()));
                    }
                    else
                    {
                        final long lag = Math.max(0, leader.logEndOffset() - s.logEndOffset());
                        serving++;
                        if (lag > maxLag)
                        {
                            problems.add(name + ": " + lag + " records behind the leader (more than --max-lag " +
                                maxLag + ")");
                        }
                    }
                }
            }
        }
        final int exitCode;
        if (null == leader)
        {
            problems.add(0, "no node leads: writes are refused");
            exitCode = EXIT_UNUSABLE;
        }
        else if (serving < majority)
        {
            problems.add(0, "only " + serving + " of " + members + " nodes serve with leader " + leader.nodeId() +
                ", a majority needs " + majority + ": quorum writes cannot commit");
            exitCode = EXIT_UNUSABLE;
        }
        else
        {
            exitCode = problems.isEmpty() ? EXIT_HEALTHY : EXIT_DEGRADED;
        }
        return new Verdict(exitCode, null == leader ? -1 : leader.nodeId(), null == leader ? -1 : leader.epoch(),
            serving, members, problems);
    }
}
