package io.logship.cli;

/**
 * A command failed in a way the operator should read as one line: {@link AdminCli} prints
 * {@code logship <command>: <message>} to stderr and exits with {@link #exitCode()}.
 */
final class CliException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final int exitCode;

    CliException(final int exitCode, final String message)
    {
        super(message);
        this.exitCode = exitCode;
    }

    CliException(final int exitCode, final String message, final Throwable cause)
    {
        super(message, cause);
        this.exitCode = exitCode;
    }

    int exitCode()
    {
        return exitCode;
    }
}
