package io.logship.node.election;

/** A node's role as far as the election is concerned ({@link ElectionState#role()}). */
public enum ElectionRole
{
    FOLLOWER, CANDIDATE, LEADER
}
