package io.logship.transport;

import io.logship.LogshipException;

/**
 * What this module throws on purpose: a {@link LogshipException} (the project's one root, whose
 * {@link LogshipException.Category} says whether the transport can still be used), so callers catch transport
 * and storage failures alike. FATAL: the transport can no longer be used (driver gone, directory unusable);
 * ERROR: the operation failed, the transport stays usable; WARN: bad input from outside was dropped and counted.
 */
public class TransportException extends LogshipException
{
    private static final long serialVersionUID = 1L;

    public TransportException(final String message, final Category category)
    {
        super(message, category);
    }

    public TransportException(final String message, final Category category, final Throwable cause)
    {
        super(message, category, cause);
    }
}
