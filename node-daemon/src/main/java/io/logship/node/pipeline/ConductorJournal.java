package io.logship.node.pipeline;

import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import io.logship.LogshipException;

import java.util.function.Consumer;

/**
 * The journal stage run by the conductor itself ({@code logship.node.journal=conductor},
 * docs/DESIGN.md#journal-on-conductor): the same {@link JournalHandler} as the journal thread's, fed by an
 * {@link EventPoller} on the write ring instead of a {@code BatchEventProcessor}. Each poll takes every write the
 * conductor published since the last one as one Disruptor batch (group commit as before: the events up to the
 * highest published sequence, the last one with {@code endOfBatch}), appends it, and stamps the results that the
 * conductor's result poller, gated on this stage's sequence, answers in the same duty cycle.
 *
 * <p>Why: with a journal thread every write crosses two more thread hand-offs (conductor → journal → conductor),
 * each a wake-up of tens of microseconds on a host whose cores are all busy, and the leader runs one more
 * runnable thread. The price is the append's {@code pwrite} on the duty thread, as a follower's appends already
 * are: a page the kernel is writing back can hold it for milliseconds, and heartbeats wait that long.
 *
 * <p>An exception out of the handler is what the journal thread's exception handler does with it: reported to
 * {@code errors} and the write failed, and the stage goes on with the next. Conductor thread only.
 */
public final class ConductorJournal
{
    private final EventPoller<WriteEvent> poller;
    private final JournalHandler handler;
    private final Consumer<Throwable> errors;
    private final EventPoller.Handler<WriteEvent> step = this::onEvent;

    /**
     * @param ring    the write ring; this stage's poller follows the conductor's publications directly.
     * @param handler the journal, built with no-op {@code resultsReady}: its results are polled in the same cycle.
     * @param errors  where an unexpected failure of the handler goes (the node's error count and log).
     */
    public ConductorJournal(final RingBuffer<WriteEvent> ring, final JournalHandler handler,
        final Consumer<Throwable> errors)
    {
        this.poller = ring.newPoller();
        this.handler = handler;
        this.errors = errors;
    }

    /** The stage's sequence: the conductor's result poller is gated on it. */
    public Sequence sequence()
    {
        return poller.getSequence();
    }

    /** Appends what the conductor published since the last call; 1 if there was any, else 0. */
    public int poll()
    {
        try
        {
            return poller.poll(step) == EventPoller.PollState.PROCESSING ? 1 : 0;
        }
        catch (final Exception ex)
        {
            // onEvent catches everything; this is the poller itself failing, which leaves the ring unusable.
            throw new LogshipException("journal stage failed: " + ex, LogshipException.Category.FATAL, ex);
        }
    }

    private boolean onEvent(final WriteEvent event, final long sequence, final boolean endOfBatch)
    {
        try
        {
            handler.onEvent(event, sequence, endOfBatch);
        }
        catch (final RuntimeException | Error ex)
        {
            errors.accept(ex);
            event.result = WriteEvent.RESULT_FAILED;
            event.error = "journal failed: " + ex;
        }
        return true;
    }
}
