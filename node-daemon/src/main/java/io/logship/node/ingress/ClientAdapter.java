package io.logship.node.ingress;

import io.aeron.logbuffer.Header;
import io.logship.node.egress.ResponsePublisher;
import io.logship.node.read.ReadService;
import io.logship.node.write.WriteIntake;
import io.logship.transport.Decoders;
import io.logship.transport.MessageTypes;
import io.logship.transport.codec.ConnectDecoder;
import io.logship.transport.codec.ReadRequestDecoder;
import io.logship.transport.codec.TailRequestDecoder;
import io.logship.transport.codec.WriteBatchRequestDecoder;
import io.logship.transport.codec.WriteLogBatchDecoder;
import io.logship.transport.codec.WriteRequestDecoder;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.NanoClock;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static java.lang.System.Logger.Level.WARNING;

/**
 * Decodes the client stream: connects (a response channel per client, set up without blocking and answered
 * once its publication is connected), writes (to {@link WriteIntake}) and reads and tails (to
 * {@link ReadService}). Conductor thread only.
 */
public final class ClientAdapter implements ClientSessions.ConnectListener
{
    private static final long CONNECT_REPLY_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(2);
    /**
     * How long a new leader keeps trying to tell clients whose publication refused its NewLeader: a client still
     * unreachable then finds the leader as before (its attempt timeout, a NOT_LEADER redirect).
     */
    private static final long ANNOUNCE_WINDOW_NS = TimeUnit.SECONDS.toNanos(2);
    private static final String MAX_CONNECTING_DESCRIPTION = "as many Connects as the node keeps sessions for are " +
        "waiting for the media driver to set up their response channels; the client connects again";

    private final ClientSessions sessions;
    private final ResponsePublisher responses;
    private final WriteIntake writes;
    private final ReadService reads;
    private final NanoClock clock;
    private final System.Logger logger;
    private final Decoders decoders = new Decoders();
    private final List<ClientSessions.Session> pendingConnectReplies = new ArrayList<>();
    private final ClientSessions.Announcer announcer;
    private int announcingEpoch = -1;
    private long announceUntilNs;
    private boolean announcementOver;

    public ClientAdapter(final ClientSessions sessions, final ResponsePublisher responses, final WriteIntake writes,
        final ReadService reads, final NanoClock clock, final System.Logger logger)
    {
        this.sessions = sessions;
        this.responses = responses;
        this.writes = writes;
        this.reads = reads;
        this.clock = clock;
        this.logger = logger;
        this.announcer = responses::trySendNewLeader;
    }

    /**
     * Whether the announcement of {@code epoch} is over (every client told, or the window passed): the duty cycle asks
     * this first, so a leader whose clients are all told does not evaluate its lease for it every cycle.
     */
    public boolean announced(final int epoch)
    {
        return epoch == announcingEpoch && announcementOver;
    }

    /**
     * This node leads {@code epoch} and takes writes (its lease held, its de-duplication window whole): tells every
     * connected client once, so that requests waiting on the old leader come here now rather than after their
     * attempt timeout (docs/DESIGN.md#new-leader). Clients still unreached when the window ends are logged: they find
     * the leader by their own retries.
     */
    public int announceLeadership(final int epoch, final long nowNs)
    {
        if (epoch != announcingEpoch)
        {
            announcingEpoch = epoch;
            announceUntilNs = nowNs + ANNOUNCE_WINDOW_NS;
            announcementOver = false;
        }
        if (announcementOver)
        {
            return 0;
        }
        final int sent = sessions.announce(epoch, announcer);
        final int unreached = sessions.unannounced();
        if (0 == unreached)
        {
            announcementOver = true;
        }
        else if (nowNs - announceUntilNs > 0)
        {
            announcementOver = true;
            logger.log(WARNING, "NewLeader for epoch " + epoch + " did not reach " + unreached + " of " +
                sessions.size() + " client sessions within " + TimeUnit.NANOSECONDS.toMillis(ANNOUNCE_WINDOW_NS) +
                " ms (publication not connected or back-pressured); those clients find the leader by their retries");
        }
        return sent;
    }

