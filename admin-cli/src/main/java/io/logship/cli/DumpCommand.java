package io.logship.cli;

import io.logship.log.LogDump;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code logship dump DIR [--records]}: offline; prints a log directory with {@link LogDump} without
 * changing it. DIR may be the log directory or a node's data directory (its {@code log} subdirectory is
 * then used). Exit 1 if any batch fails validation.
 */
@Command(name = "dump", mixinStandardHelpOptions = true,
    description = "Print a node's log directory (segments, batches, checksum verdicts, epoch history); offline.")
public final class DumpCommand extends CliCommand implements Callable<Integer>
{
    @Parameters(index = "0", paramLabel = "DIR", description = "A log directory, or a node data directory.")
    Path dir;

    @Option(names = "--records", description = "Also print every record.")
    boolean records;

    @Override
    public Integer call() throws IOException
    {
        Path directory = dir;
        if (!Files.isDirectory(directory))
        {
            throw usage(dir + " is not a directory");
        }
        if (Files.isDirectory(directory.resolve("log")) && !hasSegments(directory))
        {
            directory = directory.resolve("log");
        }
        // Streamed straight to stdout: a dump with --records can be far larger than memory.
        final boolean ok = LogDump.dump(directory, records, System.out);
        System.out.flush();
        if (!ok)
        {
            throw new CliException(AdminCli.EXIT_FAILED, directory + " holds invalid batches (see above)");
        }
        return AdminCli.EXIT_OK;
    }

    private static boolean hasSegments(final Path directory) throws IOException
    {
        try (var stream = Files.list(directory))
        {
            return stream.anyMatch((p) -> p.getFileName().toString().endsWith(".log"));
        }
    }
}
