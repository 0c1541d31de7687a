package io.logship.client;

import io.logship.LogshipException;

/**
 * A request failed. {@link #status()} says why (a node's answer, or a client-side reason), {@link #nodeId()}
 * which node answered or was tried last (-1 if none), {@link #leaderId()} the leader as the client knew it,
 * and, for a write that timed out on the node, {@link #ackLevelReached()} how far it got (null if unknown).
 * The message names the operation, the status, the node and the node's own message.
 */
public class LogshipClientException extends LogshipException
{
    private static final long serialVersionUID = 1L;

    private final ResponseStatus status;
    private final int nodeId;
    private final int leaderId;
    private final AckLevel ackLevelReached;

    public LogshipClientException(
        final String message,
        final ResponseStatus status,
        final int nodeId,
        final int leaderId,
        final AckLevel ackLevelReached)
    {
        super(message, Category.ERROR);
        this.status = status;
        this.nodeId = nodeId;
        this.leaderId = leaderId;
        this.ackLevelReached = ackLevelReached;
    }

    public LogshipClientException(final String message, final ResponseStatus status, final int nodeId, final Throwable cause)
    {
        super(message, Category.ERROR, cause);
        this.status = status;
        this.nodeId = nodeId;
        this.leaderId = -1;
        this.ackLevelReached = null;
    }

    public ResponseStatus status()
    {
        return status;
    }

    /** The node that answered, or the last one tried; -1 if none. */
    public int nodeId()
    {
        return nodeId;
    }

    /** The leader the client knew when the request failed; -1 if unknown. */
    public int leaderId()
    {
        return leaderId;
    }

    /** For a write that timed out on the node: the ack level it did reach; null if unknown or not a write. */
    public AckLevel ackLevelReached()
    {
        return ackLevelReached;
    }
}
