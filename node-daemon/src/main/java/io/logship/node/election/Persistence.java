package io.logship.node.election;

/**
 * Durable storage of a node's election state. The node implements it with
 * {@link io.logship.log.NodeStateFile} (replaced whole once per run, then overwritten in place and fdatasynced:
 * docs/DESIGN.md#node-state-in-place). {@link ElectionState}
 * calls {@link #write} before it acts on or replies about a new epoch or vote, so after a crash the node never
 * goes back to a lower epoch and never votes twice in one epoch (a leadership is its vote for itself).
 */
public interface Persistence
{
    /** {@code leaderId}/{@code votedFor} when there is none; equal to {@code NodeStateFile.NONE}. */
    int NONE = -1;

    /** Highest epoch seen, who leads it (or {@link #NONE}), whom this node voted for in it (or {@link #NONE}). */
    record State(int epoch, int leaderId, int votedFor)
    {
        public static final State INITIAL = new State(0, NONE, NONE);
    }

    /** The persisted state, or {@link State#INITIAL} for a new node. */
    State read();

    /**
     * Persists {@code state}; returns only once it would survive a crash, throws if it cannot — or, for an
     * asynchronous implementation, records it and returns at once, and {@link #isDurable()} says when it is on disk.
     */
    void write(State state);

    /**
     * Whether every state written so far is on disk; until then the node's peer messages wait
     * (docs/DESIGN.md#election-state-persistence). Always true for a synchronous implementation.
     */
    default boolean isDurable()
    {
        return true;
    }
}
