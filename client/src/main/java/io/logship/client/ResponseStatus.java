package io.logship.client;

/**
 * Why a request failed (or {@link #OK}). The first ten are the node's wire status; the rest are decided
 * by the client itself without an answer from a node.
 */
public enum ResponseStatus
{
    OK,
    NOT_LEADER,
    BUSY,
    /** The node did not reach the asked ack level (write) or min offset (read) within the request's timeout. */
    TIMEOUT,
    /** Bad request, rejected by the node or, before sending, by the client; the message names the limit. */
    INVALID,
    NOT_FOUND,
    OFFSET_OUT_OF_RANGE,
    UNAVAILABLE,
    FENCED,
    ERROR,

    /** Client side: no node answered in time, across every retry, before the caller's deadline. */
    DEADLINE_EXCEEDED,
    /** Client side: the node did not answer Connect (or was not connected) for a whole connect round. */
    UNREACHABLE,
    /** Client side: {@code maxInFlight} requests were outstanding for longer than the deadline. */
    OVERLOADED,
    /** Client side: the client was closed before the request completed. */
    CLOSED,
    /** Client side: a response failed its checks (e.g. a tail batch's CRC32C). */
    CORRUPT_RESPONSE,
    /** Client side: the call needs a setting that is missing, e.g. the cluster secret for admin calls. */
    NOT_CONFIGURED;

    static ResponseStatus fromWire(final io.logship.transport.codec.Status status)
    {
        switch (status)
        {
            case OK: return OK;
            case NOT_LEADER: return NOT_LEADER;
            case BUSY: return BUSY;
            case TIMEOUT: return TIMEOUT;
            case INVALID: return INVALID;
            case NOT_FOUND: return NOT_FOUND;
            case OFFSET_OUT_OF_RANGE: return OFFSET_OUT_OF_RANGE;
            case UNAVAILABLE: return UNAVAILABLE;
            case FENCED: return FENCED;
            case ERROR:
            default: return ERROR;
        }
    }
}