    /** The client stream's handler: {@code position} is the message's byte position in {@code buffer}. */
    public void onMessage(final int templateId, final DirectBuffer buffer, final int position, final int length,
        final Header header)
    {
        final long nowNs = clock.nanoTime();
        switch (templateId)
        {
            case ConnectDecoder.TEMPLATE_ID -> onConnect(decoders.connect(buffer, position, length), nowNs);
            case WriteRequestDecoder.TEMPLATE_ID ->
                writes.onWriteRequest(decoders.writeRequest(buffer, position, length), nowNs);
            case WriteBatchRequestDecoder.TEMPLATE_ID ->
                writes.onWriteBatchRequest(decoders.writeBatchRequest(buffer, position, length), nowNs);
            case WriteLogBatchDecoder.TEMPLATE_ID ->
                writes.onWriteLogBatch(decoders.writeLogBatch(buffer, position, length), nowNs);
            case ReadRequestDecoder.TEMPLATE_ID -> reads.onReadRequest(decoders.readRequest(buffer, position, length), nowNs);
            case TailRequestDecoder.TEMPLATE_ID -> reads.onTailRequest(decoders.tailRequest(buffer, position, length), nowNs);
            default -> logger.log(WARNING, "unexpected " + MessageTypes.describe(templateId) + " on client ingress");
        }
    }

    private void onConnect(final ConnectDecoder decoder, final long nowNs)
    {
        final long clientId = decoder.clientId();
        final int streamId = decoder.responseStreamId();
        final String channel = decoder.responseChannel();
        if (!channel.startsWith("aeron:"))
        {
            logger.log(WARNING, "Connect from client " + clientId + " with invalid response channel '" + channel + "'");
            return;
        }
        final ClientSessions.Session session = sessions.connect(clientId, channel, streamId, nowNs);
        if (null != session)
        {
            replyWhenConnected(session, nowNs);
        }
        else if (!sessions.isConnecting(clientId))
        {
            logger.log(WARNING, "Connect from client " + clientId + " dropped: " + MAX_CONNECTING_DESCRIPTION);
        }
    }

    @Override
    public void onSessionReady(final ClientSessions.Session session)
    {
        replyWhenConnected(session, clock.nanoTime());
    }

    @Override
    public void onSessionFailed(final long clientId, final String channel, final int streamId, final String reason)
    {
        logger.log(WARNING, "Connect from client " + clientId + " not answered: its response channel '" + channel +
            "' stream " + streamId + " could not be set up (" + reason + "); the client connects again");
    }

    private void replyWhenConnected(final ClientSessions.Session session, final long nowNs)
    {
        session.connectReplyDeadlineNs = nowNs + CONNECT_REPLY_TIMEOUT_NS;
        if (!responses.trySendConnectReply(session) && !pendingConnectReplies.contains(session))
        {
            pendingConnectReplies.add(session); // its publication is still connecting
        }
    }

    /**
     * Settles the Connects whose publication the media driver was setting up, then sends the ConnectResponses
     * whose publication was still connecting: each once it is, dropped after 2 s.
     */
    public int sendPendingConnectReplies(final long nowNs)
    {
        int sent = sessions.pollConnecting(nowNs, this);
        if (pendingConnectReplies.isEmpty())
        {
            return sent;
        }
        for (int i = pendingConnectReplies.size() - 1; i >= 0; i--)
        {
            final ClientSessions.Session session = pendingConnectReplies.get(i);
            if (session.connectReplyDeadlineNs == 0 || nowNs - session.connectReplyDeadlineNs > 0 ||
                responses.trySendConnectReply(session))
            {
                session.connectReplyDeadlineNs = 0;
                pendingConnectReplies.remove(i);
                sent++;
            }
        }
        return sent;
    }
}
