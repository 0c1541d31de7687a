package io.logship.node.election;

import io.logship.log.SegmentedLog;

/** The up-to-date check compares (last epoch, log end) — the whole log, fsynced or not, as in Raft. */
public final class LocalLogView implements LogView
{
    private final SegmentedLog log;

    public LocalLogView(final SegmentedLog log)
    {
        this.log = log;
    }

    @Override
    public int lastLogEpoch()
    {
        return log.epochHistory().latestEpoch();
    }

    @Override
    public long logEndOffset()
    {
        return log.logEndOffset();
    }
}
