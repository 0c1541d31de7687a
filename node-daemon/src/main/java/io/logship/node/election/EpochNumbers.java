package io.logship.node.election;

/**
 * How epochs are numbered: in blocks of {@link #EPOCH_BLOCK}, whose top {@link #MAX_MEMBERS} slots are reserved,
 * one per member, for forced promotions; ordinary candidacies never propose a reserved slot. Pure; split out
 * of {@link ElectionState}, which uses it for every candidacy.
 */
final class EpochNumbers
{
    /** Epochs come in blocks; the top {@link #MAX_MEMBERS} of each are reserved for forced promotions. */
    static final int EPOCH_BLOCK = 1024;
    static final int MAX_MEMBERS = 64;

    private EpochNumbers()
    {
    }

    /**
     * The epoch an ordinary candidacy proposes: the next one, skipping the slots reserved for forced
     * promotions at the top of each block of {@link #EPOCH_BLOCK}.
     */
    static int electionEpochAfter(final int epoch)
    {
        final int next = epoch + 1;
        return next % EPOCH_BLOCK >= EPOCH_BLOCK - MAX_MEMBERS ? (next / EPOCH_BLOCK + 1) * EPOCH_BLOCK : next;
    }

    /**
     * The epoch a forced promotion takes: the first slot above {@code epoch} reserved for the member at
     * {@code memberIndex}. A forced leader asks nobody, so it cannot learn which epochs unreachable nodes
     * used; with {@code own + 1} two forced promotions (or a forced one and an election elsewhere) could
     * both lead the same epoch, write different batches at the same offsets under the same epoch, and the
     * epoch-end reconciliation could no longer see the divergence (found by the simulation). Reserved
     * slots are distinct per member and never proposed by an ordinary candidacy.
     */
    static int forcedEpochAfter(final int epoch, final int memberIndex)
    {
        final int slot = EPOCH_BLOCK - MAX_MEMBERS + memberIndex;
        int candidate = (epoch / EPOCH_BLOCK) * EPOCH_BLOCK + slot;
        if (candidate <= epoch)
        {
            candidate += EPOCH_BLOCK;
        }
        return candidate;
    }
}
