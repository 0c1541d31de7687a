package io.logship.client;

import io.logship.transport.BoundedPublisher;

/**
 * The client's link to one node: its publishers (client ingress, and admin when a cluster secret is
 * configured) and the Connect handshake state. Owned by the {@link ClientConductor} thread.
 *
 * <pre>
 *   DISCONNECTED --(a request needs it, or start)--> CONNECTING --ConnectResponse OK--> CONNECTED
 *   CONNECTING --connectAttempts x connectTimeoutMs unanswered--> DISCONNECTED (failedRounds + 1)
 *   CONNECTED --an attempt at it timed out, or its publication lost its subscriber--> DISCONNECTED
 * </pre>
 */
final class NodeSession
{
    static final int DISCONNECTED = 0;
    static final int CONNECTING = 1;
    static final int CONNECTED = 2;

    final int nodeId;
    final int index;
    final String host;
    final int port;
    final BoundedPublisher ingress;
    final BoundedPublisher admin;

    int state = DISCONNECTED;
    /** Connects sent (or tried) in this round. */
    int attempts;
    /** End of the current attempt's wait for a ConnectResponse. */
    long attemptEndNs;
    boolean sentThisAttempt;
    /** Rounds that ended without a ConnectResponse, ever: waiting requests compare it to fail fast. */
    int failedRounds;
    String lastError = "not connected yet";

    NodeSession(
        final int nodeId,
        final int index,
        final String host,
        final int port,
        final BoundedPublisher ingress,
        final BoundedPublisher admin)
    {
        this.nodeId = nodeId;
        this.index = index;
        this.host = host;
        this.port = port;
        this.ingress = ingress;
        this.admin = admin;
    }

    /** Starts a Connect round unless one is running or the session is connected. */
    void ensureConnecting(final long nowNs)
    {
        if (DISCONNECTED == state)
        {
            state = CONNECTING;
            attempts = 0;
            attemptEndNs = nowNs;
            sentThisAttempt = true; // the maintenance pass opens attempt 1 at once
        }
    }

    /** Forget the session: the node may have restarted and lost it. The next use connects again. */
    void disconnect(final String reason)
    {
        state = DISCONNECTED;
        lastError = reason;
    }

    String describe()
    {
        return "node " + nodeId + " (" + host + ":" + port + ")";
    }
}
