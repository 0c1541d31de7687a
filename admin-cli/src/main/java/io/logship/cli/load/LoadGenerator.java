package io.logship.cli.load;

import io.logship.client.AckLevel;
import io.logship.client.LogshipClient;
import io.logship.client.WriteResult;
import org.HdrHistogram.Histogram;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32C;

/**
 * The end-to-end load generator behind {@code logship load}: pipelines {@code records} puts through one
 * {@link LogshipClient} (at most {@code inFlight} outstanding: the client blocks the sending thread beyond
 * that), measures throughput and send-to-ack latency with an HdrHistogram, and optionally writes one JSON
 * line per acknowledged write. The client retries every write with its original sequence, so a leader
 * change during the run costs latency, not duplicates.
 *
 * <p>Record {@code i} has key {@code keyPrefix + (i % keys)} and the value {@link #value(byte[], int)} of
 * that key, so a reader can recompute every value and its CRC32C from the key alone.
 *
 * <p>Threads: {@link #run} submits on the calling thread; acknowledgements are handled on the client's
 * conductor thread (histogram, counters, the {@code --out} file), which is the only thread touching them
 * until the run ends. One run per instance; not thread-safe.
 */
public final class LoadGenerator
{
    /** Upper bound of the latency histogram: an hour in microseconds, well above any client deadline. */
    private static final long HIGHEST_TRACKABLE_US = TimeUnit.HOURS.toMicros(1);
    private static final long PROGRESS_INTERVAL_NS = TimeUnit.SECONDS.toNanos(5);

    /** What to run. Fluent setters; {@link #validate()} names the first bad value. */
    public static final class Settings
    {
        private long records = 100_000;
        private int valueSize = 100;
        private long rate;
        private int inFlight = 1024;
        private AckLevel ackLevel = AckLevel.QUORUM;
        private String keyPrefix = "key-";
        private long keys = -1;
        private Path out;

        public Settings records(final long records)
        {
            this.records = records;
            return this;
        }

        public Settings valueSize(final int valueSize)
        {
            this.valueSize = valueSize;
            return this;
        }

        /** Records per second; 0 sends as fast as the in-flight window allows. */
        public Settings rate(final long rate)
        {
            this.rate = rate;
            return this;
        }

        public Settings inFlight(final int inFlight)
        {
            this.inFlight = inFlight;
            return this;
        }

        public Settings ackLevel(final AckLevel ackLevel)
        {
            this.ackLevel = ackLevel;
            return this;
        }

        public Settings keyPrefix(final String keyPrefix)
        {
            this.keyPrefix = keyPrefix;
            return this;
        }

        /** Size of the key space; -1 (default) means one key per record. */
        public Settings keys(final long keys)
        {
            this.keys = keys;
            return this;
        }

        public Settings out(final Path out)
        {
            this.out = out;
            return this;
        }

        public long records()
        {
            return records;
        }

        public int valueSize()
        {
            return valueSize;
        }

        public long rate()
        {
            return rate;
        }

        public int inFlight()
        {
            return inFlight;
        }

        public AckLevel ackLevel()
        {
            return ackLevel;
        }

        public String keyPrefix()
        {
            return keyPrefix;
        }

        /** The effective key space: {@code keys}, or {@code records} if not set. */
        public long keys()
        {
            return keys > 0 ? keys : Math.max(1, records);
        }

        public Path out()
        {
            return out;
        }

        /** @throws IllegalArgumentException naming the option, its value and what is accepted. */
        public Settings validate()
        {
            if (records < 1)
            {
                throw bad("--records", records, "at least 1");
            }
            if (valueSize < 0 || valueSize > 1024 * 1024)
            {
                throw bad("--value-size", valueSize, "a number of bytes in [0, 1048576]");
            }
            if (rate < 0)
            {
                throw bad("--rate", rate, "records per second >= 0 (0 = unbounded)");
            }
            if (inFlight < 1 || inFlight > 1 << 20)
            {
                throw bad("--in-flight", inFlight, "in [1, 1048576]");
            }
            if (null == ackLevel)
            {
                throw bad("--ack", null, "leader, quorum or all");
            }
            if (null == keyPrefix)
            {
                throw bad("--key-prefix", null, "a string");
            }
            if (keys == 0 || keys < -1)
            {
                throw bad("--keys", keys, "a key-space size >= 1");
            }
            return this;
        }

        private static IllegalArgumentException bad(final String option, final Object value, final String expected)
        {
            return new IllegalArgumentException(option + "=" + value + " is invalid: expected " + expected);
        }
    }

