package io.logship.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.logship.cli.json.JsonOutput;
import io.logship.client.ClusterMembers;
import io.logship.client.LogshipClient;
import io.logship.client.LogshipClientException;
import io.logship.client.MemberStatus;
import io.logship.client.NodeStatus;
import io.logship.client.ResponseStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code logship status}: every configured node as that node reports itself, asked in parallel. Exit 0 if
 * at least one node answered (the others are listed as unreachable), 1 if none did.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = "Show every configured node as it reports itself: role, epoch, leader, offsets, lag.")
public final class StatusCommand extends CliCommand implements Callable<Integer>
{
    static final long DEFAULT_TIMEOUT_MS = 2000;

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--json", description = "Print one JSON object instead of a table.")
    boolean json;

    /** One node's row: its status, or why there is none. */
    record NodeReport(ClusterOptions.Node node, NodeStatus status, String error)
    {
        boolean reachable()
        {
            return null != status;
        }
    }

    @Override
    public Integer call()
    {
        final ClusterOptions.Target target = cluster.resolve(DEFAULT_TIMEOUT_MS);
        target.requireSecret("status");
        final List<NodeReport> reports;
        final Map<Integer, ClusterMembers> members;
        if (target.knownNodes().isEmpty())
        {
            reports = collect(target, null);
            members = Map.of();
        }
        else
        {
            try (LogshipClient client = target.connect())
            {
                reports = collect(target, client);
                members = collectMembers(reports, client);
            }
        }
        print(reports, members);
        final boolean anyAnswered = reports.stream().anyMatch(NodeReport::reachable);
        if (!anyAnswered)
        {
            throw new CliException(AdminCli.EXIT_FAILED, "no node answered within " + target.timeoutMs() +
                " ms: " + target.describe());
        }
        return AdminCli.EXIT_OK;
    }

    /** Asks every node of {@code target} for its status in parallel; {@code client} may be null if no id is known. */
    static List<NodeReport> collect(final ClusterOptions.Target target, final LogshipClient client)
    {
        return Parallel.map(target.nodes(), (node) ->
        {
            if (null == node.id() || null == client)
            {
                return new NodeReport(node, null, noReply(target.timeoutMs()));
            }
            try
            {
                return new NodeReport(node, client.status(node.id()), null);
            }
            catch (final LogshipClientException ex)
            {
                return new NodeReport(node, null, describe(ex, target.timeoutMs()));
            }
        });
    }

    /**
     * The member set each reachable node has in effect (docs/DESIGN.md#membership), by node id; a node that does not
     * answer this second question is left out (its status row stands on its own).
     */
    static Map<Integer, ClusterMembers> collectMembers(final List<NodeReport> reports, final LogshipClient client)
    {
        final List<NodeReport> reachable = reports.stream().filter(NodeReport::reachable).toList();
        final List<ClusterMembers> answers = Parallel.map(reachable, (report) ->
        {
            try
            {
                return client.members(report.status().nodeId());
            }
            catch (final LogshipClientException ex)
            {
                return null;
            }
        });
        final Map<Integer, ClusterMembers> byNode = new HashMap<>();
        for (final ClusterMembers answer : answers)
        {
            if (null != answer)
            {
                byNode.put(answer.nodeId(), answer);
            }
        }
        return byNode;
    }

    /** {@code 1@127.0.0.1:7001 voter, 4@127.0.0.1:7004 learner}. */
    static String describeMembers(final ClusterMembers members)
    {
        final List<String> parts = new ArrayList<>();
        for (final MemberStatus member : members.members())
        {
            parts.add(member.id() + "@" + member.address() + " " + member.role());
        }
        return String.join(", ", parts);
    }

    static String noReply(final long timeoutMs)
    {
        return "no reply within " + timeoutMs + " ms";
    }

    /** "no reply within N ms" for a node that did not answer; the client's message otherwise. */
    static String describe(final LogshipClientException ex, final long timeoutMs)
    {
        final ResponseStatus status = ex.status();
        if (status == ResponseStatus.UNREACHABLE || status == ResponseStatus.DEADLINE_EXCEEDED)
        {
            return noReply(timeoutMs);
        }
        return ex.getMessage();
    }

    /** The leader's log end offset (highest epoch), or the highest log end offset if no node leads. */
    static long referenceEndOffset(final List<NodeReport> reports)
    {
        NodeStatus leader = null;
        long highest = -1;
        for (final NodeReport report : reports)
        {
            final NodeStatus status = report.status();
            if (null == status)
            {
                continue;
            }
            highest = Math.max(highest, status.logEndOffset());
            if ("LEADER".equals(status.role()) && (null == leader || status.epoch() > leader.epoch()))
            {
                leader = status;
            }
        }
        return null != leader ? leader.logEndOffset() : highest;
    }

