package io.logship.cli.load;

import com.fasterxml.jackson.core.JsonGenerator;
import io.logship.cli.json.JsonOutput;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The {@code load --out} file: one JSON line per acknowledged write, in ack order, with the fields
 * {@code key, offset, epoch, crc32c, ackMs} (admin-cli/README.md). The first write error is kept and
 * later lines are dropped, so a full disk does not fail writes that the cluster acknowledged;
 * {@link #close()} then reports it and the run exits 1.
 *
 * <p>Threads: lines are appended on the client's conductor thread and flushed and closed by the thread
 * running the load; every method is synchronized.
 */
final class AckLog implements AutoCloseable
{
    private final Path path;
    private final JsonGenerator json;
    private IOException error;

    private AckLog(final Path path, final JsonGenerator json)
    {
        this.path = path;
        this.json = json;
    }

    /** Creates (or truncates) {@code path}. */
    static AckLog open(final Path path)
    {
        try
        {
            return new AckLog(path, JsonOutput.lineGenerator(Files.newBufferedWriter(path, StandardCharsets.UTF_8)));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot open --out " + path + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * One line for an acknowledged write; {@code crc32c} is of the value, {@code ackMs} wall-clock ms, {@code written}
     * and {@code fsynced} its durability receipt (nodes that had written and fsynced it when the leader answered).
     */
    synchronized void append(final String key, final long offset, final int epoch, final long crc32c, final long ackMs,
        final int written, final int fsynced)
    {
        if (null != error)
        {
            return;
        }
        try
        {
            json.writeStartObject();
            json.writeStringField("key", key);
            json.writeNumberField("offset", offset);
            json.writeNumberField("epoch", epoch);
            json.writeNumberField("crc32c", crc32c);
            json.writeNumberField("ackMs", ackMs);
            json.writeNumberField("written", written);
            json.writeNumberField("fsynced", fsynced);
            json.writeEndObject();
            json.writeRaw('\n');
        }
        catch (final IOException ex)
        {
            error = ex;
        }
    }

    /** Pushes buffered lines to the file, so a reader following it sees progress. */
    synchronized void flush()
    {
        if (null != error)
        {
            return;
        }
        try
        {
            json.flush();
        }
        catch (final IOException ex)
        {
            error = ex;
        }
    }

    /** @throws UncheckedIOException naming the file if any line could not be written. */
    @Override
    public synchronized void close()
    {
        try
        {
            json.close();
        }
        catch (final IOException ex)
        {
            if (null == error)
            {
                error = ex;
            }
        }
        if (null != error)
        {
            throw new UncheckedIOException("cannot write --out " + path + ": " + error.getMessage(), error);
        }
    }
}
