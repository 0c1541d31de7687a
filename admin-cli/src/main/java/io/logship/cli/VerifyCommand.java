package io.logship.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.logship.cli.json.JsonOutput;
import io.logship.client.ChecksumResult;
import io.logship.client.LogshipClient;
import io.logship.client.LogshipClientException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;

/**
 * {@code logship verify}: compares the committed prefixes of every node. Takes the range every node holds
 * committed, [max(logStartOffset), min(commitOffset)), asks each node for the CRC32C of its batches over it,
 * and passes only if every node answered and every (from, to, batchCount, byteCount, crc32c) is identical.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
    description = "Compare every node's committed log by checksum over the range all of them hold. " +
        "Exit 0 only if every node answered and all checksums agree.")
public final class VerifyCommand extends CliCommand implements Callable<Integer>
{
    @Mixin
    ClusterOptions cluster;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    /** One node's checksum, or why there is none. */
    record NodeChecksum(ClusterOptions.Node node, ChecksumResult checksum, String error)
    {
    }

    /** The outcome: the range, every node's answer, and the nodes that differ or did not answer. */
    record Report(long fromOffset, long toOffset, List<NodeChecksum> nodes, List<String> failures)
    {
        boolean ok()
        {
            return failures.isEmpty();
        }

        /** The {@code verify --json} object. */
        ObjectNode toJson()
        {
            final ObjectNode json = JsonOutput.object()
                .put("ok", ok())
                .put("fromOffset", fromOffset)
                .put("toOffset", toOffset);
            final ArrayNode rows = json.putArray("nodes");
            for (final NodeChecksum n : nodes)
            {
                final ChecksumResult c = n.checksum();
                final ObjectNode row = rows.addObject()
                    .put("id", null == c ? n.node().id() : Integer.valueOf(c.nodeId()))
                    .put("address", n.node().address())
                    .put("ok", null != c && failures.stream().noneMatch((f) -> f.startsWith(name(n.node()) + " ")));
                if (null == c)
                {
                    row.put("error", n.error());
                }
                else
                {
                    row.put("fromOffset", c.fromOffset())
                        .put("toOffset", c.toOffset())
                        .put("batchCount", c.batchCount())
                        .put("byteCount", c.byteCount())
                        .put("crc32c", c.crc32c());
                }
            }
            final ArrayNode failureList = json.putArray("failures");
            failures.forEach(failureList::add);
            return json;
        }
    }

    @Override
    public Integer call()
    {
        final ClusterOptions.Target target = cluster.resolve(StatusCommand.DEFAULT_TIMEOUT_MS);
        target.requireSecret("verify");
        final Report report;
        if (target.knownNodes().isEmpty())
        {
            report = verify(target, null);
        }
        else
        {
            try (LogshipClient client = target.connect())
            {
                report = verify(target, client);
            }
        }
        if (json)
        {
            printJson(report.toJson());
        }
        else
        {
            print(report);
        }
        if (!report.ok())
        {
            throw new CliException(AdminCli.EXIT_FAILED, "FAILED: " + String.join("; ", report.failures()));
        }
        return AdminCli.EXIT_OK;
    }

    static String name(final ClusterOptions.Node node)
    {
        return "node " + (null == node.id() ? "?" : node.id().toString()) + " (" + node.address() + ")";
    }

    /** Runs the check; {@code client} may be null when no node id is known (every node then fails). */
    static Report verify(final ClusterOptions.Target target, final LogshipClient client)
    {
        final List<StatusCommand.NodeReport> statuses = StatusCommand.collect(target, client);
        final List<String> failures = new ArrayList<>();
        long from = 0;
        long to = Long.MAX_VALUE;
        for (final StatusCommand.NodeReport status : statuses)
        {
            if (null == status.status())
            {
                failures.add(name(status.node()) + " did not answer status: " + status.error());
                continue;
            }
            from = Math.max(from, status.status().logStartOffset());
            to = Math.min(to, status.status().commitOffset());
        }
        if (to == Long.MAX_VALUE)
        {
            to = from;
        }
        to = Math.max(from, to);
        final long fromOffset = from;
        final long toOffset = to;
        final List<NodeChecksum> checksums = Parallel.map(statuses, (status) ->
        {
            if (null == status.status())
            {
                return new NodeChecksum(status.node(), null, status.error());
            }
            try
            {
                return new NodeChecksum(status.node(), client.checksum(status.node().id(), fromOffset, toOffset), null);
            }
            catch (final LogshipClientException ex)
            {
                return new NodeChecksum(status.node(), null, StatusCommand.describe(ex, target.timeoutMs()));
            }
        });

        ChecksumResult reference = null;
        for (final NodeChecksum n : checksums)
        {
            if (null == n.checksum() && null != statusOf(statuses, n.node()))
            {
                failures.add(name(n.node()) + " did not answer checksum: " + n.error());
            }
        }
        // The reference is the checksum most nodes agree on, so the report names the odd one out.
        int bestVotes = 0;
        for (final NodeChecksum candidate : checksums)
        {
            if (null == candidate.checksum())
            {
                continue;
            }
            int votes = 0;
            for (final NodeChecksum other : checksums)
            {
                if (null != other.checksum() && same(candidate.checksum(), other.checksum()))
                {
                    votes++;
                }
            }
            if (votes > bestVotes)
            {
                bestVotes = votes;
                reference = candidate.checksum();
            }
        }
        for (final NodeChecksum n : checksums)
        {
            if (null != n.checksum() && !same(reference, n.checksum()))
            {
                final ChecksumResult c = n.checksum();
                failures.add(name(n.node()) + " differs: crc32c " + c.crc32c() + ", " + c.batchCount() +
                    " batches, " + c.byteCount() + " bytes over [" + c.fromOffset() + ", " + c.toOffset() +
                    ") vs crc32c " + reference.crc32c() + ", " + reference.batchCount() + " batches, " +
                    reference.byteCount() + " bytes over [" + reference.fromOffset() + ", " + reference.toOffset() +
                    ") at node " + reference.nodeId());
            }
        }
        return new Report(fromOffset, toOffset, checksums, failures);
    }

    private static StatusCommand.NodeReport statusOf(
        final List<StatusCommand.NodeReport> statuses, final ClusterOptions.Node node)
    {
        for (final StatusCommand.NodeReport status : statuses)
        {
            if (Objects.equals(status.node(), node) && null != status.status())
            {
                return status;
            }
        }
        return null;
    }

    static boolean same(final ChecksumResult a, final ChecksumResult b)
    {
        return a.crc32c() == b.crc32c() && a.batchCount() == b.batchCount() && a.byteCount() == b.byteCount() &&
            a.fromOffset() == b.fromOffset() && a.toOffset() == b.toOffset();
    }

    private void print(final Report report)
    {
        println("committed range held by every node: [" + report.fromOffset() + ", " + report.toOffset() + ")");
        final Table table = new Table("ID", "ADDRESS", "FROM", "TO", "BATCHES", "BYTES", "CRC32C", "RESULT");
        for (final NodeChecksum n : report.nodes())
        {
            final ChecksumResult c = n.checksum();
            if (null == c)
            {
                table.row(n.node().id(), n.node().address(), null, null, null, null, null, "NO ANSWER: " + n.error());
            }
            else
            {
                final boolean failed = report.failures().stream().anyMatch((f) -> f.startsWith(name(n.node()) + " "));
                table.row(c.nodeId(), n.node().address(), c.fromOffset(), c.toOffset(), c.batchCount(), c.byteCount(),
                    c.crc32c(), failed ? "DIFFERS" : "ok");
            }
        }
        table.print(out());
        if (report.ok())
        {
            println("OK: " + report.nodes().size() + " nodes hold identical committed logs over [" +
                report.fromOffset() + ", " + report.toOffset() + ")");
        }
    }
}
