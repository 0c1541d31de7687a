package io.logship.kv;

import io.logship.LogshipException;

import java.nio.file.Path;

/**
 * Child process of {@link StoreInMemoryTest}: run with a small {@code -XX:MaxDirectMemorySize}, it applies
 * deterministic batches of distinct keys to an in-memory store until apply fails, then prints {@value #FULL},
 * the failure's category, the applied offset before and after the failing batch, and its message, one per line.
 *
 * <p>Arguments: store root directory, seed, key space.
 */
public final class StoreFullChild
{
    static final String FULL = "FULL";
    private static final long MAX_BATCHES = 1_000_000;

    private StoreFullChild()
    {
    }

    public static void main(final String[] args)
    {
        final Path root = Path.of(args[0]);
        final DeterministicBatches batches = new DeterministicBatches(Long.parseLong(args[1]), Integer.parseInt(args[2]));
        try (KeyValueStore store = KeyValueStore.open(root.resolve("store"), new SnapshotStore(root.resolve("snapshots"), 2),
            KeyValueStore.Medium.MEMORY))
        {
            for (long b = 0; b < MAX_BATCHES; b++)
            {
                final long before = store.appliedOffset();
                try
                {
                    store.apply(batches.batch(b), 0);
                }
                catch (final LogshipException ex)
                {
                    System.out.println(FULL);
                    System.out.println(ex.category());
                    System.out.println(before);
                    System.out.println(store.appliedOffset());
                    System.out.println(ex.getMessage());
                    return;
                }
            }
            System.out.println("applied " + MAX_BATCHES + " batches without running out of memory");
        }
    }
}
