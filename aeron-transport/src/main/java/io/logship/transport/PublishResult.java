package io.logship.transport;

/**
 * What became of one {@link BoundedPublisher} send. Anything but {@link #SENT} means the message was
 * not sent and the caller must act: keep it and retry later, mark the peer down, or fail the request.
 */
public enum PublishResult
{
    SENT,
    /** Still back-pressured after the retry budget: the receiver or the network is behind. Retry later. */
    BACK_PRESSURED,
    /** No subscriber is connected (not yet, or not any more). Returned at once, without retries. */
    NOT_CONNECTED,
    /** Still in an admin action (term rotation) after the retry budget. Retry later. */
    ADMIN_ACTION,
    /** The publication is closed. Terminal: create a new one. */
    CLOSED,
    /** The publication reached its maximum position. Terminal: create a new one. */
    MAX_POSITION_EXCEEDED,
    /** Longer than the publication's maximum message (or claim) length, tag included. Never sendable as is. */
    TOO_LARGE;

    public boolean isSent()
    {
        return this == SENT;
    }

    /** True if the same message may succeed later on the same publication. */
    public boolean isRetryable()
    {
        return this == BACK_PRESSURED || this == NOT_CONNECTED || this == ADMIN_ACTION;
    }
}
