package io.logship.node.pipeline;

import com.lmax.disruptor.BlockingWaitStrategy;
import com.lmax.disruptor.TimeoutBlockingWaitStrategy;
import com.lmax.disruptor.WaitStrategy;
import io.logship.log.FsyncPolicy;
import io.logship.log.LogConfig;

import java.util.concurrent.TimeUnit;

/**
 * How the journal thread waits on the leader's write ring. With {@code fsync=interval} an idle journal
 * must still wake to force the tail it appended last ({@link JournalHandler#onTimeout}), so it waits at
 * most one fsync interval; with {@code fsync=always} every append is already forced and it never needs to
 * wake without a write.
 *
 * <p>The timeout costs the hot path nothing: {@link TimeoutBlockingWaitStrategy} waits on the same monitor
 * as {@link BlockingWaitStrategy} and only bounds the wait (the producer signals it the same way, and a
 * publish wakes a waiting journal as promptly), and a journal that finds events available returns without
 * waiting at all. Only a ring that stays empty for a whole interval makes the journal wake on its own.
 */
public final class JournalWaitStrategy
{
    private JournalWaitStrategy()
    {
    }

    /** The wait strategy for the ring whose journal appends to a log configured by {@code logConfig}. */
    public static WaitStrategy forLog(final LogConfig logConfig)
    {
        if (logConfig.fsyncPolicy() == FsyncPolicy.INTERVAL)
        {
            return new TimeoutBlockingWaitStrategy(logConfig.fsyncIntervalMs(), TimeUnit.MILLISECONDS);
        }
        return new BlockingWaitStrategy();
    }
}
