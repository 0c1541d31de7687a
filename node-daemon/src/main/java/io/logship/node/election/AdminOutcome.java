package io.logship.node.election;

/** Answer to an admin request (promote, demote, handover): whether it was accepted, and a line for the operator. */
public record AdminOutcome(boolean accepted, String message)
{
}
