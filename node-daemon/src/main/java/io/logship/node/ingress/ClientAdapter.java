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
import io.logship.transport.codec.WriteRequestDecoder;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.NanoClock;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static java.lang.System.Logger.Level.WARNING;

/**
 * Decodes the client stream: connects (a response channel per client, answered once its publication is
 * connected), writes (to {@link WriteIntake}) and reads and tails (to {@link ReadService}). Conductor thread
 * only.
 */
public final class ClientAdapter
{
    private static final long CONNECT_REPLY_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(2);

    private final ClientSessions sessions;
    private final ResponsePublisher responses;
    private final WriteIntake writes;
    private final ReadService reads;
    private final NanoClock clock;
    private final System.Logger logger;
    private final Decoders decoders = new Decoders();
    private final List<ClientSessions.Session> pendingConnectReplies = new ArrayList<>();

    public ClientAdapter(final ClientSessions sessions, final ResponsePublisher responses, final WriteIntake writes,
        final ReadService reads, final NanoClock clock, final System.Logger logger)
    {
        this.sessions = sessions;
        this.responses = responses;
        this.writes = writes;
        this.reads = reads;
        this.clock = clock;
        this.logger = logger;
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
        session.connectReplyDeadlineNs = nowNs + CONNECT_REPLY_TIMEOUT_NS;
        if (!responses.trySendConnectReply(session) && !pendingConnectReplies.contains(session))
        {
            pendingConnectReplies.add(session); // its publication is still connecting
        }
    }

    /** ConnectResponses whose publication was still connecting: sent once it is, dropped after 2 s. */
    public int sendPendingConnectReplies(final long nowNs)
    {
        if (pendingConnectReplies.isEmpty())
        {
            return 0;
        }
        int sent = 0;
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
