package io.logship.cli;

import io.logship.cluster.ClusterKeys;

import io.logship.LogshipException;
import io.logship.cli.json.JsonOutput;
import io.logship.log.Quarantine;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;

/**
 * {@code logship quarantine ...}: the log suffixes nodes cut when they rejoined a cluster whose leader's
 * log diverged from theirs, kept by {@link Quarantine} in {@code <data dir>/quarantine}. Offline, like
 * {@code dump}: reads files, needs no running node.
 */
@Command(name = "quarantine", mixinStandardHelpOptions = true,
    description = "Records a node cut from its log when it rejoined (writes that may be lost from the cluster); " +
        "offline.",
    subcommands = QuarantineCommand.ShowCommand.class)
public final class QuarantineCommand extends CliCommand implements Runnable
{
    /** The node config property naming the data directory (node-daemon's NodeConfig.DATA_DIR_PROP). */
    static final String DATA_DIR_PROP = ClusterKeys.DATA_DIR;

    /** Characters of a value shown in the human output. */
    static final int PREVIEW_CHARS = 40;

    @Override
    public void run()
    {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: show");
    }

    /**
     * {@code logship quarantine show (--config FILE | --dir DIR) [--file F] [--json]}: every quarantine file,
     * oldest first, a header block then one line per record (or one JSON object per record). A damaged
     * file is reported after the others are printed, with the records of its intact batches shown; exit 1.
     */
    @Command(name = "show", mixinStandardHelpOptions = true,
        description = "Print the quarantined records of a node: per file the node, time, new leader and epoch, " +
            "offsets and reason, then one line per record.")
    public static final class ShowCommand extends CliCommand implements Callable<Integer>
    {
        @Option(names = "--config", paramLabel = "FILE",
            description = "A node config file: its data directory (" + DATA_DIR_PROP + ") is read.")
        Path config;

        @Option(names = "--dir", paramLabel = "DIR",
            description = "A node data directory (its quarantine subdirectory is read), or a quarantine directory.")
        Path dir;

        @Option(names = "--file", paramLabel = "F",
            description = "Only this file: a name in the quarantine directory (a relative path is resolved " +
                "there), or an absolute path.")
        Path file;

        @Option(names = "--json", description = "One JSON object per record.")
        boolean json;

        @Override
        public Integer call()
        {
            final Path quarantineDir = quarantineDirectory();
            final List<Path> files;
            if (null != file)
            {
                final Path resolved = quarantineDir.resolve(file);
                if (!Files.isRegularFile(resolved))
                {
                    throw usage("--file " + file + ": no such file " + resolved);
                }
                files = List.of(resolved);
            }
            else
            {
                files = Quarantine.list(quarantineDir);
            }
            if (files.isEmpty())
            {
                // stdout stays pure JSON lines with --json: no records, no lines.
                (json ? err() : out()).println("no quarantined records in " + quarantineDir);
                (json ? err() : out()).flush();
                return AdminCli.EXIT_OK;
            }
            final List<String> failures = new ArrayList<>();
            for (int i = 0; i < files.size(); i++)
            {
                if (!json && i > 0)
                {
                    out().println();
                }
                try
                {
                    show(files.get(i));
                }
                catch (final LogshipException ex)
                {
                    failures.add(ex.getMessage());
                    if (!json)
                    {
                        out().println("  ERROR: " + ex.getMessage());
                    }
                }
                out().flush();
            }
            if (!failures.isEmpty())
            {
                throw new CliException(AdminCli.EXIT_FAILED, failures.size() + " of " + files.size() +
                    " quarantine files cannot be read in full (records before the damage are shown): " +
                    String.join("; ", failures));
            }
            return AdminCli.EXIT_OK;
        }

        /** The quarantine directory the options name; {@code DIR} itself if it holds quarantine files. */
        Path quarantineDirectory()
        {
            if (null != config && null != dir)
            {
                throw usage("--config and --dir are exclusive: pass one of them");
            }
            final Path dataDir;
            if (null != config)
            {
                dataDir = dataDirectoryOf(config);
                if (!Files.isDirectory(dataDir))
                {
                    throw usage("data directory " + dataDir + " (" + DATA_DIR_PROP + " in --config " + config +
                        ") is not a directory");
                }
            }
            else if (null != dir)
            {
                dataDir = dir;
                if (!Files.isDirectory(dataDir))
                {
                    throw usage(dir + " is not a directory");
                }
            }
            else
            {
                throw usage("no node given: pass --config FILE (a node config) or --dir DIR (a node data directory)");
            }
            final Path nested = dataDir.resolve(Quarantine.DIRECTORY_NAME);
            if (!Files.isDirectory(nested) && !Quarantine.list(dataDir).isEmpty())
            {
                return dataDir;
            }
            return nested;
        }

