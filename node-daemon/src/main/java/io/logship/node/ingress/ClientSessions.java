package io.logship.node.ingress;

import io.aeron.exceptions.AeronException;
import io.logship.transport.BoundedPublisher;
import io.logship.transport.PendingPublisher;
import io.logship.transport.TransportNode;
import org.agrona.CloseHelper;
import org.agrona.collections.Long2ObjectHashMap;

import java.util.Iterator;
import java.util.concurrent.TimeUnit;

/**
 * Response channels of the clients (and admin tools) that sent {@code Connect}: client id →
 * publication on the client's own channel. Bounded: past {@code maxSessions} the least recently used
 * session is closed (its client reconnects when a reply is late). Owned by the conductor thread.
 *
 * <p>A new client's publication, and its counters, are added without waiting for the media driver: adding
 * them synchronously blocked the conductor (and its heartbeats) for as long as the driver took to answer, 10-38 ms
 * per Connect with nine counters, and a failover brings every client's Connect to the new leader at once
 * ({@code docs/DESIGN.md#connect}). {@link #connect} starts it and
 * {@link #pollConnecting} hands the session over, on a later duty cycle, once the driver has set it up (or
 * reports that it could not, or did not within the set-up timeout). Until then the client has no session:
 * its requests are dropped as from a client that never connected, and it sends none before its
 * ConnectResponse anyway.
 */
public final class ClientSessions implements AutoCloseable
{
    /** How long the media driver may take to set up a client's response publication. */
    public static final long SETUP_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(2);

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
        /** The newest epoch of this node's leadership the client was told of (NewLeader), -1 if none. */
        int announcedEpoch = -1;

        Session(final long clientId, final String channel, final int streamId, final BoundedPublisher publisher)
        {
            this.clientId = clientId;
            this.channel = channel;
            this.streamId = streamId;
            this.publisher = publisher;
        }
    }

    /** What becomes of a Connect whose publication was being set up, told by {@link #pollConnecting}. */
    public interface ConnectListener
    {
        /** The client's publication is set up: the session is in place and its ConnectResponse may go out. */
        void onSessionReady(Session session);

        /** The client's publication could not be set up: {@code reason} says why; the client gets no session. */
        void onSessionFailed(long clientId, String channel, int streamId, String reason);
    }

    /** A Connect whose publication the media driver is still setting up. */
    private static final class Connecting
    {
        final long clientId;
        final String channel;
        final int streamId;
        final PendingPublisher publisher;
        final long deadlineNs;

        Connecting(final long clientId, final String channel, final int streamId, final PendingPublisher publisher,
            final long deadlineNs)
        {
            this.clientId = clientId;
            this.channel = channel;
            this.streamId = streamId;
            this.publisher = publisher;
            this.deadlineNs = deadlineNs;
        }
    }

    private final TransportNode transport;
    private final int maxSessions;
    private final Long2ObjectHashMap<Session> sessions = new Long2ObjectHashMap<>();
    private final Long2ObjectHashMap<Connecting> connecting = new Long2ObjectHashMap<>();
    private int unannounced;

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

    /**
     * The session for a Connect if it can be reused (the same channel as before), else null: its publication is
     * being added (again, if the channel changed), and {@link #pollConnecting} hands the session over; or, if
     * {@code maxSessions} Connects are being set up already, not even that ({@link #isConnecting} says which).
     */
    public Session connect(final long clientId, final String channel, final int streamId, final long nowNs)
    {
        final Session session = sessions.get(clientId);
        if (null != session)
        {
            if (session.channel.equals(channel) && session.streamId == streamId)
            {
                session.lastUseNs = nowNs;
                return session;
            }
            sessions.remove(clientId);
            CloseHelper.quietClose(session.publisher);
        }
        final Connecting pending = connecting.get(clientId);
        if (null != pending)
        {
            if (pending.channel.equals(channel) && pending.streamId == streamId)
            {
                return null; // a resent Connect: the publication is on its way
            }
            connecting.remove(clientId);
            transport.cancelAddPublisher(pending.publisher);
        }
        if (connecting.size() >= maxSessions)
        {
            return null;
        }
        connecting.put(clientId, new Connecting(clientId, channel, streamId,
            transport.asyncAddPublisher(channel, streamId, "client-" + clientId), nowNs + SETUP_TIMEOUT_NS));
        return null;
    }

    /**
     * Hands over the sessions whose publication the media driver has set up since the last call, and gives up
     * on those it refused or did not set up within {@link #SETUP_TIMEOUT_NS}. Once per duty cycle.
     *
     * @return how many Connects were settled (work done).
     */
    public int pollConnecting(final long nowNs, final ConnectListener listener)
    {
        if (connecting.isEmpty())
        {
            return 0;
        }
        int settled = 0;
        final Iterator<Connecting> pending = connecting.values().iterator();
        while (pending.hasNext())
        {
            final Connecting connect = pending.next();
            BoundedPublisher publisher = null;
            String failure = null;
            try
            {
                publisher = transport.addedPublisher(connect.publisher);
            }
            catch (final AeronException ex)
            {
                failure = "the media driver refused the publication or one of its counters: " + ex.getMessage();
            }
            if (null == publisher && null == failure && nowNs - connect.deadlineNs > 0)
            {
                transport.cancelAddPublisher(connect.publisher);
                failure = "the media driver did not set up the publication within " +
                    TimeUnit.NANOSECONDS.toMillis(SETUP_TIMEOUT_NS) + " ms";
            }
            if (null == publisher && null == failure)
            {
                continue;
            }
            pending.remove();
            settled++;
            if (null == publisher)
            {
                listener.onSessionFailed(connect.clientId, connect.channel, connect.streamId, failure);
                continue;
            }
            if (sessions.size() >= maxSessions)
            {
                evictLeastRecentlyUsed();
            }
            final Session session = new Session(connect.clientId, connect.channel, connect.streamId, publisher);
            session.lastUseNs = nowNs;
            sessions.put(connect.clientId, session);
            listener.onSessionReady(session);
        }
        return settled;
    }

    /**
     * Sends NewLeader for {@code epoch} to every session not yet told of it ({@link Session#announcedEpoch}); a
     * publication that refuses it (not connected yet, back-pressured) is tried again on the next call.
     *
     * @return how many were sent; {@link #unannounced} says whether any is left.
     */
    public int announce(final int epoch, final Announcer announcer)
    {
        int sent = 0;
        unannounced = 0;
        for (final Session session : sessions.values())
        {
            if (session.announcedEpoch == epoch)
            {
                continue;
            }
            if (announcer.trySend(session, epoch))
            {
                session.announcedEpoch = epoch;
                sent++;
            }
            else
            {
                unannounced++;
            }
        }
        return sent;
    }

    /** Sessions the last {@link #announce} could not reach. */
    public int unannounced()
    {
        return unannounced;
    }

    /** Sends one NewLeader; true if it went out. */
    @FunctionalInterface
    public interface Announcer
    {
        boolean trySend(Session session, int epoch);
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

    /** Whether the client's publication is being set up (its Connect will be settled by {@link #pollConnecting}). */
    public boolean isConnecting(final long clientId)
    {
        return connecting.containsKey(clientId);
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
        for (final Connecting pending : connecting.values())
        {
            transport.cancelAddPublisher(pending.publisher);
        }
        connecting.clear();
    }
}
