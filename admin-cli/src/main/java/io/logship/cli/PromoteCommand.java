package io.logship.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.logship.cli.json.JsonOutput;
import java.util.List;

import java.util.ArrayList;

import io.logship.client.LogshipClientException;

import io.logship.client.NodeStatus;

import io.logship.client.AdminResult;
import io.logship.client.LogshipClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/**
 * {@code logship promote NODE [--force --accept-loss]}: asks the node to become leader and prints its
 * answer. A forced (unclean) promotion skips the up-to-date check and may lose acknowledged writes, so
 * {@code --force} alone is refused here, before anything is sent.
 */
@Command(name = "promote", mixinStandardHelpOptions = true,
    description = "Ask NODE to become leader; prints the node's answer.")
public final class PromoteCommand extends CliCommand implements Callable<Integer>
{
    @Mixin
    ClusterOptions cluster;

    @Parameters(index = "0", paramLabel = "NODE", description = "The node id.")
    int node;

    @Option(names = "--force", description = "Unclean promotion: skip the check that NODE holds every " +
        "committed record. Needs --accept-loss.")
    boolean force;

    @Option(names = "--accept-loss", description = "Confirm that a forced promotion may lose acknowledged writes.")
    boolean acceptLoss;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Override
    public Integer call()
    {
        if (force && !acceptLoss)
        {
            printLossRangeIfReachable();
            throw usage("refusing --force without --accept-loss: a forced promotion may lose acknowledged " +
                "writes (records the new leader does not hold are cut off on every other node)");
        }
        final ClusterOptions.Target target = cluster.resolve(StatusCommand.DEFAULT_TIMEOUT_MS);
        target.requireSecret("promote");
        target.node(node);
        try (LogshipClient client = target.connect())
        {
            final List<StatusCommand.NodeReport> before = StatusCommand.collect(target, client);
            if (force)
            {
                println(lossRange(before));
                final AdminResult result = client.promote(node, true, node);
                print(this, json, "promote", result);
                return AdminCli.EXIT_OK;
            }
            final NodeStatus leader = leaderOf(before);
            if (null != leader && leader.nodeId() == node)
            {
                print(this, json, "promote", new AdminResult(node, leader.epoch(), node, "node " + node +
                    " already leads epoch " + leader.epoch()));
                return AdminCli.EXIT_OK;
            }
            // With a live leader the switchover runs on the leader: it pauses writes until NODE holds its whole
            // log, then hands over. Without one, NODE itself stands; voters refuse it if it lacks committed data.
            final int via = null != leader ? leader.nodeId() : node;
            final long startNs = System.nanoTime();
            final AdminResult result = client.promote(node, false, via);
            print(this, json, "promote", result);
            final NodeStatus led = awaitLeadership(client, null == leader ? -1 : leader.epoch());
            final long tookMs = (System.nanoTime() - startNs) / 1_000_000;
            if (null == led)
            {
                throw new CliException(AdminCli.EXIT_FAILED, "node " + node + " did not become leader within " +
                    AWAIT_LEADERSHIP_MS + " ms" + (null != leader ? ": the switchover from node " + leader.nodeId() +
                    " did not complete (the target must catch up within the handover timeout); check status" :
                    ": a majority must find its log at least as up to date as theirs; check status"));
            }
            final String done = "node " + node + " leads epoch " + led.epoch() + " after " + tookMs + " ms" +
                (null != leader ? "; writes were paused for at most that long (switchover from node " +
                leader.nodeId() + ")" : "");
            if (json)
            {
                printJson(promotedJson(node, led.epoch(), null != leader ? tookMs : -1, done));
            }
            else
            {
                println(done);
            }
        }
        return AdminCli.EXIT_OK;
    }

    static final long AWAIT_LEADERSHIP_MS = 8_000;

