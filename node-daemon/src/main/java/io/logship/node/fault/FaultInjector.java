package io.logship.node.fault;

import io.logship.node.egress.PeerPublishers;
import io.logship.node.status.NodeCounters;
import io.logship.transport.Decoders;
import io.logship.transport.codec.AckDecoder;
import io.logship.transport.codec.AppendBatchDecoder;
import io.logship.transport.codec.EpochEndRequestDecoder;
import io.logship.transport.codec.EpochEndResponseDecoder;
import io.logship.transport.codec.FetchFromDecoder;
import io.logship.transport.codec.HandoverDecoder;
import io.logship.transport.codec.HeartbeatDecoder;
import io.logship.transport.codec.RefuseDecoder;
import io.logship.transport.codec.RequestVoteDecoder;
import io.logship.transport.codec.SnapshotChunkDecoder;
import io.logship.transport.codec.VoteDecoder;
import org.agrona.DirectBuffer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

import static java.lang.System.Logger.Level.WARNING;

/**
 * Fault injection: reads {@code logship.node.faults.file}. While it exists, every peer id it lists is cut
 * off both ways: this node's publications to it drop every message, and messages from it are dropped on
 * arrival (by the sender id each replication and election message carries). A partition, as the
 * system tests make one, without touching the network. The file may also say {@code node-state-delay-ms=N}:
 * every election-state write then takes N ms longer, as on a disk busy with the logs' fsyncs (0.5–1 s was
 * measured under fsync {@code always}), and {@code epoch-open-delay-ms=N}: a new leader opens its epoch (publishes
 * its NOOP to the journal) N ms after it won the epoch (or once the epoch is durable, if later), as when its journal
 * thread waits for a core or a slow
 * append: what followers that ask about the epoch meanwhile are told. Conductor thread only; off (no file
 * configured) it costs one null check per message.
 */
public final class FaultInjector
{
    private static final long FAULTS_CHECK_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final String NODE_STATE_DELAY = "node-state-delay-ms=";
    private static final String EPOCH_OPEN_DELAY = "epoch-open-delay-ms=";

    private final Path faultsFile;
    private final int nodeId;
    private final PeerPublishers peers;
    private final NodeCounters counters;
    private final System.Logger logger;
    private final LongConsumer nodeStateDelay;
    private final Decoders decoders = new Decoders();
    private long nodeStateDelayMs;
    private long epochOpenDelayNs;
    /** Peers cut off by the faults file (index = node id); null when none. */
    private boolean[] isolatedPeers;
    private long lastFaultsCheckNs;

    /** @param nodeStateDelay sets the extra time each election-state write takes (ms, 0 for none). */
    public FaultInjector(final Path faultsFile, final int nodeId, final PeerPublishers peers,
        final NodeCounters counters, final System.Logger logger, final LongConsumer nodeStateDelay)
    {
        this.nodeStateDelay = nodeStateDelay;
        this.faultsFile = faultsFile;
        this.nodeId = nodeId;
        this.peers = peers;
        this.counters = counters;
        this.logger = logger;
    }

    /** How long after winning its epoch a new leader opens it at the earliest (faults file: epoch-open-delay-ms). */
    public long epochOpenDelayNs()
    {
        return epochOpenDelayNs;
    }

    /** Re-reads the faults file every 100 ms. */
    public void onDutyCycle(final long nowNs)
    {
        if (null != faultsFile && nowNs - lastFaultsCheckNs >= FAULTS_CHECK_INTERVAL_NS)
        {
            lastFaultsCheckNs = nowNs;
            checkFaults();
        }
    }

