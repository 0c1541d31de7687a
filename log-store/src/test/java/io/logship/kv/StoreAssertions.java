package io.logship.kv;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Compares a store with a model key by key (every key of the space, not size()). */
final class StoreAssertions
{
    private StoreAssertions()
    {
    }

    static void assertStoreMatches(final KeyValueStore store, final DeterministicBatches.Model model, final int keySpace)
    {
        final List<String> mismatches = new ArrayList<>();
        for (int k = 0; k < keySpace; k++)
        {
            final byte[] expected = model.values.get(k);
            final byte[] actual = store.get(DeterministicBatches.key(k));
            if (!Arrays.equals(expected, actual))
            {
                mismatches.add("key-" + k + ": expected " + Arrays.toString(expected) + ", got " + Arrays.toString(actual));
            }
        }
        for (long client = 0; client < DeterministicBatches.CLIENTS; client++)
        {
            final long[] expected = model.dedup.get(client);
            final long expectedSequence = null == expected ? -1 : expected[0];
            final long expectedOffset = null == expected ? -1 : expected[1];
            if (store.lastSequence(client) != expectedSequence || store.offsetOfLastSequence(client) != expectedOffset)
            {
                mismatches.add("client " + client + ": expected (" + expectedSequence + ", " + expectedOffset + "), got (" +
                    store.lastSequence(client) + ", " + store.offsetOfLastSequence(client) + ")");
            }
        }
        assertThat(mismatches).as("store at applied offset %d vs model", store.appliedOffset()).isEmpty();
    }
}
