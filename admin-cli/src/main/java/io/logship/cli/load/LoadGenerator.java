package io.logship.cli.load;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.logship.cli.json.JsonOutput;
import io.logship.client.AckLevel;
import io.logship.client.LogshipClient;
import io.logship.client.WriteResult;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;
import java.util.zip.CRC32C;

/**
 * The end-to-end load generator behind {@code logship load}: pipelines {@code records} puts through one
 * {@link LogshipClient} (at most {@code inFlight} outstanding: the client blocks the sending thread beyond
 * that), measures throughput and send-to-ack latency with an HdrHistogram, and optionally writes one JSON
 * line per acknowledged write ({@link AckLog}). The client retries every write with its original sequence,
 * so a leader change during the run costs latency, not duplicates.
 *
 * <p>Record {@code i} has key {@code keyPrefix + (i % keys)} and the value {@link #value(byte[], int)} of
 * that key, so a reader can recompute every value and its CRC32C from the key alone.
 *
 * <p>With {@code warmupRecords} set, {@link #run} first sends that many writes through the same client in the
 * same JVM (keys {@code warmup-<keyPrefix>0..}, at {@code warmupRate}, unbounded by default, no {@code --out}) and
 * drops their counts and latencies, so the measured run starts with the client, the nodes and the JIT warm; then the
 * caller's settle step, which waits for the cluster to digest them.
 *
 * <p>Threads: {@link #run} submits on the calling thread. The client completes writes on its conductor thread
 * (its only I/O thread), which just stamps the ack time and enqueues the write on a bounded queue; a
 * recorder thread owned by the run drains it and does the generator's own work (histogram, counters,
 * CRC32C and the {@code --out} line), so that work does not delay the client's sends and receives. If the
 * recorder falls a whole queue behind, the conductor waits for room (the recorder is then the bottleneck and
 * the run says so by being slower). One run per instance; not thread-safe.
 */
public final class LoadGenerator
{
    /** Upper bound of the latency histogram: an hour in microseconds, well above any client deadline. */
    private static final long HIGHEST_TRACKABLE_US = TimeUnit.HOURS.toMicros(1);
    private static final long PROGRESS_INTERVAL_NS = TimeUnit.SECONDS.toNanos(5);
    /** Warm-up keys: never the measured keys, so a reader of the {@code --out} keys finds only measured writes. */
    static final String WARMUP_KEY_PREFIX = "warmup-";
    /** Completions the conductor may queue ahead of the recorder before it waits for room. */
    private static final int MIN_QUEUE_CAPACITY = 4096;

    /** How a run sends one write; {@link LogshipClient#put(byte[], byte[], AckLevel)} outside tests. */
    @FunctionalInterface
    interface Writer
    {
        CompletableFuture<WriteResult> put(byte[] key, byte[] value, AckLevel ackLevel);
    }

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
        private long warmupRecords;
        private long warmupRate;

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

        /** Unreported writes sent first through the same client (0 = none). */
        public Settings warmupRecords(final long warmupRecords)
        {
            this.warmupRecords = warmupRecords;
            return this;
        }

        public long warmupRecords()
        {
            return warmupRecords;
        }

        /** The warm-up's records per second (0, the default: as fast as {@code inFlight} allows). */
        public Settings warmupRate(final long warmupRate)
        {
            this.warmupRate = warmupRate;
            return this;
        }

