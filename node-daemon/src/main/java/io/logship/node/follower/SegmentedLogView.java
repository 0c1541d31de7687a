package io.logship.node.follower;

import io.logship.log.EpochHistory;
import io.logship.log.SegmentedLog;

/** A {@link SegmentedLog} as {@link LogReconciler} sees it: its bounds and its epoch history. */
public final class SegmentedLogView implements LogReconciler.LocalLog
{
    private final SegmentedLog log;

    public SegmentedLogView(final SegmentedLog log)
    {
        this.log = log;
    }

    @Override
    public long startOffset()
    {
        return log.logStartOffset();
    }

    @Override
    public long endOffset()
    {
        return log.logEndOffset();
    }

    @Override
    public int latestEpoch()
    {
        return log.epochHistory().latestEpoch();
    }

    @Override
    public long endOffsetOf(final int epoch)
    {
        final EpochHistory.EpochEnd ours = log.epochHistory().endOffsetFor(epoch, log.logEndOffset());
        return ours.epoch() == EpochHistory.UNDEFINED_EPOCH ? -1 : ours.endOffset();
    }
}
