package io.logship.node;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.async.AsyncQueueFullPolicy;
import org.apache.logging.log4j.core.async.EventRoute;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What Log4j2's async loggers do when their ring is full (the writer thread cannot keep up with stdout): drop the
 * event and count it, at every level. Log4j's own policies either block the logging thread until there is room
 * ({@code Default}), which would stall the duty thread on stdout, or drop only events at or below a level
 * ({@code Discard}) and block on the rest. Named in {@code log4j2.component.properties}; Log4j creates it. The count
 * is {@code logship_log_events_dropped_total}. Called by any logging thread.
 */
public final class DroppingLogQueuePolicy implements AsyncQueueFullPolicy
{
    private static final AtomicLong DROPPED = new AtomicLong();

    @Override
    public EventRoute getRoute(final long backgroundThreadId, final Level level)
    {
        DROPPED.incrementAndGet();
        return EventRoute.DISCARD;
    }

    /** Log events dropped in this JVM because the async ring was full. */
    public static long dropped()
    {
        return DROPPED.get();
    }
}
