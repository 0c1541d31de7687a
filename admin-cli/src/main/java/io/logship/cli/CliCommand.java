package io.logship.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.logship.cli.json.JsonOutput;
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

    /** Prints {@code json} as one line to stdout and flushes. */
    void printJson(final JsonNode json)
    {
        println(JsonOutput.write(json));
    }

    CliException usage(final String message)
    {
        return new CliException(AdminCli.EXIT_USAGE, message);
    }
}
