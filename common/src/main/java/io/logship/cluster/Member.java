package io.logship.cluster;

/**
 * One member of a {@link Membership}: its id, where its node listens and its role. Immutable.
 *
 * @param id   the node id, ≥ 1.
 * @param host the host of the node's replication endpoint.
 * @param port its port, in [1, 65535].
 * @param role voter or learner.
 */
public record Member(int id, String host, int port, MemberRole role)
{
    /** {@code host:port}, as {@code logship.cluster.nodes} writes it. */
    public String address()
    {
        return host + ":" + port;
    }

    public boolean voter()
    {
        return role == MemberRole.VOTER;
    }

    /** This member with another role. */
    public Member withRole(final MemberRole newRole)
    {
        return new Member(id, host, port, newRole);
    }

    @Override
    public String toString()
    {
        return id + "@" + address() + (voter() ? "" : " (learner)");
    }
}
