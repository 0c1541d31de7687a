package io.logship.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The script {@code logship completion} prints, checked by a real bash: its syntax and what it completes. */
class CompletionCommandTest
{
    @TempDir
    Path dir;

    @Test
    void shouldPrintABashScriptThatBashAccepts() throws Exception
    {
        final Path script = writeScript("bash");

        final Bash check = bash("bash -n " + script);

        assertThat(check.exitCode()).as(check.output()).isZero();
    }

    @Test
    void shouldCompleteTheRealSubcommandsAndTheirOptions() throws Exception
    {
        final Path script = writeScript("bash");

        assertThat(complete(script, "logship", "st")).containsExactly("status");
        assertThat(complete(script, "logship", "secret", "g")).containsExactly("generate");
        assertThat(complete(script, "logship", "comp")).containsExactly("completion");
        assertThat(complete(script, "logship", "status", "--con")).containsExactly("--config");
        assertThat(complete(script, "logship", "")).contains("status", "put", "get", "load", "secret", "completion");
    }

    @Test
    void shouldPrintTheSameScriptForZshThatLoadsBashCompletionEmulation() throws Exception
    {
        final CliRun zsh = CliRun.run("completion", "zsh");

        assertThat(zsh.exitCode()).as(zsh.err()).isZero();
        assertThat(zsh.out()).isEqualTo(CliRun.run("completion", "bash").out());
        assertThat(zsh.out()).contains("ZSH_VERSION").contains("bashcompinit");
    }

    @Test
    void shouldRejectAnUnknownShellAsUsageNamingTheAcceptedOnes()
    {
        final CliRun run = CliRun.run("completion", "fish");

        assertThat(run.exitCode()).isEqualTo(AdminCli.EXIT_USAGE);
        assertThat(run.out()).isEmpty();
        assertThat(run.err().strip()).doesNotContain("\n").contains("fish").contains("bash, zsh");
    }

    private Path writeScript(final String shell) throws IOException
    {
        final CliRun run = CliRun.run("completion", shell);
        assertThat(run.exitCode()).as(run.err()).isZero();
        final Path script = dir.resolve("logship." + shell);
        Files.writeString(script, run.out(), StandardCharsets.UTF_8);
        return script;
    }

    /** Sources the script in a fresh bash and calls its completion function as bash would on TAB. */
    private List<String> complete(final Path script, final String... words) throws Exception
    {
        final StringBuilder array = new StringBuilder();
        for (final String word : words)
        {
            array.append(" '").append(word).append('\'');
        }
        final Bash run = bash("source '" + script + "'; COMP_WORDS=(" + array + "); " +
            "COMP_CWORD=" + (words.length - 1) + "; COMP_LINE=\"${COMP_WORDS[*]}\"; COMP_POINT=${#COMP_LINE}; " +
            "_complete_logship 2>/dev/null; printf '%s\\n' \"${COMPREPLY[@]}\"");
        assertThat(run.exitCode()).as(run.output()).isZero();
        return run.output().lines().filter((line) -> !line.isEmpty()).toList();
    }

    private record Bash(int exitCode, String output)
    {
    }

    private static Bash bash(final String command) throws Exception
    {
        final Process process = new ProcessBuilder("bash", "-c", command).redirectErrorStream(true).start();
        try
        {
            final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("bash finished").isTrue();
            return new Bash(process.exitValue(), output);
        }
        finally
        {
            process.destroyForcibly();
        }
    }
}
