package io.logship.node.follower;

import io.logship.LogshipException;
import io.logship.log.Quarantine;
import io.logship.log.SegmentedLog;
import io.logship.node.pipeline.Wakeup;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Saves a rejoining follower's divergent suffix to the quarantine ({@link Quarantine#save}) on a thread of its own,
 * so the conductor keeps heartbeating and acking meanwhile: a save lists the quarantine directory, writes the
 * records to a new file and fsyncs it and the directory, and on the duty thread it took 50–90 ms, during which the
 * node's heartbeats and votes waited (docs/DESIGN.md#quarantine-file). The conductor asks with {@link #save} and
 * looks at {@link #result} in later duty cycles (it is woken when a save ends); it cuts its log only once a result
 * names the durable file. The log must not move below the end it had at the request until then: the follower appends
 * nothing while it waits ({@link FollowerState#QUARANTINING}).
 *
 * <p>One save at a time: a request made while another waits replaces it (its ticket never gets a result), and a
 * result answers only the ticket it was asked with, so a late result of a superseded save is never taken for the
 * current one. Its thread waits on a monitor when there is nothing to save.
 */
public final class QuarantineWriter implements AutoCloseable
{
    /**
     * A save's outcome: the file (null if there was nothing to save), or what made it fail (then nothing was written),
     * and how long it took on this thread, for the log line that reports the cut.
     */
    public record Result(long ticket, Path file, Throwable failure, long elapsedMs)
    {
        /**
         * Why the save failed, or null: a {@link LogshipException}'s message names the file and the cause (disk full,
         * I/O error, corrupt batch); anything else is a defect and is named by its type too.
         */
        public String error()
        {
            if (null == failure)
            {
                return null;
            }
            return failure instanceof LogshipException ? failure.getMessage() : failure.toString();
        }

        /** Whether the failure is not one of the save's own (a defect): its stack trace belongs in the log. */
        public boolean unexpected()
        {
            return null != failure && !(failure instanceof LogshipException);
        }
    }

    private record Request(long ticket, long fromOffset, int leaderId, int epoch, String reason)
    {
    }

    private final SegmentedLog log;
    private final Path directory;
    private final int nodeId;
    private final Thread thread;
    private volatile Wakeup conductor;
    private final Object lock = new Object();
    private Request pending; // guarded by lock
    private boolean closed; // guarded by lock
    private volatile Result result;
    private long tickets; // conductor thread

    /** @param directory the node's quarantine directory ({@code <data>/quarantine}). */
    public QuarantineWriter(final SegmentedLog log, final Path directory, final int nodeId)
    {
        this.log = log;
        this.directory = directory;
        this.nodeId = nodeId;
        this.thread = new Thread(this::run, "quarantine-" + nodeId);
        thread.setDaemon(true);
    }

    /** Starts the thread; {@code conductor} is woken after each save, so its result is seen without an idle's wait. */
    public void start(final Wakeup conductor)
    {
        this.conductor = conductor;
        thread.start();
    }

    /**
     * Asks for the log from {@code fromOffset} to its end to be saved, for the given leader and epoch with
     * {@code reason}; returns at once with the ticket {@link #result} answers. Conductor thread.
     */
    public long save(final long fromOffset, final int leaderId, final int epoch, final String reason)
    {
        final long ticket = ++tickets;
        synchronized (lock)
        {
            pending = new Request(ticket, fromOffset, leaderId, epoch, reason);
            lock.notifyAll();
        }
        return ticket;
    }

    /** The outcome of the save asked with {@code ticket}, or null while it runs (or if a later save replaced it). */
    public Result result(final long ticket)
    {
        final Result last = result;
        return null != last && last.ticket() == ticket ? last : null;
    }

    private void run()
    {
        while (true)
        {
            final Request request;
            synchronized (lock)
            {
                while (null == pending && !closed)
                {
                    try
                    {
                        lock.wait();
                    }
                    catch (final InterruptedException ex)
                    {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                if (closed)
                {
                    return;
                }
                request = pending;
                pending = null;
            }
            final long startNs = System.nanoTime();
            Path file = null;
            Throwable failure = null;
            try
            {
                file = Quarantine.save(log, request.fromOffset(), directory, nodeId, request.leaderId(),
                    request.epoch(), request.reason());
            }
            catch (final Throwable ex)
            {
                // Disk full, I/O error, a corrupt batch, a removed offset (or a defect): the follower stays out of
                // sync, cuts nothing it could not keep and asks again later. Caught whatever it is: a thread ended by
                // it would leave the follower waiting for a result that never comes, and the cause unlogged.
                failure = ex;
            }
            final Result outcome = new Result(request.ticket(), file, failure,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
            result = outcome;
            final Wakeup wakeup = conductor;
            if (null != wakeup)
            {
                wakeup.wake();
            }
        }
    }

    /** Stops the thread once a save under way ends; one asked for and not begun is dropped (nothing was cut). */
    @Override
    public void close()
    {
        synchronized (lock)
        {
            closed = true;
            pending = null;
            lock.notifyAll();
        }
        try
        {
            thread.join(10_000);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