    /** The outcome of a run; {@link #toJson()} is the parseable summary. */
    public record Report(
        long records,
        long acknowledged,
        long failed,
        String firstError,
        long elapsedMs,
        double recordsPerSecond,
        double megabytesPerSecond,
        long p50Us,
        long p99Us,
        long p999Us,
        long maxUs,
        double meanUs,
        String ackLevel,
        int valueSize,
        long rate,
        int inFlight)
    {
        public boolean ok()
        {
            return failed == 0 && acknowledged == records;
        }

        public String toJson()
        {
            return "{\"records\":" + records +
                ",\"acknowledged\":" + acknowledged +
                ",\"failed\":" + failed +
                ",\"elapsedMs\":" + elapsedMs +
                ",\"recordsPerSec\":" + String.format(Locale.ROOT, "%.1f", recordsPerSecond) +
                ",\"mbPerSec\":" + String.format(Locale.ROOT, "%.3f", megabytesPerSecond) +
                ",\"latencyUs\":{\"p50\":" + p50Us + ",\"p99\":" + p99Us + ",\"p999\":" + p999Us +
                ",\"max\":" + maxUs + ",\"mean\":" + String.format(Locale.ROOT, "%.1f", meanUs) + "}" +
                ",\"ack\":\"" + ackLevel + "\"" +
                ",\"valueSize\":" + valueSize +
                ",\"rate\":" + rate +
                ",\"inFlight\":" + inFlight +
                ",\"firstError\":" + (null == firstError ? "null" : jsonString(firstError)) + "}";
        }
    }

    private final Settings settings;
    private final Histogram latencyUs = new Histogram(HIGHEST_TRACKABLE_US, 3);
    private final CRC32C crc = new CRC32C();
    private long acknowledged;
    private long failed;
    private long payloadBytes;
    private String firstError;
    private BufferedWriter outWriter;
    private IOException outError;

    public LoadGenerator(final Settings settings)
    {
        this.settings = settings.validate();
    }

    /** The key of record {@code index}. */
    public static String key(final String keyPrefix, final long keys, final long index)
    {
        return keyPrefix + (index % keys);
    }

    /**
     * The value written for a key: the key's UTF-8 bytes repeated to {@code valueSize} bytes (the last
     * copy cut short); all zero bytes if the key is empty. Anyone can recompute it, and its CRC32C.
     */
    public static byte[] value(final byte[] key, final int valueSize)
    {
        final byte[] value = new byte[valueSize];
        if (key.length > 0)
        {
            for (int i = 0; i < valueSize; i++)
            {
                value[i] = key[i % key.length];
            }
        }
        return value;
    }