    private NodeStatus awaitLeadership(final LogshipClient client, final int previousEpoch)
    {
        final long deadline = System.nanoTime() + AWAIT_LEADERSHIP_MS * 1_000_000;
        while (System.nanoTime() < deadline)
        {
            try
            {
                final NodeStatus status = client.status(node);
                if ("LEADER".equals(status.role()) && status.epoch() > previousEpoch)
                {
                    return status;
                }
            }
            catch (final LogshipClientException ex)
            {
                // not answering while it takes over: ask again
            }
            try
            {
                Thread.sleep(20);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        return null;
    }

    private static NodeStatus leaderOf(final List<StatusCommand.NodeReport> reports)
    {
        NodeStatus leader = null;
        for (final StatusCommand.NodeReport report : reports)
        {
            final NodeStatus status = report.status();
            if (null != status && "LEADER".equals(status.role()) && (null == leader || status.epoch() > leader.epoch()))
            {
                leader = status;
            }
        }
        return leader;
    }

    /** What a forced promotion of {@code node} may lose, from what the reachable nodes report. */
    String lossRange(final List<StatusCommand.NodeReport> reports)
    {
        NodeStatus candidate = null;
        long highestEnd = -1;
        long highestCommit = -1;
        final List<Integer> unreachable = new ArrayList<>();
        for (final StatusCommand.NodeReport report : reports)
        {
            final NodeStatus status = report.status();
            if (null == status)
            {
                unreachable.add(report.node().id());
                continue;
            }
            highestCommit = Math.max(highestCommit, status.commitOffset());
            if (status.nodeId() == node)
            {
                candidate = status;
            }
            else
            {
                highestEnd = Math.max(highestEnd, status.logEndOffset());
            }
        }
        if (null == candidate)
        {
            throw new CliException(AdminCli.EXIT_FAILED, "node " + node + " did not answer: it cannot be promoted");
        }
        final long end = candidate.logEndOffset();
        final StringBuilder text = new StringBuilder("forced promotion of node " + node + ": its log ends at offset " +
            end + ". ");
        if (highestEnd > end)
        {
            text.append("Offsets [").append(end).append(", ").append(highestEnd).append(") held by reachable nodes " +
                "may be lost: they are cut from those nodes and kept in their quarantine files");
            if (highestCommit > end)
            {
                text.append("; [").append(end).append(", ").append(highestCommit).append(") of them were committed");
            }
            text.append(". ");
        }
        else
        {
            text.append("No reachable node holds more. ");
        }
        if (!unreachable.isEmpty())
        {
            text.append("Unreachable nodes ").append(unreachable).append(" may hold more, also lost.");
        }
        return text.toString().strip();
    }

    private void printLossRangeIfReachable()
    {
        if (null == cluster || !cluster.isGiven())
        {
            return;
        }
        try
        {
            final ClusterOptions.Target target = cluster.resolve(StatusCommand.DEFAULT_TIMEOUT_MS);
            target.requireSecret("promote");
            try (LogshipClient client = target.connect())
            {
                println(lossRange(StatusCommand.collect(target, client)));
            }
        }
        catch (final RuntimeException ex)
        {
            println("(could not ask the cluster what a forced promotion would lose: " + ex.getMessage() + ")");
        }
    }

    /** The {@code promote --json} / {@code demote --json} object: the node's answer. */
    static ObjectNode toJson(final String operation, final AdminResult result)
    {
        return JsonOutput.object()
            .put("operation", operation)
            .put("node", result.nodeId())
            .put("epoch", result.epoch())
            .put("leaderId", result.leaderId())
            .put("message", result.message());
    }

    /** The second {@code promote --json} line, once NODE leads; {@code pauseMs} is -1 without a switchover. */
    static ObjectNode promotedJson(final int node, final int epoch, final long pauseMs, final String message)
    {
        return JsonOutput.object().put("operation", "promoted").put("node", node).put("epoch", epoch)
            .put("leaderId", node).put("pauseMs", pauseMs).put("message", message);
    }

    static void print(final CliCommand command, final boolean json, final String operation, final AdminResult result)
    {
        if (json)
        {
            command.printJson(toJson(operation, result));
        }
        else
        {
            command.println(operation + " node " + result.nodeId() + ": " +
                (result.message().isEmpty() ? "done" : result.message()) + " (epoch " + result.epoch() + ", leader " +
                (result.leaderId() < 0 ? "none" : result.leaderId()) + ")");
        }
    }
}
