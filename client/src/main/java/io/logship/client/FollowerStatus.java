package io.logship.client;

/** A leader's view of one follower's progress, from {@link NodeStatus#followers()}. */
public record FollowerStatus(int nodeId, long durableEndOffset, long appliedOffset, long lastAckAgeMs)
{
}
