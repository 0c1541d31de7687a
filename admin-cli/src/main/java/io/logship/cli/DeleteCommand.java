package io.logship.cli;

import io.logship.client.AckLevel;
import io.logship.client.LogshipClient;
import io.logship.client.WriteResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/** {@code logship delete KEY [--ack leader|quorum|all]}: one delete through the leader. */
@Command(name = "delete", mixinStandardHelpOptions = true,
    description = "Delete KEY through the leader; prints the offset, epoch and ack level reached.")
public final class DeleteCommand extends CliCommand implements Callable<Integer>
{
    @Mixin
    ClusterOptions cluster;

    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Option(names = "--ack", paramLabel = "LEVEL", converter = Converters.AckLevelConverter.class,
        description = "leader, quorum or all (default: quorum).")
    AckLevel ack = AckLevel.QUORUM;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Override
    public Integer call()
    {
        final ClusterOptions.Target target = cluster.resolve(PutCommand.DEFAULT_TIMEOUT_MS);
        try (LogshipClient client = target.connect())
        {
            final WriteResult result = client.delete(key.getBytes(StandardCharsets.UTF_8), ack).join();
            PutCommand.print(this, "delete", key, result);
        }
        return AdminCli.EXIT_OK;
    }
}
