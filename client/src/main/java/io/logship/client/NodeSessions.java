package io.logship.client;

import io.logship.transport.BoundedPublisher;
import io.logship.transport.PublishResult;
import io.logship.transport.TransportNode;
import io.logship.transport.TransportStream;
import io.logship.transport.codec.Status;
import org.agrona.CloseHelper;
import org.agrona.ErrorHandler;
import org.agrona.collections.Int2ObjectHashMap;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What the client knows of the cluster: one {@link NodeSession} per configured node (in config order,
 * which is the order routing rotates through), their Connect rounds, and the leader as last learned.
 * Owns every node publication and closes them.
 *
 * <p>Owned by the conductor thread; only {@link #leaderId()} may be read from other threads.
 */
final class NodeSessions
{
    private final ClientConfig config;
    private final ErrorHandler errorHandler;
    private final long clientId;
    private final long connectTimeoutNs;
    private final NodeSession[] sessions;
    private final Int2ObjectHashMap<NodeSession> sessionById = new Int2ObjectHashMap<>();

    private volatile int leaderId = -1;
    private int leaderEpoch = -1;

    /**
     * Adds, per node, the ingress publication (and the admin one when a cluster secret is configured).
     * Runs on the caller's thread before the conductor thread starts; on failure closes what it opened.
     */
    NodeSessions(final ClientConfig config, final TransportNode transport)
    {
        this.config = config;
        this.errorHandler = config.errorHandler();
        this.clientId = config.clientId();
        this.connectTimeoutNs = TimeUnit.MILLISECONDS.toNanos(config.connectTimeoutMs());

        final List<NodeSession> created = new ArrayList<>();
        try
        {
            for (final Map.Entry<Integer, InetSocketAddress> node : config.nodes().entrySet())
            {
                final int nodeId = node.getKey();
                final String host = node.getValue().getHostString();
                final int port = node.getValue().getPort();
                final BoundedPublisher ingress = transport.addPublisher(
                    host, port, TransportStream.CLIENT_INGRESS, "client-ingress-" + nodeId);
                BoundedPublisher admin = null;
                try
                {
                    admin = null == transport.context().clusterSecret() ? null :
                        transport.addPublisher(host, port, TransportStream.ADMIN, "client-admin-" + nodeId);
                }
                finally
                {
                    created.add(new NodeSession(nodeId, created.size(), host, port, ingress, admin));
                }
            }
        }
        catch (final RuntimeException ex)
        {
            closeAll(created);
            throw ex;
        }
        this.sessions = created.toArray(new NodeSession[0]);
        for (final NodeSession session : this.sessions)
        {
            sessionById.put(session.nodeId, session);
        }
    }

    /** The leader as last learned, -1 if unknown. Any thread. */
    int leaderId()
    {
        return leaderId;
    }

    int count()
    {
        return sessions.length;
    }

    /** The session at {@code index} in config order. */
    NodeSession at(final int index)
    {
        return sessions[index];
    }

    /** Null if {@code nodeId} is not in the client's node list. */
    NodeSession get(final int nodeId)
    {
        return sessionById.get(nodeId);
    }

    /** The configured node ids, for error messages. */
    String nodeIds()
    {
        return sessionById.keySet().toString();
    }

    String describeNode(final int nodeId)
    {
        final NodeSession session = sessionById.get(nodeId);
        return null == session ? "node " + nodeId : session.describe();
    }

    /** Starts a Connect round with every node. */
    void connectAll(final long nowNs)
    {
        for (final NodeSession session : sessions)
        {
            session.ensureConnecting(nowNs);
        }
    }

    /** Sends due Connects and ends rounds that went unanswered; returns the work done. */
    int maintain(final long nowNs, final IngressPublisher publisher)
    {
        int workCount = 0;
        for (final NodeSession session : sessions)
        {
            if (NodeSession.CONNECTING != session.state)
            {
                continue;
            }
            if (nowNs - session.attemptEndNs >= 0)
            {
                if (session.attempts >= config.connectAttempts())
                {
                    session.failedRounds++;
                    session.disconnect(session.describe() + " did not answer " + session.attempts + " Connect" +
                        (session.attempts > 1 ? "s" : "") + " within " + config.connectTimeoutMs() + " ms each" +
                        (session.ingress.isConnected() ? "" : " (no subscriber at its endpoint: is it running?)"));
                    workCount++;
                    continue;
                }
                session.attempts++;
                session.attemptEndNs = nowNs + connectTimeoutNs;
                session.sentThisAttempt = false;
            }
            if (!session.sentThisAttempt)
            {
                if (publisher.sendConnect(session.ingress) == PublishResult.SENT)
                {
                    session.sentThisAttempt = true;
                    workCount++;
                }
            }
        }
        return workCount;
    }

    /** A node answered Connect: OK opens its session and tells who leads. */
    void onConnectResponse(
        final long clientId, final int nodeId, final Status status, final int leaderId, final int epoch)
    {
        if (clientId != this.clientId)
        {
            return;
        }
        final NodeSession session = sessionById.get(nodeId);
        if (null == session)
        {
            errorHandler.onError(new LogshipClientException("ConnectResponse from node " + nodeId +
                ", which is not in the client's node list " + sessionById.keySet(), ResponseStatus.ERROR,
                nodeId, this.leaderId, null));
            return;
        }
        if (status == Status.OK)
        {
            session.state = NodeSession.CONNECTED;
            session.lastError = null;
            learnLeader(leaderId, epoch);
        }
        else if (NodeSession.CONNECTING == session.state)
        {
            session.lastError = session.describe() + " refused Connect: " + status;
        }
    }

    /**
     * A node said who leads at {@code epoch} (-1: epoch not known, e.g. a node answered a LEADER read).
     * Never goes back to an older epoch's leader.
     */
    void learnLeader(final int leaderId, final int epoch)
    {
        if (leaderId < 0 || null == sessionById.get(leaderId))
        {
            return;
        }
        if (epoch >= leaderEpoch || (epoch < 0 && this.leaderId < 0))
        {
            this.leaderId = leaderId;
            leaderEpoch = Math.max(leaderEpoch, epoch);
        }
    }

    /** The highest epoch a leader was learned for, -1 if none. Conductor thread. */
    int leaderEpoch()
    {
        return leaderEpoch;
    }

    /** {@code nodeId} failed or refused as leader: routing rotates until someone names the leader again. */
    void forgetLeader(final int nodeId)
    {
        if (leaderId == nodeId)
        {
            leaderId = -1;
        }
    }

    void close()
    {
        closeAll(List.of(sessions));
    }

    private static void closeAll(final List<NodeSession> sessions)
    {
        for (final NodeSession session : sessions)
        {
            CloseHelper.quietCloseAll(session.ingress, session.admin);
        }
    }
}
