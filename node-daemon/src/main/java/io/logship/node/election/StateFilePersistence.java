package io.logship.node.election;

import io.logship.log.NodeStateFile;

/** The election state lives in {@code node-state}, written durably (docs/DESIGN.md#node-state-in-place). */
public final class StateFilePersistence implements Persistence
{
    private final NodeStateFile nodeStateFile;

    public StateFilePersistence(final NodeStateFile nodeStateFile)
    {
        this.nodeStateFile = nodeStateFile;
    }

    @Override
    public State read()
    {
        // Once, at start: the state read is made durable before the election acts on it.
        final NodeStateFile.State state = nodeStateFile.recover();
        return new State((int)state.epoch(), state.leaderId(), state.votedFor());
    }

    @Override
    public void write(final State state)
    {
        nodeStateFile.write(new NodeStateFile.State(state.epoch(), state.leaderId(), state.votedFor()));
    }
}
