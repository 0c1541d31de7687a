package io.logship.system.harness;

import io.aeron.AeronCounters;
import io.aeron.CncFileDescriptor;
import io.logship.transport.TransportCounters;
import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.concurrent.status.CountersReader;

import java.nio.MappedByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads a running node's transport counters from outside the process, the way AeronStat does: maps the CnC file in the
 * node's Aeron directory read-only and collects the {@link TransportCounters#ADAPTER_TYPE_ID} counters by label
 * (e.g. {@code "logship client-ingress rejected"}).
 */
public final class NodeCounters
{
    private NodeCounters()
    {
    }

    /** Every adapter counter of the node: label to value. */
    public static Map<String, Long> adapterCounters(final NodeProcess node)
    {
        return counters(node, TransportCounters.ADAPTER_TYPE_ID);
    }

    /**
     * A system counter of the node's media driver by label, e.g. {@code "Invalid packets"}: datagrams at the node's
     * UDP endpoint shorter than 8 bytes or not of Aeron frame version 0, dropped by the driver before any adapter
     * sees them (Aeron 1.51 {@code UdpChannelTransport.isValidFrame}).
     */
    public static long systemCounter(final NodeProcess node, final String label)
    {
        // Some Aeron versions append details to a system counter's label ("Errors: ..."): match the prefix.
        final Map<String, Long> system = counters(node, AeronCounters.DRIVER_SYSTEM_COUNTER_TYPE_ID);
        return system.entrySet().stream()
            .filter(e -> e.getKey().equals(label) || e.getKey().startsWith(label + ":"))
            .mapToLong(Map.Entry::getValue).findFirst()
            .orElseThrow(() -> new AssertionError("no driver system counter '" + label + "' in the CnC file of " +
                node + ": " + system.keySet()));
    }

    private static Map<String, Long> counters(final NodeProcess node, final int counterTypeId)
    {
        final Path cncFile = node.aeronDir().resolve(CncFileDescriptor.CNC_FILE);
        if (!Files.exists(cncFile))
        {
            throw new AssertionError("no CnC file " + cncFile + " for " + node);
        }
        final MappedByteBuffer cnc = IoUtil.mapExistingFile(cncFile.toFile(), "cnc");
        try
        {
            final DirectBuffer metaData = CncFileDescriptor.createMetaDataBuffer(cnc);
            final CountersReader counters = new CountersReader(
                CncFileDescriptor.createCountersMetaDataBuffer(cnc, metaData),
                CncFileDescriptor.createCountersValuesBuffer(cnc, metaData));
            final Map<String, Long> values = new TreeMap<>();
            counters.forEach((counterId, typeId, keyBuffer, label) ->
            {
                if (typeId == counterTypeId)
                {
                    values.merge(label, counters.getCounterValue(counterId), Long::sum);
                }
            });
            return values;
        }
        finally
        {
            IoUtil.unmap(cnc);
        }
    }

    /** The sum of the adapter counters whose label ends with {@code outcome} ("rejected", "malformed", "auth-failed"). */
    public static long dropped(final NodeProcess node, final String outcome)
    {
        return adapterCounters(node).entrySet().stream().filter(e -> e.getKey().endsWith(" " + outcome))
            .mapToLong(Map.Entry::getValue).sum();
    }
}
