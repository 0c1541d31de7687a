package io.logship.kv;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SnapshotWriterTest
{
    @TempDir
    Path dir;

    /**
     * A big snapshot is forced while it is written, not only at commit, once per flush-behind: left dirty, its hundreds
     * of MB were written back in front of the log's next fsync, and each force puts what it finds dirty there
     * (docs/DESIGN.md#snapshot-flush). The file still verifies whole.
     */
    @Test
    void shouldForceABigSnapshotOncePerFlushBehindAndStillCommitAVerifiableFile() throws Exception
    {
        assertForcesPerFlushBehind(SnapshotStore.DEFAULT_FLUSH_BEHIND_BYTES);
    }

    /** The flush-behind is the operator's (logship.node.snapshot.flush.bytes), larger than the write buffer too. */
    @Test
    void shouldForceAtAConfiguredFlushBehind() throws Exception
    {
        assertForcesPerFlushBehind(SnapshotStore.MIN_FLUSH_BEHIND_BYTES);
        assertForcesPerFlushBehind(16L * 1024 * 1024);
    }

    @Test
    void shouldRefuseAFlushBehindSoSmallThatEachForceIsAJournalCommit()
    {
        assertThatThrownBy(() -> new SnapshotStore(dir, 2, SnapshotStore.MIN_FLUSH_BEHIND_BYTES - 1))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("must be at least " + SnapshotStore.MIN_FLUSH_BEHIND_BYTES);
    }

    private void assertForcesPerFlushBehind(final long flushBehindBytes) throws Exception
    {
        final byte[] value = new byte[1000];
        final long entries = 9 * flushBehindBytes / 2 / value.length;
        final SnapshotInfo info;
        final int forces;
        final long offset = flushBehindBytes; // a snapshot file per case
        try (SnapshotWriter writer = new SnapshotStore(dir, 3, flushBehindBytes).beginWrite(offset))
        {
            for (long i = 0; i < entries; i++)
            {
                writer.putEntry(Long.toString(i).getBytes(StandardCharsets.US_ASCII), value);
            }
            writer.putDedup(7, 8, offset - 1);
            forces = writer.forceCount();
            info = writer.commit();
        }
        // 4.5 flush-behinds of body: forced 4 times before commit, or 3 where the writes (whole entries, at most a
        // 4 MiB buffer at a time) cross each flush-behind a little late and the gaps add up.
        assertThat(forces).as("forces before commit of a %d-byte body, flush-behind %d", entries * value.length,
            flushBehindBytes).isBetween(3, 4);
        final SnapshotInfo verified = SnapshotStore.verify(info.file());
        assertThat(verified.appliedOffset()).isEqualTo(offset);
        assertThat(verified.entryCount()).isEqualTo(entries);
        assertThat(verified.dedupCount()).isEqualTo(1);
    }

    /** A small snapshot is forced once, at commit, as before. */
    @Test
    void shouldNotForceASmallSnapshotBeforeCommit() throws Exception
    {
        try (SnapshotWriter writer = new SnapshotStore(dir, 2).beginWrite(1))
        {
            writer.putEntry(new byte[]{ 1 }, new byte[]{ 2 });
            assertThat(writer.forceCount()).isZero();
            assertThat(SnapshotStore.verify(writer.commit().file()).entryCount()).isEqualTo(1);
        }
    }
}