        private Path dataDirectoryOf(final Path configFile)
        {
            final Properties properties = new Properties();
            try (Reader in = Files.newBufferedReader(configFile, StandardCharsets.UTF_8))
            {
                properties.load(in);
            }
            catch (final IOException ex)
            {
                throw usage("cannot read --config " + configFile + ": " + ex);
            }
            final String value = properties.getProperty(DATA_DIR_PROP);
            if (null == value || value.isBlank())
            {
                throw usage("--config " + configFile + " has no " + DATA_DIR_PROP);
            }
            return Path.of(value.trim());
        }

        private void show(final Path path)
        {
            final String name = path.getFileName().toString();
            if (!json)
            {
                out().println(name); // before the header is read: a damaged header's error line follows it
            }
            try (Quarantine.Reader reader = Quarantine.read(path))
            {
                if (!json)
                {
                    printHeader(reader.header());
                }
                Quarantine.Record record;
                while (null != (record = reader.next()))
                {
                    out().println(json ? jsonLine(name, record) : textLine(record));
                }
            }
        }

        private void printHeader(final Quarantine.Header header)
        {
            out().println("  node:        " + header.nodeId());
            out().println("  created at:  " + Instant.ofEpochMilli(header.createdAtMillis()));
            out().println("  new leader:  " + header.newLeaderId() + " in epoch " + header.newLeaderEpoch());
            out().println("  offsets:     [" + header.fromOffset() + ", " + header.endOffset() + ")" +
                (header.requestedInsideBatch() ? " (asked from " + header.requestedOffset() +
                    ", inside the batch starting at " + header.fromOffset() + ")" : ""));
            out().println("  reason:      " + header.reason().replace("\n", "\n               "));
            out().println("  records:     " + header.recordCount());
        }

        static String textLine(final Quarantine.Record record)
        {
            final StringBuilder line = new StringBuilder("  offset ").append(record.offset())
                .append(" epoch ").append(record.epoch())
                .append(' ').append(record.type().name())
                .append(" key=").append(printableKey(record.key()))
                .append(" value=").append(record.value().length).append(" bytes")
                .append(String.format(" crc32c=%08x", Bytes.crc32c(record.value())));
            if (record.value().length > 0)
            {
                line.append(' ').append(preview(record.value()));
            }
            if (record.idempotent())
            {
                line.append(" client=").append(record.clientId()).append(" seq=").append(record.sequence());
            }
            return line.toString();
        }

        static String jsonLine(final String fileName, final Quarantine.Record record)
        {
            final String[] key = Bytes.render(record.key());
            final String[] value = Bytes.render(record.value());
            return JsonOutput.write(JsonOutput.object()
                .put("file", fileName)
                .put("offset", record.offset())
                .put("epoch", record.epoch())
                .put("type", record.type().name())
                .put("key", key[0])
                .put("keyEncoding", key[1])
                .put("valueLength", record.value().length)
                .put("valueCrc32c", Bytes.crc32c(record.value()))
                .put("value", value[0])
                .put("valueEncoding", value[1])
                .put("clientId", record.idempotent() ? record.clientId() : null)
                .put("sequence", record.idempotent() ? record.sequence() : null)
                .put("batchTimestampMs", record.batchTimestampMs()));
        }

        /** The key as text if it is UTF-8 without control characters, else {@code 0x} and hex. */
        static String printableKey(final byte[] key)
        {
            final String[] rendered = Bytes.render(key);
            final boolean text = Bytes.UTF8.equals(rendered[1]) &&
                rendered[0].codePoints().noneMatch(Character::isISOControl);
            return text ? rendered[0] : "0x" + HexFormat.of().formatHex(key);
        }

        /**
         * The start of a value: quoted text (control characters as '.') when it is UTF-8, else hex of its
         * first bytes; "..." when cut.
         */
        static String preview(final byte[] value)
        {
            final String[] rendered = Bytes.render(value);
            if (Bytes.UTF8.equals(rendered[1]))
            {
                final String text = rendered[0];
                final int end =
                    text.offsetByCodePoints(0, Math.min(PREVIEW_CHARS, text.codePointCount(0, text.length())));
                final StringBuilder shown = new StringBuilder("\"");
                text.substring(0, end).codePoints()
                    .forEach((c) -> shown.appendCodePoint(Character.isISOControl(c) ? '.' : c));
                return shown.append(end < text.length() ? "\"..." : "\"").toString();
            }
            final int bytes = Math.min(PREVIEW_CHARS / 2, value.length);
            return "0x" + HexFormat.of().formatHex(value, 0, bytes) + (bytes < value.length ? "..." : "");
        }
    }
}
