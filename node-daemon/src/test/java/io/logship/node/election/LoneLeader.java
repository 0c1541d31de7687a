package io.logship.node.election;

import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Random;

/**
 * Test fixture: the election state of a one-voter cluster (node 1) that leads, and holds its lease, at once. For
 * tests of what a leader does around its election (ack waits, membership changes) without a cluster: nothing it
 * decides is persisted to disk or sent.
 */
public final class LoneLeader
{
    private LoneLeader()
    {
    }

    /** Node 1, leading epoch 1 over {@code log}. */
    public static ElectionState elected(final LogView log)
    {
        final Outbox silent = (Outbox)Proxy.newProxyInstance(Outbox.class.getClassLoader(), new Class<?>[] {Outbox.class},
            (proxy, method, args) -> null); // every Outbox method returns void
        final ElectionState election = new ElectionState(ElectionConfig.defaults(1, List.of(1)), new InMemory(), log,
            silent, new Random(1), 0);
        election.promote(0, 1, false);
        if (election.role() != ElectionRole.LEADER)
        {
            throw new IllegalStateException("a one-voter cluster's node did not lead at once: " + election);
        }
        return election;
    }

    /** The node-state file, in memory. */
    private static final class InMemory implements Persistence
    {
        private State state = State.INITIAL;

        @Override
        public State read()
        {
            return state;
        }

        @Override
        public void write(final State newState)
        {
            state = newState;
        }
    }
}
