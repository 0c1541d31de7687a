package io.logship.node.ingress;

import io.logship.transport.BoundedPublisher;
import io.logship.transport.TransportNode;
import org.agrona.CloseHelper;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * Response channels of the clients (and admin tools) that sent {@code Connect}: client id →
 * publication on the client's own channel. Bounded: past {@code maxSessions} the least recently used
 * session is closed (its client reconnects when a reply is late). Owned by the conductor thread.
 */
public final class ClientSessions implements AutoCloseable
{
    /** One connected client. */
    public static final class Session
    {
        public final long clientId;
        final String channel;
        final int streamId;
        public final BoundedPublisher publisher;
        public long lastUseNs;
        /** Set until the ConnectResponse has been sent: the publication needs a moment to connect. */
        public long connectReplyDeadlineNs;

        Session(final long clientId, final String channel, final int streamId, final BoundedPublisher publisher)
        {
            this.clientId = clientId;
            this.channel = channel;
            this.streamId = streamId;
            this.publisher = publisher;
        }
    }

    private final TransportNode transport;
    private final int maxSessions;
    private final Long2ObjectHashMap<Session> sessions = new Long2ObjectHashMap<>();

    public ClientSessions(final TransportNode transport, final int maxSessions)
    {
        this.transport = transport;
        this.maxSessions = maxSessions;
    }

    public Session get(final long clientId, final long nowNs)
    {
        final Session session = sessions.get(clientId);
        if (null != session)
        {
            session.lastUseNs = nowNs;
        }
        return session;
    }

    /** The session for a Connect: reused if the channel is unchanged, else (re)created. */
    public Session connect(final long clientId, final String channel, final int streamId, final long nowNs)
    {
        Session session = sessions.get(clientId);
        if (null != session && (!session.channel.equals(channel) || session.streamId != streamId))
        {
            sessions.remove(clientId);
            CloseHelper.quietClose(session.publisher);
            session = null;
        }
        if (null == session)
        {
            if (sessions.size() >= maxSessions)
            {
                evictLeastRecentlyUsed();
            }
            final BoundedPublisher publisher = transport.addPublisher(channel, streamId, "client-" + clientId);
            session = new Session(clientId, channel, streamId, publisher);
            sessions.put(clientId, session);
        }
        session.lastUseNs = nowNs;
        return session;
    }

    /** Visits every session (for pending ConnectResponses). */
    public void forEach(final java.util.function.Consumer<Session> visitor)
    {
        sessions.values().forEach(visitor);
    }

    public int size()
    {
        return sessions.size();
    }

    private void evictLeastRecentlyUsed()
    {
        Session oldest = null;
        for (final Session session : sessions.values())
        {
            if (null == oldest || session.lastUseNs < oldest.lastUseNs)
            {
                oldest = session;
            }
        }
        if (null != oldest)
        {
            sessions.remove(oldest.clientId);
            CloseHelper.quietClose(oldest.publisher);
        }
    }

    @Override
    public void close()
    {
        for (final Session session : sessions.values())
        {
            CloseHelper.quietClose(session.publisher);
        }
        sessions.clear();
    }
}
