package io.logship.client;

import org.agrona.collections.Long2ObjectHashMap;

import java.util.concurrent.Semaphore;

/**
 * The requests whose attempt awaits an answer, by correlation id, and the one way every request ends:
 * {@link #complete} or {@link #fail}, which mark it done, drop it from the table and return its in-flight
 * permit (a batch returns one per write it carries).
 *
 * <p>Owned by the conductor thread; not thread-safe. The permits are shared with API threads, which take
 * them before queueing a request.
 */
final class InFlightRequests
{
    private final Semaphore inFlightPermits;
    private final NodeSessions sessions;
    private final Long2ObjectHashMap<ClientRequest> awaitingResponse = new Long2ObjectHashMap<>();
    private long lateResponses;

    InFlightRequests(final Semaphore inFlightPermits, final NodeSessions sessions)
    {
        this.inFlightPermits = inFlightPermits;
        this.sessions = sessions;
    }

    /** The attempt went out under {@code correlationId}: its answer is claimed by that id. */
    void awaitAnswer(final long correlationId, final ClientRequest request)
    {
        awaitingResponse.put(correlationId, request);
    }

    /** The current attempt is abandoned: an answer to it arriving later is ignored. */
    void abandonAttempt(final ClientRequest request)
    {
        awaitingResponse.remove(request.correlationId);
    }

    /** As {@link #claim(long, ClientRequest.Kind, ClientRequest.Kind)} for an answer to one kind only. */
    ClientRequest claim(final long correlationId, final ClientRequest.Kind kind)
    {
        return claim(correlationId, kind, kind);
    }

    /**
     * The request an answer belongs to, if it is still waiting for it and is of one of the kinds that
     * answer can be for (a WriteResponse answers a write or a batch, an AdminResponse a promote or a
     * demote); null, and counted as late, otherwise. The claimed request is WAITING again: the caller
     * completes, fails or retries it.
     */
    ClientRequest claim(final long correlationId, final ClientRequest.Kind kind, final ClientRequest.Kind orKind)
    {
        final ClientRequest request = awaitingResponse.get(correlationId);
        if (null == request || (request.kind != kind && request.kind != orKind))
        {
            lateResponses++;
            return null;
        }
        awaitingResponse.remove(correlationId);
        request.state = ClientRequest.WAITING;
        return request;
    }

    /** Answers that matched no waiting attempt (late, duplicated or of the wrong kind). */
    long lateResponses()
    {
        return lateResponses;
    }

    /** Marks the request done and returns its permit; it leaves the active list at the next scan. */
    ClientRequest finish(final ClientRequest request)
    {
        if (request.state == ClientRequest.SENT)
        {
            awaitingResponse.remove(request.correlationId);
        }
        request.state = ClientRequest.DONE;
        if (null != request.children)
        {
            for (final ClientRequest child : request.children)
            {
                child.state = ClientRequest.DONE;
                inFlightPermits.release(); // a batch holds its writes' permits, not one of its own
            }
        }
        else
        {
            inFlightPermits.release();
        }
        return request;
    }

    void complete(final ClientRequest request, final Object result)
    {
        finish(request).complete(result);
    }

    void fail(
        final ClientRequest request,
        final ResponseStatus status,
        final int nodeId,
        final String detail,
        final AckLevel ackLevelReached)
    {
        final String message = request.describe() + " failed" +
            (nodeId >= 0 ? " at " + sessions.describeNode(nodeId) : "") +
            ": " + status + (null == detail || detail.isEmpty() ? "" : ": " + detail);
        fail(request, new LogshipClientException(message, status, nodeId, sessions.leaderId(), ackLevelReached));
    }

    /** Fails the request and, for a batch, every write it carries, with {@code error}. */
    void fail(final ClientRequest request, final LogshipClientException error)
    {
        finish(request).fail(error);
        if (null != request.children)
        {
            for (final ClientRequest child : request.children)
            {
                child.fail(error);
            }
        }
    }

    /** Forgets every waiting attempt (the client is closing and has failed them). */
    void clear()
    {
        awaitingResponse.clear();
    }
}
