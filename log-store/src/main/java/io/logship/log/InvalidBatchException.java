package io.logship.log;

import io.logship.LogshipException;

/**
 * A batch offered for append was refused: malformed, bad checksum, not contiguous with the log end,
 * or from an epoch older than the log's latest. Category ERROR: the log is unchanged and healthy.
 */
public final class InvalidBatchException extends LogshipException
{
    private static final long serialVersionUID = 1L;

    public InvalidBatchException(final String message)
    {
        super(message, Category.ERROR);
    }
}
