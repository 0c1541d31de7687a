package io.logship.node.election;

/**
 * What the election needs to know of the local log: its position for the up-to-date check and for
 * candidacy order. The node implements it over {@code SegmentedLog} and its {@code EpochHistory}.
 */
public interface LogView
{
    /** Epoch of the last batch in the log, {@code -1} if the log is empty. */
    int lastLogEpoch();

    /** Next offset to be written. */
    long logEndOffset();
}
