package io.logship.node.election;

/**
 * The vote sent in reply to a request ({@link ElectionState#onRequestVote}); returned for logging and tests, it has
 * already been sent through the {@link Outbox}.
 */
public record Vote(int epoch, int voterId, int candidateId, int voterEpoch, boolean granted, String reason)
{
}
