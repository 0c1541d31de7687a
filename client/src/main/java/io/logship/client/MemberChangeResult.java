package io.logship.client;

/**
 * The leader's answer to an accepted membership change: the change record is committed (counted by the new
 * configuration) at {@code configurationOffset}.
 *
 * @param nodeId              the leader that made the change.
 * @param epoch               its epoch.
 * @param leaderId            the leader it knows (itself).
 * @param configurationOffset offset of the committed MEMBERS record that holds the new configuration.
 * @param message             what the leader says about it (may be empty).
 */
public record MemberChangeResult(int nodeId, int epoch, int leaderId, long configurationOffset, String message)
{
}
