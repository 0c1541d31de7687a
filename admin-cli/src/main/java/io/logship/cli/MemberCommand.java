package io.logship.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.logship.cli.json.JsonOutput;
import io.logship.client.ClusterMembers;
import io.logship.client.LogshipClient;
import io.logship.client.LogshipClientException;
import io.logship.client.MemberStatus;
import io.logship.client.NodeStatus;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code logship member list|add|promote|remove|replace}: the member set the cluster has in effect and the
 * single-server changes to it (docs/DESIGN.md#membership). Networked, like {@code status}: takes {@code --config} or
 * {@code --cluster} and the cluster secret. The changes are made by the leader ({@link MemberChangeCommand},
 * {@link MemberReplaceCommand}).
 */
@Command(name = "member", mixinStandardHelpOptions = true,
    description = {
        "The cluster's members (voters and learners) and changes to them, one server at a time, made by the leader " +
            "through a record in the log (docs/DESIGN.md#membership).",
        "Grow: start the new node with logship.cluster.join=true, 'member add ID@HOST:PORT', wait for it to catch " +
            "up ('member list'), 'member promote ID'. Shrink: 'member remove ID'. Replace a node: 'member replace " +
            "OLD NEW@HOST:PORT'. Never edit logship.cluster.nodes of running members instead."},
    subcommands = {MemberCommand.ListCommand.class, MemberChangeCommand.AddCommand.class,
        MemberChangeCommand.PromoteCommand.class, MemberChangeCommand.RemoveCommand.class, MemberReplaceCommand.class})
public final class MemberCommand extends CliCommand implements Runnable
{
    @Override
    public void run()
    {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: list, add, promote, remove or replace");
    }

    /**
     * {@code logship member list [--json]}: the configuration the leader has in effect (any reachable node's if
     * no node leads), one row (or one JSON object) per member with its role and, from the leader, how far it
     * holds the log. Exit 0 if a node answered, 1 if none did.
     */
    @Command(name = "list", mixinStandardHelpOptions = true,
        description = "Print every member: id, address, role (voter or learner), its state and, from the leader, " +
            "how far it holds the log.")
    public static final class ListCommand extends CliCommand implements Callable<Integer>
    {
        @Mixin
        ClusterOptions cluster;

        @Option(names = "--json", description = "One JSON object per member, one per line.")
        boolean json;

        @Override
        public Integer call()
        {
            final ClusterOptions.Target target = cluster.resolve(StatusCommand.DEFAULT_TIMEOUT_MS);
            target.requireSecret("member list");
            if (target.knownNodes().isEmpty())
            {
                throw new CliException(AdminCli.EXIT_FAILED, "no node answered within " + target.timeoutMs() +
                    " ms: " + target.describe());
            }
            try (LogshipClient client = target.connect())
            {
                final List<StatusCommand.NodeReport> reports = StatusCommand.collect(target, client);
                final ClusterMembers members = ask(client, reports, target.timeoutMs());
                print(members, reports);
            }
            return AdminCli.EXIT_OK;
        }

        /** The leader's answer (it alone knows each member's progress); else the first reachable node's. */
        private static ClusterMembers ask(final LogshipClient client, final List<StatusCommand.NodeReport> reports,
            final long timeoutMs)
        {
            final List<Integer> order = new ArrayList<>();
            final NodeStatus leader = leaderOf(reports);
            if (null != leader)
            {
                order.add(leader.nodeId());
            }
            for (final StatusCommand.NodeReport report : reports)
            {
                if (report.reachable() && !order.contains(report.status().nodeId()))
                {
                    order.add(report.status().nodeId());
                }
            }
            final List<String> errors = new ArrayList<>();
            for (final int nodeId : order)
            {
                try
                {
                    return client.members(nodeId);
                }
                catch (final LogshipClientException ex)
                {
                    errors.add("node " + nodeId + ": " + StatusCommand.describe(ex, timeoutMs));
                }
            }
            throw new CliException(AdminCli.EXIT_FAILED, "no node answered the member list within " + timeoutMs +
                " ms" + (errors.isEmpty() ? "" : " (" + String.join("; ", errors) + ")"));
        }

        private void print(final ClusterMembers members, final List<StatusCommand.NodeReport> reports)
        {
            final boolean fromLeader = members.leaderId() == members.nodeId();
            if (!json)
            {
                println("configuration " + (members.configurationOffset() < 0 ? "seeded from logship.cluster.nodes" :
                    "at offset " + members.configurationOffset()) + (members.committed() ? "" : " (not committed yet)") +
                    ", as node " + members.nodeId() + (fromLeader ? " (leader, epoch " + members.epoch() + ")" :
                    " reports it (no leader answered: progress unknown)"));
                println(String.format("%-4s %-22s %-8s %-10s %-12s %-10s %s", "ID", "ADDRESS", "ROLE", "STATE",
                    "HELD END", "LAG", "LAST ACK"));
            }
            for (final MemberStatus member : members.members())
            {
                final String state = stateOf(member.id(), reports);
                final long lag = member.heldEndOffset() < 0 || !fromLeader ? -1 :
                    Math.max(0, members.logEndOffset() - member.heldEndOffset());
                if (json)
                {
                    final ObjectNode object = JsonOutput.object()
                        .put("id", member.id())
                        .put("address", member.address())
                        .put("role", member.role())
                        .put("state", state)
                        .put("heldEndOffset", member.heldEndOffset())
                        .put("lagRecords", lag)
                        .put("lastAckAgeMs", member.lastAckAgeMs())
                        .put("configurationOffset", members.configurationOffset())
                        .put("committed", members.committed())
                        .put("reportedBy", members.nodeId());
                    printJson(object);
                }
                else
                {
                    println(String.format("%-4d %-22s %-8s %-10s %-12s %-10s %s", member.id(), member.address(),
                        member.role(), state, member.heldEndOffset() < 0 ? "-" : Long.toString(member.heldEndOffset()),
                        lag < 0 ? "-" : Long.toString(lag), member.lastAckAgeMs() < 0 ? "-" : member.lastAckAgeMs() + " ms"));
                }
            }
        }

        /**
         * The member's role as it reports itself ({@code leader}, {@code follower}, ...); {@code unreachable} if it is
         * in the node list the command was given and did not answer; {@code unlisted} if it is not in that list (a
         * member added at run time whose entry the config file lacks), so it was not asked.
         */
        static String stateOf(final int id, final List<StatusCommand.NodeReport> reports)
        {
            boolean listed = false;
            for (final StatusCommand.NodeReport report : reports)
            {
                if (report.reachable() && report.status().nodeId() == id)
                {
                    return report.status().role().toLowerCase(java.util.Locale.ROOT);
                }
                listed |= null != report.node().id() && report.node().id() == id;
            }
            return listed ? "unreachable" : "unlisted";
        }

        private static NodeStatus leaderOf(final List<StatusCommand.NodeReport> reports)
        {
            NodeStatus leader = null;
            for (final StatusCommand.NodeReport report : reports)
            {
                final NodeStatus status = report.status();
                if (null != status && "LEADER".equals(status.role()) &&
                    (null == leader || status.epoch() > leader.epoch()))
                {
                    leader = status;
                }
            }
            return leader;
        }
    }
}
