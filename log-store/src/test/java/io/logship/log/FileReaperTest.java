package io.logship.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FileReaperTest
{
    private static final int MIB = 1024 * 1024;

    @TempDir
    Path dir;

    private Path fileOf(final String name, final int bytes) throws IOException
    {
        final byte[] content = new byte[bytes];
        for (int i = 0; i < bytes; i++)
        {
            content[i] = (byte)(i * 31 + 7);
        }
        return Files.write(dir.resolve(name), content);
    }

    @Test
    void shouldTakeTheNameAtOnceAndFreeTheBlocksOneStepAtATimeOnlyAfterTheRenameIsDurable() throws IOException
    {
        final Path file = fileOf("00000000000000000000.log", 3 * MIB + MIB / 2);
        final FileReaper reaper = new FileReaper(MIB);

        final Path retired = reaper.retire(file);

        assertThat(file).doesNotExist();
        assertThat(retired).isEqualTo(dir.resolve("00000000000000000000.log" + FileReaper.SUFFIX));
        // Not synced yet: a power cut could bring the old name back, so nothing may be cut from it.
        assertThat(reaper.step()).isFalse();
        assertThat(Files.size(retired)).isEqualTo(3 * MIB + MIB / 2);

        reaper.fsyncDirectory(dir);
        final List<Long> sizes = new ArrayList<>();
        while (reaper.step())
        {
            sizes.add(Files.exists(retired) ? Files.size(retired) : -1L);
        }

        assertThat(sizes).containsExactly(2L * MIB + MIB / 2, (long)MIB + MIB / 2, (long)MIB / 2, -1L);
        assertThat(reaper.pending()).isZero();
        assertThat(dir).isEmptyDirectory();
    }

    @Test
    void shouldNotCutAFileWhenOnlyAnotherDirectoryWasSynced() throws IOException
    {
        final Path other = Files.createDirectory(dir.resolve("other"));
        final FileReaper reaper = new FileReaper(MIB);
        final Path retired = reaper.retire(fileOf("00000000000000000000.log", 3 * MIB));

        reaper.fsyncDirectory(other);
        assertThat(reaper.step()).isFalse();
        assertThat(Files.size(retired)).isEqualTo(3L * MIB);

        reaper.fsyncDirectory(dir.resolve("other").resolve("..")); // the same directory, spelt another way
        assertThat(reaper.step()).isTrue();
        assertThat(Files.size(retired)).isEqualTo(2L * MIB);
    }

    @Test
    void shouldGiveANameRetiredAgainANameOfItsOwnWhileTheFirstIsStillQueued() throws IOException
    {
        final FileReaper reaper = new FileReaper(MIB);
        final Path first = reaper.retire(fileOf("00000000000000001000.snap", 2 * MIB));
        reaper.fsyncDirectory(dir);
        final Path second = reaper.retire(fileOf("00000000000000001000.snap", 2 * MIB));

        assertThat(second).isNotEqualTo(first);
        assertThat(Files.size(first)).isEqualTo(2L * MIB);
        assertThat(reaper.step()).isTrue();
        assertThat(reaper.step()).isTrue();
        assertThat(first).doesNotExist();
        // The second rename is not synced yet: not a byte of it goes.
        assertThat(reaper.step()).isFalse();
        assertThat(Files.size(second)).isEqualTo(2L * MIB);
        reaper.fsyncDirectory(dir);
        while (reaper.step())
        {
            assertThat(second.getFileName().toString()).endsWith(FileReaper.SUFFIX);
        }
        assertThat(dir).isEmptyDirectory();
    }

    @Test
    void shouldUnlinkAFileStillOpenElsewhereWholeSoItsReaderKeepsEveryByte() throws IOException
    {
        final Path file = fileOf("00000000000000000000.snap", 4 * MIB);
        final byte[] expected = Files.readAllBytes(file);
        final FileReaper reaper = new FileReaper(MIB);
        try (FileChannel reader = FileChannel.open(file, StandardOpenOption.READ))
        {
            final AtomicBoolean open = new AtomicBoolean(true);
            reaper.retire(file, open::get);
            reaper.fsyncDirectory(dir);

            assertThat(reaper.step()).isTrue();

            assertThat(dir).isEmptyDirectory();
            final ByteBuffer all = ByteBuffer.allocate(expected.length + 1);
            while (reader.read(all) > 0)
            {
                // until the end of the unlinked file
            }
            assertThat(all.flip().remaining()).isEqualTo(expected.length);
            final byte[] read = new byte[expected.length];
            all.get(read);
            assertThat(read).isEqualTo(expected);
        }
    }

    @Test
    void shouldFreeRetiredFilesOldestFirst() throws IOException
    {
        final FileReaper reaper = new FileReaper(MIB);
        final Path first = reaper.retire(fileOf("a", 2 * MIB));
        final Path second = reaper.retire(fileOf("b", MIB));
        reaper.fsyncDirectory(dir);

        reaper.step();
        assertThat(Files.size(first)).isEqualTo(MIB);
        assertThat(second).exists();
        reaper.step();
        assertThat(first).doesNotExist();
        assertThat(second).exists();
        reaper.step();
        assertThat(second).doesNotExist();
        assertThat(reaper.step()).isFalse();
    }

    @Test
    void shouldDeleteEverythingRetiredAtOnceWhenClosingWhetherSyncedOrNot() throws IOException
    {
        final FileReaper reaper = new FileReaper(MIB);
        reaper.retire(fileOf("a", 3 * MIB));
        reaper.fsyncDirectory(dir);
        reaper.retire(fileOf("b", 3 * MIB));

        reaper.deleteAll();

        assertThat(dir).isEmptyDirectory();
        assertThat(reaper.pending()).isZero();
    }

    @Test
    void shouldRemoveOnlyRetiredLeftoversWhenADirectoryOpens() throws IOException
    {
        fileOf("00000000000000000000.log" + FileReaper.SUFFIX, MIB);
        fileOf("00000000000000000000.index" + FileReaper.SUFFIX, 10);
        final Path kept = fileOf("00000000000000000100.log", 10);

        assertThat(FileReaper.removeLeftovers(dir)).isEqualTo(2);

        try (var files = Files.list(dir))
        {
            assertThat(files.toList()).containsExactly(kept);
        }
    }

    @Test
    void shouldDropAFileThatVanishedAndGoOnWithTheNext() throws IOException
    {
        final FileReaper reaper = new FileReaper(MIB);
        final Path gone = reaper.retire(fileOf("a", 2 * MIB));
        final Path next = reaper.retire(fileOf("b", MIB / 2));
        reaper.fsyncDirectory(dir);
        Files.delete(gone);

        assertThat(reaper.step()).isTrue();
        assertThat(reaper.step()).isTrue();

        assertThat(next).doesNotExist();
        assertThat(reaper.pending()).isZero();
    }

    @Test
    void shouldRefuseAStepSmallerThanOneMebibyte()
    {
        assertThatThrownBy(() -> new FileReaper(MIB - 1)).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("at least 1 MiB");
    }
}