    /** Unsigned CRC32C of {@code bytes}. */
    public static long crc32c(final byte[] bytes)
    {
        final CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length);
        return crc.getValue();
    }

    /**
     * Runs the load against {@code client} (whose {@code maxInFlight} should be {@code settings.inFlight()}),
     * printing progress to {@code progress} (may be null), and returns when every write has been
     * acknowledged or has failed (the client fails a write after its deadline at the latest).
     */
    public Report run(final LogshipClient client, final PrintStream progress)
    {
        final long records = settings.records();
        final long keys = settings.keys();
        final double intervalNs = settings.rate() > 0 ? 1e9 / settings.rate() : 0;
        if (records > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("--records=" + records + " is invalid: expected at most " +
                Integer.MAX_VALUE);
        }
        final CountDownLatch done = new CountDownLatch((int)records);
        try
        {
            if (null != settings.out())
            {
                outWriter = Files.newBufferedWriter(settings.out(), StandardCharsets.UTF_8);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot open --out " + settings.out() + ": " + ex.getMessage(), ex);
        }

        final long startNs = System.nanoTime();
        long nextProgressNs = startNs + PROGRESS_INTERVAL_NS;
        try
        {
            for (long i = 0; i < records; i++)
            {
                final long intendedNs;
                if (intervalNs > 0)
                {
                    // Latency is measured from when the write was due, not when it left: a stall then counts
                    // against every write it delayed (no coordinated omission).
                    intendedNs = startNs + (long)(i * intervalNs);
                    long nowNs;
                    while ((nowNs = System.nanoTime()) < intendedNs)
                    {
                        LockSupport.parkNanos(Math.min(intendedNs - nowNs, 1_000_000));
                    }
                }
                else
                {
                    intendedNs = System.nanoTime();
                }
                final String key = key(settings.keyPrefix(), keys, i);
                final byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
                final byte[] value = value(keyBytes, settings.valueSize());
                final CompletableFuture<WriteResult> future = client.put(keyBytes, value, settings.ackLevel());
                future.whenComplete((result, error) ->
                {
                    try
                    {
                        onComplete(key, keyBytes.length, value, intendedNs, result, error);
                    }
                    finally
                    {
                        done.countDown();
                    }
                });

                final long nowNs = System.nanoTime();
                if (nowNs - nextProgressNs >= 0)
                {
                    nextProgressNs = nowNs + PROGRESS_INTERVAL_NS;
                    flushOut();
                    if (null != progress)
                    {
                        progress.println("load: sent " + (i + 1) + "/" + records + " in " +
                            TimeUnit.NANOSECONDS.toMillis(nowNs - startNs) + " ms");
                    }
                }
            }
            while (!done.await(PROGRESS_INTERVAL_NS, TimeUnit.NANOSECONDS))
            {
                flushOut();
                if (null != progress)
                {
                    progress.println("load: waiting for " + done.getCount() + " acknowledgements");
                }
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("load interrupted", ex);
        }
        final long elapsedNs = System.nanoTime() - startNs;
        closeOut();

        final double seconds = Math.max(elapsedNs, 1) / 1e9;
        final Histogram h = latencyUs;
        return new Report(records, acknowledged, failed, firstError, TimeUnit.NANOSECONDS.toMillis(elapsedNs),
            acknowledged / seconds, payloadBytes / seconds / 1e6,
            h.getValueAtPercentile(50), h.getValueAtPercentile(99), h.getValueAtPercentile(99.9), h.getMaxValue(),
            h.getTotalCount() == 0 ? 0 : h.getMean(), settings.ackLevel().name().toLowerCase(Locale.ROOT),
            settings.valueSize(), settings.rate(), settings.inFlight());
    }

    /** Runs on the client's conductor thread (or the caller's, for a write rejected before sending). */
    private synchronized void onComplete(
        final String key,
        final int keyLength,
        final byte[] value,
        final long intendedNs,
        final WriteResult result,
        final Throwable error)
    {
        if (null != error)
        {
            failed++;
            if (null == firstError)
            {
                final Throwable cause = error instanceof CompletionException && null != error.getCause() ?
                    error.getCause() : error;
                firstError = "put " + key + ": " + cause.getMessage();
            }
            return;
        }
        final long latency = Math.max(1, TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - intendedNs));
        latencyUs.recordValue(Math.min(latency, HIGHEST_TRACKABLE_US));
        acknowledged++;
        payloadBytes += keyLength + value.length;
        if (null != outWriter && null == outError)
        {
            crc.reset();
            crc.update(value, 0, value.length);
            try
            {
                outWriter.write(ackLine(key, result.offset(), result.epoch(), crc.getValue(), System.currentTimeMillis()));
                outWriter.write('\n');
            }
            catch (final IOException ex)
            {
                outError = ex;
            }
        }
    }

    private synchronized void flushOut()
    {
        if (null != outWriter && null == outError)
        {
            try
            {
                outWriter.flush();
            }
            catch (final IOException ex)
            {
                outError = ex;
            }
        }
    }

    private synchronized void closeOut()
    {
        if (null == outWriter)
        {
            return;
        }
        try
        {
            outWriter.close();
        }
        catch (final IOException ex)
        {
            if (null == outError)
            {
                outError = ex;
            }
        }
        if (null != outError)
        {
            throw new UncheckedIOException("cannot write --out " + settings.out() + ": " + outError.getMessage(),
                outError);
        }
    }

    /** One {@code --out} line, without its line end. */
    static String ackLine(final String key, final long offset, final int epoch, final long crc32c, final long ackMs)
    {
        return "{\"key\":" + jsonString(key) + ",\"offset\":" + offset + ",\"epoch\":" + epoch + ",\"crc32c\":" +
            crc32c + ",\"ackMs\":" + ackMs + "}";
    }

    /** A JSON string literal. */
    public static String jsonString(final String s)
    {
        final StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++)
        {
            final char c = s.charAt(i);
            switch (c)
            {
                case '"': sb.append("\\\""); break;
                case '\\': sb.append("\\\\"); break;
                case '\n': sb.append("\\n"); break;
                case '\r': sb.append("\\r"); break;
                case '\t': sb.append("\\t"); break;
                default:
                    if (c < 0x20)
                    {
                        sb.append(String.format(Locale.ROOT, "\\u%04x", (int)c));
                    }
                    else
                    {
                        sb.append(c);
                    }
            }
        }
        return sb.append('"').toString();
    }
}
