package io.logship.node;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Tells systemd (a {@code Type=notify} unit) that logshipd is ready, by running {@code systemd-notify}: the
 * JDK cannot send on the unix datagram socket {@code $NOTIFY_SOCKET} names (it has stream unix sockets only).
 * {@code systemd-notify} without {@code --no-block} waits until systemd has processed the message, so the
 * message is not lost when the short-lived process exits first; the unit needs {@code NotifyAccess=all}
 * because the sender is a child of the main process. Does nothing outside systemd (no NOTIFY_SOCKET).
 * Called from the main thread only.
 */
final class SystemdNotifier
{
    static final String NOTIFY_SOCKET_ENV = "NOTIFY_SOCKET";
    private static final long TIMEOUT_MS = 10_000;

    private final String notifySocket;
    private final String command;

    SystemdNotifier(final String notifySocket, final String command)
    {
        this.notifySocket = notifySocket;
        this.command = command;
    }

    /** From the environment; {@code systemd-notify} from PATH. */
    static SystemdNotifier fromEnvironment()
    {
        return new SystemdNotifier(System.getenv(NOTIFY_SOCKET_ENV), "systemd-notify");
    }

    /** Whether a service manager asked for notifications. */
    boolean enabled()
    {
        return null != notifySocket && !notifySocket.isBlank();
    }

    /**
     * Sends READY=1 with {@code status} as STATUS= and this JVM as MAINPID.
     *
     * @return null when sent (or nothing to do), else why not: systemd then fails the start after its
     * TimeoutStartSec, so the caller prints it for the journal.
     */
    String ready(final String status)
    {
        return send(List.of(command, "--ready", "--pid=" + ProcessHandle.current().pid(), "--status=" + status));
    }

    /**
     * Sends only STATUS= (what {@code systemctl status} shows), e.g. while waiting to join before READY=1.
     *
     * @return null when sent (or nothing to do), else why not.
     */
    String status(final String status)
    {
        return send(List.of(command, "--pid=" + ProcessHandle.current().pid(), "--status=" + status));
    }

    private String send(final List<String> argv)
    {
        if (!enabled())
        {
            return null;
        }
        try
        {
            final ProcessBuilder builder = new ProcessBuilder(argv)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.INHERIT);
            builder.environment().put(NOTIFY_SOCKET_ENV, notifySocket);
            final Process process = builder.start();
            if (!process.waitFor(TIMEOUT_MS, TimeUnit.MILLISECONDS))
            {
                process.destroyForcibly();
                return String.join(" ", argv) + " did not finish within " + TIMEOUT_MS + " ms";
            }
            return 0 == process.exitValue() ? null : String.join(" ", argv) + " exited " + process.exitValue();
        }
        catch (final IOException ex)
        {
            return "cannot run " + command + " (" + NOTIFY_SOCKET_ENV + "=" + notifySocket + "): " + ex.getMessage();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return "interrupted while running " + command;
        }
    }
}
