package io.logship.cli;

import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/**
 * {@code logship completion bash|zsh}: prints a shell completion script for every command and option, generated
 * by picocli's {@link AutoComplete} from the same command model the parser uses, so it never lags behind a new
 * subcommand. picocli generates bash only; its script, sourced by zsh, loads zsh's bash completion emulation
 * ({@code compinit} unless already loaded, then {@code bashcompinit}) itself, so both shells get the same text.
 */
@Command(name = "completion", mixinStandardHelpOptions = true,
    description = {
        "Print a completion script for bash or zsh to stdout.",
        // Blank lines: separate paragraphs on the man page too.
        "",
        "bash: add 'source <(logship completion bash)' to ~/.bashrc, or save the output as " +
            "~/.local/share/bash-completion/completions/logship (or /etc/bash_completion.d/logship).",
        "",
        "zsh: add 'source <(logship completion zsh)' to ~/.zshrc. It is the same bash script (picocli " +
            "generates no native zsh completion); sourced by zsh it runs compinit (unless already loaded) and " +
            "bashcompinit, zsh's bash completion emulation."
    })
public final class CompletionCommand extends CliCommand implements Callable<Integer>
{
    /** The shells picocli's generated script supports; anything else is a usage error naming these. */
    enum Shell
    {
        bash, zsh
    }

    @Parameters(index = "0", paramLabel = "SHELL", description = "bash or zsh.")
    Shell shell;

    @Override
    public Integer call()
    {
        // The root command line, not this subcommand's: the script must cover every command of `logship`.
        out().print(script());
        out().flush();
        return AdminCli.EXIT_OK;
    }

    String script()
    {
        return AutoComplete.bash(spec.root().name(), spec.root().commandLine());
    }
}
