package io.logship.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NodeStateFileTest
{
    @TempDir
    Path dir;

    @Test
    void shouldReadInitialStateWhenTheFileDoesNotExist()
    {
        assertThat(new NodeStateFile(dir.resolve("node-state")).read()).isEqualTo(NodeStateFile.State.INITIAL);
        assertThat(NodeStateFile.State.INITIAL).isEqualTo(new NodeStateFile.State(0, NodeStateFile.NONE, NodeStateFile.NONE));
    }

    @Test
    void shouldReadBackWhatWasWrittenLastAndLeaveNoTemporaryFile() throws Exception
    {
        final NodeStateFile file = new NodeStateFile(dir.resolve("node-state"));
        file.write(new NodeStateFile.State(3, 1, 2));
        assertThat(file.read()).isEqualTo(new NodeStateFile.State(3, 1, 2));
        file.write(new NodeStateFile.State(Long.MAX_VALUE, NodeStateFile.NONE, 7));
        assertThat(new NodeStateFile(dir.resolve("node-state")).read())
            .isEqualTo(new NodeStateFile.State(Long.MAX_VALUE, NodeStateFile.NONE, 7));
        try (var files = Files.list(dir))
        {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("node-state");
        }
    }

    @Test
    void shouldWriteAnOperatorReadableFileOfFixedLength() throws Exception
    {
        final Path path = dir.resolve("node-state");
        new NodeStateFile(path).write(new NodeStateFile.State(7, 2, 2));

        final String text = Files.readString(path, StandardCharsets.UTF_8);
        assertThat(text).hasSize(NodeStateFile.FILE_LENGTH).startsWith("epoch=7\nleaderId=2\nvotedFor=2\ncrc32c=")
            .endsWith(" \n");
        assertThat(text.lines().toList()).hasSize(4);
        assertThat(NodeStateFile.format(new NodeStateFile.State(Long.MIN_VALUE, Integer.MIN_VALUE, Integer.MIN_VALUE)))
            .as("the longest state fits").hasSize(NodeStateFile.FILE_LENGTH).endsWith((byte)' ', (byte)'\n');
    }

    @Test
    void shouldReplaceTheFileWholeOnceThenOverwriteItInPlace() throws Exception
    {
        final Path path = dir.resolve("node-state");
        Files.writeString(path, "epoch=3\nleaderId=1\nvotedFor=1\ncrc32c=ffffffff\n"); // a stale file from before
        final Object before = Files.getAttribute(path, "unix:ino");
        final NodeStateFile file = new NodeStateFile(path);

        file.write(new NodeStateFile.State(4, NodeStateFile.NONE, 4));
        final Object afterFirst = Files.getAttribute(path, "unix:ino");
        file.write(new NodeStateFile.State(4, 4, 4));
        file.write(new NodeStateFile.State(5, NodeStateFile.NONE, 2));

        assertThat(afterFirst).as("the first write replaces the file (its name and length made durable)")
            .isNotEqualTo(before);
        assertThat(Files.getAttribute(path, "unix:ino")).as("later writes overwrite it in place").isEqualTo(afterFirst);
        assertThat(Files.size(path)).isEqualTo(NodeStateFile.FILE_LENGTH);
        assertThat(new NodeStateFile(path).read()).isEqualTo(new NodeStateFile.State(5, NodeStateFile.NONE, 2));
    }

    @Test
    void shouldReadAFileWrittenWithoutPaddingByEarlierVersions() throws Exception
    {
        final Path path = dir.resolve("node-state");
        final String body = "epoch=7\nleaderId=2\nvotedFor=2\n";
        Files.writeString(path, body + "crc32c=" + crcOf(body) + "\n");

        assertThat(new NodeStateFile(path).read()).isEqualTo(new NodeStateFile.State(7, 2, 2));
    }

    @Test
    void shouldRefuseAFileWhoseOverwriteWasTorn() throws Exception
    {
        final Path path = dir.resolve("node-state");
        final NodeStateFile file = new NodeStateFile(path);
        file.write(new NodeStateFile.State(7, 2, 2));
        final byte[] bytes = Files.readAllBytes(path);
        final byte[] newer = NodeStateFile.format(new NodeStateFile.State(8, NodeStateFile.NONE, 3));
        System.arraycopy(newer, 0, bytes, 0, 12); // the new epoch reached the disk, not the rest

        Files.write(path, bytes);

        assertThatThrownBy(() -> new NodeStateFile(path).read()).isInstanceOf(io.logship.LogshipException.class)
            .hasMessageContaining("is corrupt").hasMessageContaining("refusing to guess the epoch");
    }

    private static String crcOf(final String body)
    {
        final java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(body.getBytes(StandardCharsets.UTF_8));
        return String.format("%08x", crc.getValue());
    }
}
