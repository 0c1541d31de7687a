package io.logship.client;

/**
 * A write that succeeded: its record's offset (the original one if the write was a retry the leader had
 * already applied), the leader's epoch, the ack level reached and the leader that answered.
 */
public record WriteResult(long offset, int epoch, AckLevel ackLevelReached, int leaderId)
{
}
