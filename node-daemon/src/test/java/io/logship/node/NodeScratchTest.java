package io.logship.node;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class NodeScratchTest
{
    @TempDir
    Path dir;

    @Test
    void shouldRemoveOnlyTheNativeLibrariesAnEarlierRunLeftAndMakeTheDirectoryTheJvmsTemporaryDirectory()
        throws Exception
    {
        final Path scratch = dir.resolve("data").resolve(NodeScratch.DIRECTORY);
        Files.createDirectories(scratch.resolve("logship-1-root"));
        Files.write(scratch.resolve("liblz4-java5069839475263516812.so"), new byte[59_000]);
        Files.write(scratch.resolve("liblz4-java90210.so"), new byte[59_000]);
        Files.writeString(scratch.resolve("operator-notes.txt"), "keep me");
        final String before = System.getProperty("java.io.tmpdir");
        try
        {
            assertThat(NodeScratch.prepare(dir.resolve("data"))).isEqualTo(2);

            assertThat(System.getProperty("java.io.tmpdir")).isEqualTo(scratch.toAbsolutePath().toString());
            try (var left = Files.list(scratch))
            {
                assertThat(left.map(path -> path.getFileName().toString()))
                    .containsExactlyInAnyOrder("logship-1-root", "operator-notes.txt");
            }
            // A first start: the directory is created, nothing to remove.
            assertThat(NodeScratch.prepare(dir.resolve("fresh"))).isZero();
            assertThat(dir.resolve("fresh").resolve(NodeScratch.DIRECTORY)).isDirectory();
        }
        finally
        {
            System.setProperty("java.io.tmpdir", before);
        }
    }
}
