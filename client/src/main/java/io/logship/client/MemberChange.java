package io.logship.client;

/**
 * One single-server membership change the leader can make (docs/DESIGN.md#membership, rule 1): add a member (as a
 * learner or a voter), promote a learner to voter, or remove a member. {@link LogshipClient#changeMember} sends it.
 */
public enum MemberChange
{
    ADD,
    PROMOTE,
    REMOVE
}
