package io.logship.cli;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs {@code logship ARGS} in process and captures its exit code, stdout and stderr. */
record CliRun(int exitCode, String out, String err)
{
    static CliRun run(final String... args)
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final CommandLine commandLine = AdminCli.newCommandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        final int exitCode = AdminCli.execute(commandLine, args);
        return new CliRun(exitCode, out.toString(), err.toString());
    }
}
