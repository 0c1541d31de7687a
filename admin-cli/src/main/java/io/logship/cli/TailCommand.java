package io.logship.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.logship.cli.json.JsonOutput;
import io.logship.client.LogshipClient;
import io.logship.client.TailBatch;
import io.logship.client.TailRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code logship tail}: committed records from an offset, one line each. Without {@code --follow} it stops
 * at the commit offset the node reported on the first answer; with it, it polls for new records until
 * interrupted or {@code --max-records} is reached.
 */
@Command(name = "tail", mixinStandardHelpOptions = true,
    description = "Print committed records from an offset, one line each (NOOP records included: offsets are dense).")
public final class TailCommand extends CliCommand implements Callable<Integer>
{
    /** Bytes of batches asked per request. */
    static final int MAX_BYTES_PER_REQUEST = 1024 * 1024;
    static final long FOLLOW_POLL_INTERVAL_MS = 100;

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--from", paramLabel = "N", defaultValue = "0",
        description = "First offset (default ${DEFAULT-VALUE}).")
    long from;

    @Option(names = "--node", paramLabel = "N", description = "Tail node N (default: the leader).")
    Integer node;

    @Option(names = "--max-records", paramLabel = "M", description = "Stop after M records.")
    Long maxRecords;

    @Option(names = "--follow", description = "Keep waiting for new committed records.")
    boolean follow;

    @Option(names = "--json", description = "One JSON object per record.")
    boolean json;

    @Override
    public Integer call()
    {
        if (from < 0)
        {
            throw usage("--from=" + from + " is invalid: expected an offset >= 0");
        }
        if (null != maxRecords && maxRecords < 1)
        {
            throw usage("--max-records=" + maxRecords + " is invalid: expected at least 1");
        }
        final ClusterOptions.Target target = cluster.resolve(PutCommand.DEFAULT_TIMEOUT_MS);
        final int nodeId = null == node ? -1 : target.node(node).id();
        long printed = 0;
        try (LogshipClient client = target.connect())
        {
            long next = from;
            long stopAt = -1;
            while (null == maxRecords || printed < maxRecords)
            {
                final TailBatch batch = client.tail(nodeId, next, MAX_BYTES_PER_REQUEST);
                if (stopAt < 0)
                {
                    stopAt = batch.commitOffset();
                }
                for (final TailRecord record : batch.records())
                {
                    if ((!follow && record.offset() >= stopAt) || (null != maxRecords && printed >= maxRecords))
                    {
                        break;
                    }
                    print(record);
                    printed++;
                }
                out().flush();
                final boolean caughtUp = batch.records().isEmpty() || batch.nextOffset() <= next;
                next = Math.max(next, batch.nextOffset());
                if (!follow && (next >= stopAt || caughtUp))
                {
                    break;
                }
                if (caughtUp)
                {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(FOLLOW_POLL_INTERVAL_MS));
                    if (Thread.currentThread().isInterrupted())
                    {
                        break;
                    }
                }
            }
        }
        return AdminCli.EXIT_OK;
    }

    /** One {@code tail --json} line: keyEncoding only when the key is not UTF-8. */
    static ObjectNode toJson(final TailRecord record)
    {
        final String[] key = Bytes.render(record.key());
        final ObjectNode line = JsonOutput.object()
            .put("offset", record.offset())
            .put("type", record.type().name())
            .put("key", key[0]);
        if (!Bytes.UTF8.equals(key[1]))
        {
            line.put("keyEncoding", key[1]);
        }
        return line.put("valueCrc32c", Bytes.crc32c(record.value())).put("valueLength", record.value().length);
    }

    private void print(final TailRecord record)
    {
        if (json)
        {
            out().println(JsonOutput.write(toJson(record)));
        }
        else
        {
            final String[] key = Bytes.render(record.key());
            final long crc = Bytes.crc32c(record.value());
            final String[] value = Bytes.render(record.value());
            final String shown = Bytes.UTF8.equals(value[1]) ? value[0] : "base64:" + value[0];
            out().println(record.offset() + "  " + record.type().name() + "  " +
                (Bytes.UTF8.equals(key[1]) ? key[0] : "base64:" + key[0]) + "  " +
                (shown.length() > 60 ? shown.substring(0, 57) + "..." : shown) +
                "  (" + record.value().length + " B, crc32c " + crc + ")");
        }
    }
}
