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
        final NodeStateFile.State state = nodeStateFile.read();
        return new State((int)state.epoch(), state.leaderId(), state.votedFor());
    }

    @Override
    public void write(final State state)
    {
        nodeStateFile.write(new NodeStateFile.State(state.epoch(), state.leaderId(), state.votedFor()));
    }
}
