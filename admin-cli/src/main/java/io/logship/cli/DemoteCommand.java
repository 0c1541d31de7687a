package io.logship.cli;

import io.logship.client.AdminResult;
import io.logship.client.LogshipClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** {@code logship demote NODE}: asks the node to step down and prints its answer. */
@Command(name = "demote", mixinStandardHelpOptions = true,
    description = "Ask NODE to step down; prints the node's answer.")
public final class DemoteCommand extends CliCommand implements Callable<Integer>
{
    @Mixin
    ClusterOptions cluster;

    @Parameters(index = "0", paramLabel = "NODE", description = "The node id.")
    int node;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Override
    public Integer call()
    {
        final ClusterOptions.Target target = cluster.resolve(StatusCommand.DEFAULT_TIMEOUT_MS);
        target.requireSecret("demote");
        target.node(node);
        try (LogshipClient client = target.connect())
        {
            final AdminResult result = client.demote(node);
            PromoteCommand.print(this, json, "demote", result);
        }
        return AdminCli.EXIT_OK;
    }
}
