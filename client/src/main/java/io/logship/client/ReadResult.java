package io.logship.client;

/**
 * A read: whether the key was found, its value (null if not found), the answering node's applied offset,
 * the offset that wrote the value (-1 if unknown or not found) and the node that answered.
 */
public record ReadResult(boolean found, byte[] value, long appliedOffset, long valueOffset, int nodeId)
{
}
