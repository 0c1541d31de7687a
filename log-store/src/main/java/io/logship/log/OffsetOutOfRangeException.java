package io.logship.log;

import io.logship.LogshipException;

/**
 * A read or truncation asked for an offset outside {@code [logStartOffset, logEndOffset]}. A follower
 * that gets this below the log start needs a snapshot; above the end, it has diverged or is ahead.
 */
public final class OffsetOutOfRangeException extends LogshipException
{
    private static final long serialVersionUID = 1L;

    private final long requestedOffset;
    private final long logStartOffset;
    private final long logEndOffset;

    public OffsetOutOfRangeException(final long requestedOffset, final long logStartOffset, final long logEndOffset)
    {
        super("offset " + requestedOffset + " is outside the log [" + logStartOffset + ", " + logEndOffset + "]",
            Category.ERROR);
        this.requestedOffset = requestedOffset;
        this.logStartOffset = logStartOffset;
        this.logEndOffset = logEndOffset;
    }

    public long requestedOffset()
    {
        return requestedOffset;
    }

    public long logStartOffset()
    {
        return logStartOffset;
    }

    public long logEndOffset()
    {
        return logEndOffset;
    }
}
