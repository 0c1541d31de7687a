package io.logship.cli;

import picocli.CommandLine;

import java.io.PrintWriter;

/** What every subcommand shares: its picocli spec and the writers tests can capture. */
abstract class CliCommand
{
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    PrintWriter out()
    {
        return spec.commandLine().getOut();
    }

    PrintWriter err()
    {
        return spec.commandLine().getErr();
    }

    /** Prints one line to stdout and flushes (commands may run for a while). */
    void println(final Object line)
    {
        out().println(line);
        out().flush();
    }

    CliException usage(final String message)
    {
        return new CliException(AdminCli.EXIT_USAGE, message);
    }
}