    private void print(final List<NodeReport> reports, final Map<Integer, ClusterMembers> members)
    {
        final long reference = referenceEndOffset(reports);
        if (json)
        {
            printJson(toJson(reports, members));
            return;
        }
        final Table table = new Table("ID", "ADDRESS", "ROLE", "EPOCH", "LEADER", "LOG-START", "LOG-END",
            "DURABLE-END", "COMMIT", "APPLIED", "LAG", "ERROR");
        for (final NodeReport report : reports)
        {
            final NodeStatus s = report.status();
            if (null == s)
            {
                table.row(report.node().id(), report.node().address(), "UNREACHABLE", null, null, null, null, null,
                    null, null, null, report.error());
            }
            else
            {
                table.row(s.nodeId(), report.node().address(), s.role(), s.epoch(), s.leaderId() < 0 ? "none" :
                    s.leaderId(), s.logStartOffset(), s.logEndOffset(), s.durableEndOffset(), s.commitOffset(),
                    s.appliedOffset(), Math.max(0, reference - s.logEndOffset()), "");
            }
        }
        table.print(out());
        // Election and resync notes (automatic failover off in a two-node cluster, a resync's ETA) below the table.
        for (final NodeReport report : reports)
        {
            final NodeStatus s = report.status();
            if (null != s && !s.note().isEmpty())
            {
                println("node " + s.nodeId() + ": " + s.note());
            }
        }
        // The member set: one line when every answering node agrees, else one per node, so a disagreement shows.
        final List<String> sets = members.values().stream().map(StatusCommand::describeMembers).distinct().toList();
        if (sets.size() == 1)
        {
            println("members: " + sets.get(0));
        }
        else
        {
            for (final NodeReport report : reports)
            {
                final ClusterMembers answer = report.reachable() ? members.get(report.status().nodeId()) : null;
                if (null != answer)
                {
                    println("node " + answer.nodeId() + " members: " + describeMembers(answer));
                }
            }
        }
    }

    /** The {@code status --json} object: one entry per configured node, in configuration order. */
    static ObjectNode toJson(final List<NodeReport> reports)
    {
        return toJson(reports, Map.of());
    }

    /** As {@link #toJson(List)}, each reachable node's entry with the member set it has in effect, if it answered. */
    static ObjectNode toJson(final List<NodeReport> reports, final Map<Integer, ClusterMembers> members)
    {
        final long reference = referenceEndOffset(reports);
        final ObjectNode json = JsonOutput.object();
        final ArrayNode nodes = json.putArray("nodes");
        for (final NodeReport report : reports)
        {
            final ObjectNode node = toJson(report, reference);
            final ClusterMembers answer = report.reachable() ? members.get(report.status().nodeId()) : null;
            if (null != answer)
            {
                node.put("configurationOffset", answer.configurationOffset());
                final ArrayNode array = node.putArray("members");
                for (final MemberStatus member : answer.members())
                {
                    array.addObject().put("id", member.id()).put("address", member.address()).put("role", member.role());
                }
            }
            nodes.add(node);
        }
        return json;
    }

    static ObjectNode toJson(final NodeReport report, final long reference)
    {
        final NodeStatus s = report.status();
        final ObjectNode node = JsonOutput.object()
            .put("id", null != s ? Integer.valueOf(s.nodeId()) : report.node().id())
            .put("address", report.node().address())
            .put("reachable", null != s);
        if (null == s)
        {
            return node.put("error", report.error());
        }
        node.put("role", s.role())
            .put("epoch", s.epoch())
            .put("leaderId", s.leaderId())
            .put("logStartOffset", s.logStartOffset())
            .put("logEndOffset", s.logEndOffset())
            .put("durableEndOffset", s.durableEndOffset())
            .put("commitOffset", s.commitOffset())
            .put("appliedOffset", s.appliedOffset())
            .put("lag", Math.max(0, reference - s.logEndOffset()))
            .put("autoFailover", s.autoFailover())
            .put("elections", s.elections());
        node.putObject("resync")
            .put("remainingRecords", s.resyncRemainingRecords())
            .put("recordsPerSecond", s.resyncRecordsPerSecond())
            .put("bytesPerSecond", s.resyncBytesPerSecond())
            .put("etaMs", s.resyncEtaMs());
        return node.put("quarantinedRecords", s.quarantinedRecords()).put("note", s.note());
    }
}
