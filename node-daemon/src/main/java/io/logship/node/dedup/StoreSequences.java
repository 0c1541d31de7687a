package io.logship.node.dedup;

import io.logship.kv.KeyValueStore;

/** The store's de-duplication table (newest applied sequence per client), as {@link DuplicateCheck} reads it. */
public final class StoreSequences implements DuplicateCheck.Store
{
    private final KeyValueStore store;

    public StoreSequences(final KeyValueStore store)
    {
        this.store = store;
    }

    @Override
    public long appliedOffset()
    {
        return store.appliedOffset();
    }

    @Override
    public long lastSequence(final long clientId)
    {
        return store.lastSequence(clientId);
    }

    @Override
    public long offsetOfLastSequence(final long clientId)
    {
        return store.offsetOfLastSequence(clientId);
    }
}
