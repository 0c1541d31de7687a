package io.logship.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;

/** {@code logship local ...}: files for a cluster on this machine. */
@Command(name = "local", mixinStandardHelpOptions = true, description = "Set up a cluster on this machine.",
    subcommands = LocalCommand.InitCommand.class)
public final class LocalCommand extends CliCommand implements Runnable
{
    @Override
    public void run()
    {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: init");
    }

    /** {@code logship local init --nodes N --dir D [--base-port P] [--force]}. */
    @Command(name = "init", mixinStandardHelpOptions = true,
        description = "Write D/node1.conf .. D/nodeN.conf (node i on 127.0.0.1 UDP port P+i-1, data in " +
            "D/data/node<i>) and D/secret (32 random bytes, base64, mode 0600).")
    public static final class InitCommand extends CliCommand implements java.util.concurrent.Callable<Integer>
    {
        @Option(names = "--nodes", defaultValue = "3", description = "Number of nodes (default ${DEFAULT-VALUE}).")
        int nodes;

        @Option(names = "--dir", required = true, paramLabel = "DIR", description = "Directory for the files.")
        Path dir;

        @Option(names = "--base-port", defaultValue = "7001", paramLabel = "PORT",
            description = "UDP port of node 1 (default ${DEFAULT-VALUE}).")
        int basePort;

        @Option(names = "--force", description = "Overwrite existing configs and secret.")
        boolean force;

        @Override
        public Integer call()
        {
            final List<Path> files = LocalCluster.write(dir, nodes, basePort, force);
            final Path absolute = dir.toAbsolutePath().normalize();
            println("wrote " + files.size() + " node configs and the secret (mode 0600) in " + absolute + ":");
            println("  nodes: " + LocalCluster.members(nodes, basePort));
            println("start each node in its own terminal (or with &):");
            for (final Path file : files)
            {
                println("  bin/logshipd --config " + file);
            }
            println("then: bin/logship status --config " + files.get(0));
            return AdminCli.EXIT_OK;
        }
    }
}
