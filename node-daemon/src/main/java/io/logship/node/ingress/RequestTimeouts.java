package io.logship.node.ingress;

import java.util.concurrent.TimeUnit;

/**
 * How long a client request (write or read) may wait: the client's own timeout, at most ten times the
 * node's default ({@code logship.node.request.timeout.ms}) so a bad client cannot park waits for ever;
 * the default when the client sends none.
 */
public final class RequestTimeouts
{
    private final long defaultTimeoutNs;

    public RequestTimeouts(final long defaultTimeoutMs)
    {
        this.defaultTimeoutNs = TimeUnit.MILLISECONDS.toNanos(defaultTimeoutMs);
    }

    public long timeoutNs(final long requestedTimeoutMs)
    {
        return requestedTimeoutMs > 0 ?
            Math.min(TimeUnit.MILLISECONDS.toNanos(requestedTimeoutMs), 10 * defaultTimeoutNs) : defaultTimeoutNs;
    }
}
