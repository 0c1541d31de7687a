package io.logship.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.codegen.docgen.manpage.ManPageGenerator;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Build-time tool, not an operator command: writes the manual pages the release ships, for {@code logship}, each
 * of its subcommands and {@code logshipd}. The dist module runs {@code main} during {@code mvn package}; the
 * AsciiDoc sources come from picocli's {@link ManPageGenerator} walking the same command model the parser uses,
 * so a new subcommand or option gets its page without anyone writing one. picocli-codegen is a provided
 * dependency: this class is in the admin-cli jar, but the release's lib/ has no picocli-codegen and nothing at
 * run time calls it.
 *
 * <p>Output, under the directory given: {@code adoc/NAME.adoc} (AsciiDoc with the {@code manpage} doctype, which
 * asciidoctor turns into troff) and {@code txt/NAME.txt} (the plain {@code --help} text), where NAME is
 * {@code logship}, {@code logship-SUBCOMMAND[-SUBSUBCOMMAND]} or {@code logshipd}.
 */
public final class ManPages
{
    private ManPages()
    {
    }

    /** {@code ManPages OUT_DIR VERSION}: VERSION is the release's, shown on the logshipd page. */
    public static void main(final String[] args) throws IOException
    {
        if (args.length != 2)
        {
            System.err.println("usage: ManPages OUT_DIR VERSION");
            System.exit(AdminCli.EXIT_USAGE);
        }
        final List<String> names = write(Path.of(args[0]), args[1]);
        System.out.println("ManPages: wrote " + names.size() + " pages to " + args[0] + ": " + String.join(" ", names));
    }

    /** Writes every page; returns the page names (file names without extension), logship's first. */
    static List<String> write(final Path dir, final String version) throws IOException
    {
        final Path adoc = Files.createDirectories(dir.resolve("adoc"));
        final Path txt = Files.createDirectories(dir.resolve("txt"));
        final CommandLine logship = AdminCli.newCommandLine();
        final CommandLine logshipd = new CommandLine(logshipdSpec(version));

        // verbosity: no progress lines; overwrite: there are no templates to keep.
        final int failed = ManPageGenerator.generateManPage(adoc.toFile(), null, new boolean[0], true,
            logship.getCommandSpec(), logshipd.getCommandSpec());
        if (0 != failed)
        {
            throw new IOException("picocli's ManPageGenerator failed (status " + failed + ") writing to " + adoc);
        }

        final List<CommandLine> all = commands(logship, new ArrayList<>());
        all.add(logshipd);
        final List<String> names = new ArrayList<>();
        for (final CommandLine command : all)
        {
            final String name = pageName(command.getCommandSpec());
            if (!Files.isRegularFile(adoc.resolve(name + ".adoc")))
            {
                throw new IOException("picocli's ManPageGenerator wrote no " + name + ".adoc to " + adoc);
            }
            Files.writeString(txt.resolve(name + ".txt"), command.getUsageMessage(CommandLine.Help.Ansi.OFF),
                StandardCharsets.UTF_8);
            names.add(name);
        }
        return names;
    }

    /** The command and, depth first, every subcommand (picocli's built-in {@code help} included). */
    static List<CommandLine> commands(final CommandLine command, final List<CommandLine> into)
    {
        into.add(command);
        for (final CommandLine sub : command.getSubcommands().values())
        {
            // getSubcommands maps aliases too: one page per command.
            if (!into.contains(sub))
            {
                commands(sub, into);
            }
        }
        return into;
    }

    /** picocli's file name for a command's page: its qualified name with dashes ("logship-secret-generate"). */
    static String pageName(final CommandSpec spec)
    {
        return spec.qualifiedName("-");
    }

    /**
     * logshipd parses its three command lines by hand (io.logship.node.NodeDaemon, which the CLI does not depend
     * on at run time): this model describes them for the page only. Keep it in step with NodeDaemon's usage line.
     */
    static CommandSpec logshipdSpec(final String version)
    {
        final CommandSpec spec = CommandSpec.create().name("logshipd").version("logshipd " + version);
        spec.usageMessage()
            .header("Run one logship node.")
            // The blank lines keep the forms, and the paragraphs below, apart in AsciiDoc.
            .customSynopsis(
                "logshipd --config FILE",
                "",
                "logshipd --check-config --config FILE",
                "",
                "logshipd --version")
            .description(
                "Run one logship node in the foreground until SIGTERM or SIGINT, then stop cleanly " +
                    "(\"logshipd: node N stopped cleanly\"). It logs to stdout. Under systemd (Type=notify) it " +
                    "sends READY=1 once the node has recovered its log and runs.",
                "",
                "The node configuration file is described in conf/node.conf.example of the release; the unit, " +
                    "its environment file and the sysusers.d file are in systemd/.",
                "",
                "Environment (read by bin/logshipd): JAVA_HOME, the JDK to run (else java on PATH); " +
                    "LOGSHIP_JAVA_OPTS, JVM options that replace the default heap options.")
            .exitCodeListHeading("%nExit Codes:%n")
            .exitCodeList(exitCodes());
        spec.addOption(OptionSpec.builder("--config").paramLabel("FILE").type(String.class)
            .description("The node configuration file (logship.node.id, logship.cluster.members, " +
                "logship.node.data.dir, logship.cluster.secret.file, ...).")
            .build());
        spec.addOption(OptionSpec.builder("--check-config")
            .description("Run every configuration check (the file, the secret file, this node's address, the " +
                "data directory), print one line and exit; systemd runs it as ExecStartPre.")
            .build());
        spec.addOption(OptionSpec.builder("--version").versionHelp(true)
            .description("Print the version and exit.")
            .build());
        return spec;
    }

    private static Map<String, String> exitCodes()
    {
        final Map<String, String> codes = new LinkedHashMap<>();
        codes.put("0", "--check-config found a good configuration, or --version.");
        codes.put("1", "The node cannot start (for example a corrupt log, named in the message).");
        codes.put("2", "A bad command line or configuration (one line naming the key or file).");
        codes.put("3", "The running node lost its transport (its Aeron client was terminated, e.g. after the process " +
            "was paused past the client timeout) and halted; a restart recovers it as after a crash.");
        codes.put("4", "The node was removed from its cluster by a committed configuration (logship member remove).");
        codes.put("130", "A clean stop after SIGINT.");
        codes.put("143", "A clean stop after SIGTERM (the unit lists it as success).");
        return codes;
    }
}
