package io.logship.cli;

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
            throw usage("refusing --force without --accept-loss: a forced promotion may lose acknowledged " +
                "writes (records the new leader does not hold are cut off on every other node)");
        }
        final ClusterOptions.Target target = cluster.resolve(StatusCommand.DEFAULT_TIMEOUT_MS);
        target.requireSecret("promote");
        target.node(node);
        try (LogshipClient client = target.connect())
        {
            final AdminResult result = client.promote(node, force);
            print(this, json, "promote", result);
        }
        return AdminCli.EXIT_OK;
    }

    static void print(final CliCommand command, final boolean json, final String operation, final AdminResult result)
    {
        if (json)
        {
            command.println(Json.object()
                .field("operation", operation)
                .field("node", result.nodeId())
                .field("epoch", result.epoch())
                .field("leaderId", result.leaderId())
                .field("message", result.message()));
        }
        else
        {
            command.println(operation + " node " + result.nodeId() + ": " +
                (result.message().isEmpty() ? "done" : result.message()) + " (epoch " + result.epoch() + ", leader " +
                (result.leaderId() < 0 ? "none" : result.leaderId()) + ")");
        }
    }
}
