package io.logship.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

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
}
