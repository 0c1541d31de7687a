package io.logship.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.logship.cli.json.JsonOutput;
import io.logship.client.LogshipClient;
import io.logship.client.ReadConsistency;
import io.logship.client.ReadResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/**
 * {@code logship get KEY}: one read. With {@code --node N}, or a {@code --cluster} of one address, it reads
 * that node; otherwise the client routes it (LEADER consistency: the leader; ANY / MIN_OFFSET: a follower if
 * one is known). Exit 3 if the key is not found.
 */
@Command(name = "get", mixinStandardHelpOptions = true,
    description = "Read KEY. Exit code 3 if it is not found.")
public final class GetCommand extends CliCommand implements Callable<Integer>
{
    @Mixin
    ClusterOptions cluster;

    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Option(names = "--node", paramLabel = "N", description = "Read at node N.")
    Integer node;

    @Option(names = "--consistency", paramLabel = "C", converter = Converters.ConsistencyConverter.class,
        description = "leader, any or min-offset. Default: min-offset with --min-offset, any with --node or a " +
            "single-address --cluster, leader otherwise.")
    Converters.Consistency consistency;

    @Option(names = "--min-offset", paramLabel = "N",
        description = "With min-offset consistency: wait until the node has applied offset N (the offset a " +
            "write returned).")
    Long minOffset;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Override
    public Integer call()
    {
        final ClusterOptions.Target target = cluster.resolve(PutCommand.DEFAULT_TIMEOUT_MS);
        Integer readAt = node;
        if (null == readAt && null == cluster.config && target.nodes().size() == 1)
        {
            readAt = target.nodes().get(0).id();
            if (null == readAt)
            {
                throw new CliException(AdminCli.EXIT_FAILED, "node " + target.nodes().get(0).address() +
                    " did not answer within " + target.timeoutMs() + " ms");
            }
        }
        if (null != readAt)
        {
            target.node(readAt);
        }
        final ReadConsistency readConsistency = readConsistency(null != readAt);
        final byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
        final ReadResult result;
        try (LogshipClient client = target.connect())
        {
            result = null == readAt ? client.get(keyBytes, readConsistency).join() :
                client.get(readAt, keyBytes, readConsistency).join();
        }
        if (json)
        {
            printJson(toJson(key, result));
        }
        else if (result.found())
        {
            final String[] rendered = Bytes.render(result.value());
            println(key + " = " + (Bytes.UTF8.equals(rendered[1]) ? rendered[0] : "base64:" + rendered[0]));
            println("  written at offset " + result.valueOffset() + ", read at node " + result.nodeId() +
                " (applied offset " + result.appliedOffset() + ")");
        }
        else
        {
            err().println("logship get: " + key + " not found at node " + result.nodeId() + " (applied offset " +
                result.appliedOffset() + ")");
            err().flush();
        }
        return result.found() ? AdminCli.EXIT_OK : AdminCli.EXIT_NOT_FOUND;
    }

    /** The {@code get --json} object: value fields only when the key was found. */
    static ObjectNode toJson(final String key, final ReadResult result)
    {
        final ObjectNode object = JsonOutput.object().put("key", key).put("found", result.found());
        if (result.found())
        {
            final String[] rendered = Bytes.render(result.value());
            object.put("offset", result.valueOffset())
                .put("valueCrc32c", Bytes.crc32c(result.value()))
                .put("value", rendered[0])
                .put("valueEncoding", rendered[1])
                .put("valueLength", result.value().length);
        }
        return object.put("appliedOffset", result.appliedOffset()).put("node", result.nodeId());
    }

    ReadConsistency readConsistency(final boolean singleNode)
    {
        Converters.Consistency kind = consistency;
        if (null == kind)
        {
            kind = null != minOffset ? Converters.Consistency.MIN_OFFSET :
                singleNode ? Converters.Consistency.ANY : Converters.Consistency.LEADER;
        }
        if (kind == Converters.Consistency.MIN_OFFSET)
        {
            if (null == minOffset || minOffset < 0)
            {
                throw usage("--consistency min-offset needs --min-offset N (an offset >= 0)" +
                    (null == minOffset ? "" : ", got " + minOffset));
            }
            return ReadConsistency.minOffset(minOffset);
        }
        if (null != minOffset)
        {
            throw usage("--min-offset is only used with --consistency min-offset, not " +
                kind.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
        }
        return kind == Converters.Consistency.LEADER ? ReadConsistency.leader() : ReadConsistency.any();
    }
}