        public long warmupRate()
        {
            return warmupRate;
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
            if (warmupRecords < 0 || warmupRecords > Integer.MAX_VALUE)
            {
                throw bad("--warmup-records", warmupRecords, "in [0, " + Integer.MAX_VALUE + "] (0 = no warm-up)");
            }
            if (warmupRate < 0)
            {
                throw bad("--warmup-rate", warmupRate, "records per second >= 0 (0 = unbounded)");
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
        int inFlight,
        Receipts durability)
    {
        /** A report without receipts (no write acknowledged with one). */
        public Report(final long records, final long acknowledged, final long failed, final String firstError,
            final long elapsedMs, final double recordsPerSecond, final double megabytesPerSecond, final long p50Us,
            final long p99Us, final long p999Us, final long maxUs, final double meanUs, final String ackLevel,
            final int valueSize, final long rate, final int inFlight)
        {
            this(records, acknowledged, failed, firstError, elapsedMs, recordsPerSecond, megabytesPerSecond, p50Us,
                p99Us, p999Us, maxUs, meanUs, ackLevel, valueSize, rate, inFlight, Receipts.NONE);
        }

        public boolean ok()
        {
            return failed == 0 && acknowledged == records;
        }

        /**
         * One line of JSON, fields in this order; rates and the mean keep a fixed number of decimals (1, 3 and
         * 1), and a rate or mean that is not a number prints as null.
         */
        public String toJson()
        {
            final ObjectNode latency = JsonOutput.object().put("p50", p50Us).put("p99", p99Us).put("p999", p999Us)
                .put("max", maxUs);
            latency.set("mean", JsonOutput.decimal(meanUs, 1));
            final ObjectNode json = JsonOutput.object()
                .put("records", records)
                .put("acknowledged", acknowledged)
                .put("failed", failed)
                .put("elapsedMs", elapsedMs);
            json.set("recordsPerSec", JsonOutput.decimal(recordsPerSecond, 1));
            json.set("mbPerSec", JsonOutput.decimal(megabytesPerSecond, 3));
            json.set("latencyUs", latency);
            json.put("ack", ackLevel)
                .put("valueSize", valueSize)
                .put("rate", rate)
                .put("inFlight", inFlight)
                .put("firstError", firstError);
            json.set("durability", durability.toJson());
            return JsonOutput.write(json);
        }
    }

    /**
     * The durability receipts of the acknowledged writes (docs/DESIGN.md#fsync-policy): the fewest nodes any write
     * was written on and fsynced on when the leader answered (-1 if none was acknowledged), and how many writes
     * were answered with each count ({@code byWritten[k]}: writes written on exactly k nodes).
     */
    public record Receipts(int minWritten, int minFsynced, long[] byWritten, long[] byFsynced)
    {
        public static final Receipts NONE = new Receipts(-1, -1, new long[0], new long[0]);

        /** Writes answered as fsynced on at least {@code nodes} nodes (e.g. a majority of the cluster). */
        public long fsyncedOnAtLeast(final int nodes)
        {
            long count = 0;
            for (int k = Math.max(0, nodes); k < byFsynced.length; k++)
            {
                count += byFsynced[k];
            }
            return count;
        }

        ObjectNode toJson()
        {
            final ObjectNode json = JsonOutput.object();
            if (minWritten < 0)
            {
                json.putNull("minWritten").putNull("minFsynced");
            }
            else
            {
                json.put("minWritten", minWritten).put("minFsynced", minFsynced);
            }
            final ArrayNode written = json.putArray("byWritten");
            for (final long count : byWritten)
            {
                written.add(count);
            }
            final ArrayNode fsynced = json.putArray("byFsynced");
            for (final long count : byFsynced)
            {
                fsynced.add(count);
            }
            return json;
        }
    }

    /** More nodes than any cluster has: a receipt count above it is clamped. */
    private static final int MAX_RECEIPT_NODES = 64;

    private final Settings settings;
    private final long[] byWritten = new long[MAX_RECEIPT_NODES + 1];
    private final long[] byFsynced = new long[MAX_RECEIPT_NODES + 1];
    private int maxReceiptCount = -1;
    private final Histogram latencyUs = new Histogram(HIGHEST_TRACKABLE_US, 3);
    private final CRC32C crc = new CRC32C();
    private long acknowledged;
    private long failed;
    private long payloadBytes;
    private String firstError;
    /** The {@code --out} file, or null without one. */
    private AckLog ackLog;
    /** Completed writes, from the conductor (or a caller that was refused at once) to the recorder. */
    private ManyToOneConcurrentArrayQueue<PendingWrite> completions;
    /** Cleared when the run is abandoned (interrupted), so the recorder thread ends. */
    private volatile boolean running;

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
        return run((Writer)client::put, () -> { }, progress);
    }

    /**
     * {@link #run(LogshipClient, PrintStream)}, with {@code settle} run between the warm-up and the measured run (only
     * when there is a warm-up): the caller waits there until the cluster has digested the warm-up.
     */
    public Report run(final LogshipClient client, final Runnable settle, final PrintStream progress)
    {
        return run((Writer)client::put, settle, progress);
    }

    /** Through any {@link Writer}: the warm-up, {@code settle}, then the measured run. */
    Report run(final Writer writer, final Runnable settle, final PrintStream progress)
    {
        if (settings.warmupRecords() > 0)
        {
            warmUp(writer, progress);
            settle.run();
        }
        return measure(writer, progress);
    }

    Report run(final Writer writer, final PrintStream progress)
    {
        return run(writer, () -> { }, progress);
    }

    private void warmUp(final Writer writer, final PrintStream progress)
    {
        final Settings warmup = new Settings()
            .records(settings.warmupRecords())
            .rate(settings.warmupRate())
            .valueSize(settings.valueSize())
            .inFlight(settings.inFlight())
            .ackLevel(settings.ackLevel())
            .keyPrefix(WARMUP_KEY_PREFIX + settings.keyPrefix());
        // A generator of its own: its histogram and counters are dropped with it, nothing to reset here.
        final Report report = new LoadGenerator(warmup).measure(writer, progress);
        if (!report.ok())
        {
            throw new IllegalStateException("--warmup-records=" + settings.warmupRecords() + ": gave up on " +
                report.failed() + " of " + report.records() + " warm-up writes; first error: " + report.firstError());
        }
        if (null != progress)
        {
            progress.println("load: warm-up of " + report.records() + " writes done in " + report.elapsedMs() +
                " ms (not reported)");
        }
    }

