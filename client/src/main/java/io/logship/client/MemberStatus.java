package io.logship.client;

/**
 * One member of a cluster configuration as a node reports it ({@code logship member list}).
 *
 * @param id            the member's node id.
 * @param address       {@code host:port} of its replication endpoint.
 * @param role          {@code voter} (counted in every majority) or {@code learner} (replicated to, never counted).
 * @param heldEndOffset reported by the leader only: end of the member's log as it last acked (the leader's own
 *                      for itself), -1 if unknown or reported by a follower.
 * @param lastAckAgeMs  reported by the leader only: milliseconds since the member's last ack, -1 if none.
 */
public record MemberStatus(int id, String address, String role, long heldEndOffset, long lastAckAgeMs)
{
}
