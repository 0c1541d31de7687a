package io.logship.cli;

import io.logship.LogshipException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/**
 * {@code logship}: the operator command line. One class per subcommand; every command and option is in
 * admin-cli/README.md. Exit codes: 0 success; 1 the operation failed (one line on stderr naming why);
 * 2 bad command line or configuration (one line on stderr); 3 {@code get}: the key was not found.
 */
@Command(
    name = "logship",
    mixinStandardHelpOptions = true,
    versionProvider = AdminCli.Version.class,
    header = "The logship operator command.",
    description = "Operate a logship cluster: status, reads and writes, log tails, checksum verification, " +
        "promotion, load generation, offline log dumps and quarantined records, a local demo cluster.",
    exitCodeListHeading = "%nExit Codes:%n",
    exitCodeList = {
        "0:Success (status: at least one node answered).",
        "1:The operation failed (one line on stderr naming why).",
        "2:A bad command line or configuration (one line on stderr).",
        "3:get: the key was not found."
    },
    subcommands = {
        LocalCommand.class,
        StatusCommand.class,
        HealthCommand.class,
        PutCommand.class,
        DeleteCommand.class,
        GetCommand.class,
        TailCommand.class,
        VerifyCommand.class,
        SnapshotCommand.class,
        ReinitCommand.class,
        PromoteCommand.class,
        DemoteCommand.class,
        MemberCommand.class,
        LoadCommand.class,
        DumpCommand.class,
        QuarantineCommand.class,
        SecretCommand.class,
        DemoCommand.class,
        CompletionCommand.class,
        CommandLine.HelpCommand.class
    })
public final class AdminCli implements Runnable
{
    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILED = 1;
    public static final int EXIT_USAGE = 2;
    public static final int EXIT_NOT_FOUND = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** {@code logship --version}: the release version from the jar's Maven metadata ("development" from classes). */
    static final class Version implements CommandLine.IVersionProvider
    {
        @Override
        public String[] getVersion() throws java.io.IOException
        {
            try (java.io.InputStream in = AdminCli.class.getResourceAsStream(
                "/META-INF/maven/io.logship/admin-cli/pom.properties"))
            {
                final java.util.Properties properties = new java.util.Properties();
                if (null != in)
                {
                    properties.load(in);
                }
                return new String[] {"logship " + properties.getProperty("version", "development")};
            }
        }
    }

    public static void main(final String[] args)
    {
        int exitCode = EXIT_FAILED;
        try
        {
            exitCode = execute(newCommandLine(), args);
        }
        finally
        {
            System.exit(exitCode); // even if reporting an Error threw again (an OutOfMemoryError while printing)
        }
    }

    /**
     * Runs {@code logship ARGS} and returns its exit code, also when the command dies of an {@link Error}: picocli
     * hands a command's exceptions to the handler below but lets an Error through, and a main thread that died of
     * one after the command had started its Aeron client left a JVM that neither worked nor exited (those threads
     * are not daemons), a CLI hanging in a script. The Error is one line on stderr, as any failure.
     */
    static int execute(final CommandLine commandLine, final String... args)
    {
        try
        {
            return commandLine.execute(args);
        }
        catch (final Error ex)
        {
            final PrintWriter err = commandLine.getErr();
            err.println(commandLine.getCommandName() + ": " + describe(ex));
            if (null != System.getenv("LOGSHIP_DEBUG"))
            {
                ex.printStackTrace(err);
            }
            err.flush();
            return EXIT_FAILED;
        }
    }

    /** The configured command line: one-line errors on stderr, the exit codes above. */
    public static CommandLine newCommandLine()
    {
        final CommandLine commandLine = new CommandLine(new AdminCli());
        commandLine.setCaseInsensitiveEnumValuesAllowed(true);
        commandLine.setExitCodeExceptionMapper((ex) -> ex instanceof CliException ?
            ((CliException)ex).exitCode() : EXIT_FAILED);
        commandLine.setParameterExceptionHandler((ex, args) ->
        {
            final CommandLine failed = ex.getCommandLine();
            final PrintWriter err = failed.getErr();
            err.println(failed.getCommandSpec().qualifiedName() + ": " + ex.getMessage() + " (see '" +
                failed.getCommandSpec().qualifiedName() + " --help')");
            err.flush();
            return EXIT_USAGE;
        });
        commandLine.setExecutionExceptionHandler((ex, failed, parseResult) ->
        {
            final PrintWriter err = failed.getErr();
            err.println(failed.getCommandSpec().qualifiedName() + ": " + describe(ex));
            err.flush();
            if (null != System.getenv("LOGSHIP_DEBUG"))
            {
                ex.printStackTrace(err);
                err.flush();
            }
            return ex instanceof CliException ? ((CliException)ex).exitCode() : EXIT_FAILED;
        });
        return commandLine;
    }

    /** One line: the message, without the exception class where the message says it all. */
    static String describe(final Throwable ex)
    {
        Throwable cause = ex;
        while ((cause instanceof java.util.concurrent.CompletionException ||
            cause instanceof java.util.concurrent.ExecutionException) && null != cause.getCause())
        {
            cause = cause.getCause();
        }
        final String message = null == cause.getMessage() ? cause.toString() :
            cause instanceof CliException || cause instanceof LogshipException ||
                cause instanceof IllegalArgumentException ? cause.getMessage() : cause.toString();
        return message.replace('\n', ' ');
    }

    @Override
    public void run()
    {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }
}
