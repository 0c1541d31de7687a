package io.logship.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.logship.cli.json.JsonOutput;
import io.logship.client.AckLevel;
import io.logship.client.LogshipClient;
import io.logship.client.WriteResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/** {@code logship put KEY VALUE [--ack leader|quorum|all]}: one write through the leader. */
@Command(name = "put", mixinStandardHelpOptions = true,
    description = "Write KEY=VALUE (UTF-8) through the leader; prints the offset, epoch and ack level reached.")
public final class PutCommand extends CliCommand implements Callable<Integer>
{
    static final long DEFAULT_TIMEOUT_MS = 10_000;

    @Mixin
    ClusterOptions cluster;

    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Parameters(index = "1", paramLabel = "VALUE")
    String value;

    @Option(names = "--ack", paramLabel = "LEVEL", converter = Converters.AckLevelConverter.class,
        description = "leader, quorum or all (default: quorum).")
    AckLevel ack = AckLevel.QUORUM;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Override
    public Integer call()
    {
        final ClusterOptions.Target target = cluster.resolve(DEFAULT_TIMEOUT_MS);
        try (LogshipClient client = target.connect())
        {
            final WriteResult result = client.put(key.getBytes(StandardCharsets.UTF_8),
                value.getBytes(StandardCharsets.UTF_8), ack).join();
            print(this, "put", key, result);
        }
        return AdminCli.EXIT_OK;
    }

    /** The {@code put --json} and {@code delete --json} object. */
    static ObjectNode toJson(final String operation, final String key, final WriteResult result)
    {
        return JsonOutput.object()
            .put("operation", operation)
            .put("key", key)
            .put("offset", result.offset())
            .put("epoch", result.epoch())
            .put("ackLevelReached", Converters.name(result.ackLevelReached()))
            .put("leaderId", result.leaderId())
            .set("durability", JsonOutput.object()
                .put("written", result.nodesWritten())
                .put("fsynced", result.nodesFsynced()));
    }

    static void print(final CliCommand command, final String operation, final String key, final WriteResult result)
    {
        final boolean json = command instanceof PutCommand ? ((PutCommand)command).json : ((DeleteCommand)command).json;
        if (json)
        {
            command.printJson(toJson(operation, key, result));
        }
        else
        {
            command.println(operation + " " + key + ": offset " + result.offset() + ", epoch " + result.epoch() +
                ", ack " + Converters.name(result.ackLevelReached()) + " reached (leader " + result.leaderId() +
                "), written on " + result.nodesWritten() + " node(s), fsynced on " + result.nodesFsynced());
        }
    }
}
