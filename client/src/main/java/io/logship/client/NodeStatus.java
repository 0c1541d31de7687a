package io.logship.client;

import java.util.List;

/** One node's answer to a status request. {@code followers} is empty unless the node leads. */
public record NodeStatus(
    int nodeId,
    int epoch,
    int leaderId,
    String role,
    long logStartOffset,
    long logEndOffset,
    long durableEndOffset,
    long commitOffset,
    long appliedOffset,
    List<FollowerStatus> followers)
{
}
