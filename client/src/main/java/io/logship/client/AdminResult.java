package io.logship.client;

/** A node's answer to promote or demote: the node, its epoch and leader afterwards, and its message. */
public record AdminResult(int nodeId, int epoch, int leaderId, String message)
{
}
