package io.logship.kv;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class SnapshotWriterTest
{
    @TempDir
    Path dir;

    /**
     * A big snapshot is forced while it is written, not only at commit: left dirty, its hundreds of MB were written
     * back in front of the log's next fsync (SnapshotWriter.FLUSH_BEHIND_BYTES). The file still verifies whole.
     */
    @Test
    void shouldForceABigSnapshotAsItGoesAndStillCommitAVerifiableFile() throws Exception
    {
        final byte[] value = new byte[1000];
        final long entries = 3 * SnapshotWriter.FLUSH_BEHIND_BYTES / value.length;
        final SnapshotInfo info;
        final int forces;
        try (SnapshotWriter writer = new SnapshotStore(dir, 2).beginWrite(42))
        {
            for (long i = 0; i < entries; i++)
            {
                writer.putEntry(Long.toString(i).getBytes(java.nio.charset.StandardCharsets.US_ASCII), value);
            }
            writer.putDedup(7, 8, 41);
            forces = writer.forceCount();
            info = writer.commit();
        }
        assertThat(forces).as("forces before commit of a %d-byte body", entries * value.length).isBetween(2, 3);
        final SnapshotInfo verified = SnapshotStore.verify(info.file());
        assertThat(verified.appliedOffset()).isEqualTo(42);
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