    private Report measure(final Writer writer, final PrintStream progress)
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
        if (null != settings.out())
        {
            ackLog = AckLog.open(settings.out());
        }
        completions = new ManyToOneConcurrentArrayQueue<>(
            (int)Math.min(1 << 21, Math.max(MIN_QUEUE_CAPACITY, 2L * settings.inFlight())));
        running = true;
        final Thread recorder = new Thread(() -> record(done), "load-recorder");
        recorder.setDaemon(true);
        recorder.start();

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
                writer.put(keyBytes, value, settings.ackLevel())
                    .whenComplete(new PendingWrite(key, keyBytes.length, value, intendedNs));

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
        finally
        {
            // Every write is recorded by now, unless the run is being abandoned: the recorder ends either way.
            running = false;
        }
        final long elapsedNs = System.nanoTime() - startNs;
        if (null != ackLog)
        {
            ackLog.close();
        }

        final double seconds = Math.max(elapsedNs, 1) / 1e9;
        final Histogram h = latencyUs;
        return new Report(records, acknowledged, failed, firstError, TimeUnit.NANOSECONDS.toMillis(elapsedNs),
            acknowledged / seconds, payloadBytes / seconds / 1e6,
            h.getValueAtPercentile(50), h.getValueAtPercentile(99), h.getValueAtPercentile(99.9), h.getMaxValue(),
            h.getTotalCount() == 0 ? 0 : h.getMean(), settings.ackLevel().name().toLowerCase(Locale.ROOT),
            settings.valueSize(), settings.rate(), settings.inFlight(), receipts());
    }

    private synchronized Receipts receipts()
    {
        if (maxReceiptCount < 0)
        {
            return Receipts.NONE;
        }
        int minWritten = -1;
        int minFsynced = -1;
        for (int k = 0; k <= maxReceiptCount; k++)
        {
            if (minWritten < 0 && byWritten[k] > 0)
            {
                minWritten = k;
            }
            if (minFsynced < 0 && byFsynced[k] > 0)
            {
                minFsynced = k;
            }
        }
        return new Receipts(minWritten, minFsynced, Arrays.copyOf(byWritten, maxReceiptCount + 1),
            Arrays.copyOf(byFsynced, maxReceiptCount + 1));
    }

    /**
     * The recorder thread: records every queued completion, then counts it done (the latch is what hands the
     * counters and the histogram to the thread that built the report).
     */
    private void record(final CountDownLatch done)
    {
        final IdleStrategy idle = new BackoffIdleStrategy(10, 10, 1_000, 100_000);
        while (running && done.getCount() > 0)
        {
            final PendingWrite write = completions.poll();
            if (null == write)
            {
                idle.idle();
                continue;
            }
            idle.reset();
            onComplete(write);
            done.countDown();
        }
    }

    /** Runs on the recorder thread. */
    private void onComplete(final PendingWrite write)
    {
        final Throwable error = write.error;
        if (null != error)
        {
            failed++;
            if (null == firstError)
            {
                final Throwable cause = error instanceof CompletionException && null != error.getCause() ?
                    error.getCause() : error;
                firstError = "put " + write.key + ": " + cause.getMessage();
            }
            return;
        }
        final byte[] value = write.value;
        final long latency = Math.max(1, TimeUnit.NANOSECONDS.toMicros(write.ackNs - write.intendedNs));
        latencyUs.recordValue(Math.min(latency, HIGHEST_TRACKABLE_US));
        acknowledged++;
        payloadBytes += write.keyLength + value.length;
        final int written = Math.min(Math.max(0, write.result.nodesWritten()), MAX_RECEIPT_NODES);
        final int fsynced = Math.min(Math.max(0, write.result.nodesFsynced()), MAX_RECEIPT_NODES);
        byWritten[written]++;
        byFsynced[fsynced]++;
        maxReceiptCount = Math.max(maxReceiptCount, Math.max(written, fsynced));
        if (null != ackLog)
        {
            crc.reset();
            crc.update(value, 0, value.length);
            ackLog.append(write.key, write.result.offset(), write.result.epoch(), crc.getValue(), write.ackMs,
                write.result.nodesWritten(), write.result.nodesFsynced());
        }
    }

    /**
     * One write, created by the sending thread and completed on the client's conductor thread (or the sender's,
     * for a write refused before sending), which stamps the ack time and queues it for the recorder: the queue
     * publishes the fields written before {@code offer}.
     */
    private final class PendingWrite implements BiConsumer<WriteResult, Throwable>
    {
        private final String key;
        private final int keyLength;
        private final byte[] value;
        private final long intendedNs;
        private long ackNs;
        private long ackMs;
        private WriteResult result;
        private Throwable error;

        private PendingWrite(final String key, final int keyLength, final byte[] value, final long intendedNs)
        {
            this.key = key;
            this.keyLength = keyLength;
            this.value = value;
            this.intendedNs = intendedNs;
        }

        @Override
        public void accept(final WriteResult result, final Throwable error)
        {
            ackNs = System.nanoTime();
            ackMs = System.currentTimeMillis();
            this.result = result;
            this.error = error;
            while (!completions.offer(this))
            {
                if (!running)
                {
                    return;
                }
                Thread.onSpinWait();
            }
        }
    }

    private void flushOut()
    {
        if (null != ackLog)
        {
            ackLog.flush();
        }
    }
}