    private void checkFaults()
    {
        boolean[] isolated = null;
        long delayMs = 0;
        long epochOpenDelayMs = 0;
        try
        {
            if (Files.exists(faultsFile))
            {
                isolated = new boolean[peers.idLimit()];
                for (final String part : Files.readString(faultsFile).split("[,\\s]+"))
                {
                    if (part.startsWith(NODE_STATE_DELAY))
                    {
                        delayMs = Long.parseLong(part.substring(NODE_STATE_DELAY.length()));
                    }
                    else if (part.startsWith(EPOCH_OPEN_DELAY))
                    {
                        epochOpenDelayMs = Long.parseLong(part.substring(EPOCH_OPEN_DELAY.length()));
                    }
                    else if (!part.isBlank())
                    {
                        final int id = Integer.parseInt(part.trim());
                        if (id > 0 && id < isolated.length && id != nodeId)
                        {
                            isolated[id] = true;
                        }
                    }
                }
            }
        }
        catch (final IOException | NumberFormatException ex)
        {
            logger.log(WARNING, "faults file " + faultsFile + " unreadable: " + ex + "; no peer is cut off");
            isolated = null;
            delayMs = 0;
            epochOpenDelayMs = 0;
        }
        if (TimeUnit.MILLISECONDS.toNanos(epochOpenDelayMs) != epochOpenDelayNs)
        {
            epochOpenDelayNs = TimeUnit.MILLISECONDS.toNanos(epochOpenDelayMs);
            logger.log(WARNING, "Faults file " + faultsFile + ": a new leader opens its epoch " + epochOpenDelayMs +
                " ms after it won it at the earliest");
        }
        if (delayMs != nodeStateDelayMs)
        {
            nodeStateDelayMs = delayMs;
            nodeStateDelay.accept(delayMs);
            logger.log(WARNING, "Faults file " + faultsFile + ": every election-state write takes " + delayMs +
                " ms longer");
        }
        if (Arrays.equals(isolated, isolatedPeers))
        {
            return;
        }
        isolatedPeers = isolated;
        final List<Integer> cutOff = new ArrayList<>();
        for (int id = 1; id < peers.idLimit(); id++)
        {
            final boolean cut = null != isolated && isolated[id];
            if (cut)
            {
                cutOff.add(id);
            }
            peers.dropAll(id, cut);
        }
        logger.log(WARNING, "Faults file " + faultsFile + ": " + (cutOff.isEmpty() ? "no peer cut off" :
            "cut off from peers " + cutOff));
    }

    /**
     * Whether a replication, feedback or election message (at byte {@code position} of {@code buffer}) is from a
     * cut-off peer and must be dropped (counted).
     */
    public boolean dropped(final int templateId, final DirectBuffer buffer, final int position, final int length)
    {
        final boolean[] isolated = isolatedPeers;
        if (null == isolated)
        {
            return false;
        }
        final int peerId = senderOf(templateId, buffer, position, length);
        if (peerId > 0 && peerId < isolated.length && isolated[peerId])
        {
            counters.onFaultDroppedMessage();
            return true;
        }
        return false;
    }

    /** The peer that sent a replication, feedback or election message, from the id field it carries; -1 if none. */
    private int senderOf(final int templateId, final DirectBuffer buffer, final int position, final int length)
    {
        return switch (templateId)
        {
            case AppendBatchDecoder.TEMPLATE_ID -> decoders.appendBatch(buffer, position, length).leaderId();
            case HeartbeatDecoder.TEMPLATE_ID -> decoders.heartbeat(buffer, position, length).leaderId();
            case SnapshotChunkDecoder.TEMPLATE_ID -> decoders.snapshotChunk(buffer, position, length).leaderId();
            case AckDecoder.TEMPLATE_ID -> decoders.ack(buffer, position, length).nodeId();
            case FetchFromDecoder.TEMPLATE_ID -> decoders.fetchFrom(buffer, position, length).nodeId();
            case RefuseDecoder.TEMPLATE_ID -> decoders.refuse(buffer, position, length).nodeId();
            case RequestVoteDecoder.TEMPLATE_ID -> decoders.requestVote(buffer, position, length).candidateId();
            case VoteDecoder.TEMPLATE_ID -> decoders.vote(buffer, position, length).voterId();
            case EpochEndRequestDecoder.TEMPLATE_ID -> decoders.epochEndRequest(buffer, position, length).nodeId();
            case EpochEndResponseDecoder.TEMPLATE_ID -> decoders.epochEndResponse(buffer, position, length).nodeId();
            case HandoverDecoder.TEMPLATE_ID -> decoders.handover(buffer, position, length).leaderId();
            default -> -1;
        };
    }
}
