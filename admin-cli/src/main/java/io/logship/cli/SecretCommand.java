package io.logship.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code logship secret ...}: the cluster secret every node and admin call shares. */
@Command(name = "secret", mixinStandardHelpOptions = true, description = "Manage the cluster secret file.",
    subcommands = SecretCommand.GenerateCommand.class)
public final class SecretCommand extends CliCommand implements Runnable
{
    @Override
    public void run()
    {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: generate");
    }

    /** {@code logship secret generate FILE [--force]}. */
    @Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Write a new cluster secret to FILE: 32 random bytes, base64, mode 0600, owned by the " +
            "user running this (chown it to the user logshipd runs as). Copy the same file to every node; " +
            "logshipd reads logship.cluster.secret.file.")
    public static final class GenerateCommand extends CliCommand implements Callable<Integer>
    {
        @Parameters(index = "0", paramLabel = "FILE", description = "Where to write the secret.")
        Path file;

        @Option(names = "--force", description = "Replace an existing FILE (every node and tool then needs the " +
            "new one).")
        boolean force;

        @Override
        public Integer call()
        {
            final Path target = file.toAbsolutePath().normalize();
            if (Files.isDirectory(target))
            {
                throw usage("FILE " + target + " is a directory: expected the path of the secret file to write");
            }
            if (Files.exists(target) && !force)
            {
                throw new CliException(AdminCli.EXIT_FAILED, "refusing to overwrite " + target + ": every node of " +
                    "the cluster shares it; pass --force to replace it");
            }
            try
            {
                if (null != target.getParent())
                {
                    Files.createDirectories(target.getParent());
                }
                LocalCluster.writeSecret(target);
            }
            catch (final IOException ex)
            {
                throw new CliException(AdminCli.EXIT_FAILED, "cannot write the secret to " + target + ": " + ex, ex);
            }
            println("wrote a new cluster secret (" + LocalCluster.SECRET_BYTES + " random bytes, base64, mode " +
                "0600) to " + target);
            return AdminCli.EXIT_OK;
        }
    }
}
