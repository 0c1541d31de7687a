package io.logship.kv;

import io.logship.perf.FsyncingAppender;
import io.logship.perf.PerfFiles;
import io.logship.perf.RoundMedians;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * How much one snapshot being written delays the fsyncs of a log on the same disk, for each flush-behind
 * ({@code logship.node.snapshot.flush.bytes}, docs/DESIGN.md#snapshot-flush): a thread appends 1,200 bytes and
 * fsyncs ({@code force(false)}, as the log's flusher does) once a millisecond, while the real {@link SnapshotWriter}
 * writes a snapshot of random 100-byte values, as fast as it can or paced to a rate (a snapshot of a large store
 * is written at the pace of the store walk, 10–30 MB/s on the 2-core bench machine). Prints the fsync latencies
 * seen while the snapshot was written, and the longest in the 2 s after it is deleted (as retention deletes the
 * older snapshot), the median of the rounds with the min–max.
 *
 * <p>A plain program, not a JMH benchmark: the figure is another thread's latency while this one writes. Run it
 * alone on the machine, with a directory on the disk under test:
 * {@code java -cp perf/target/benchmarks.jar io.logship.kv.SnapshotFlushInterference DIR [MB] [rate MB/s, 0 = unpaced]
 * [rounds] [flush-behind bytes...]}.
 */
public final class SnapshotFlushInterference
{
    private static final int VALUE_BYTES = 100;

    private SnapshotFlushInterference()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final Path dir = Path.of(args[0]);
        final long snapshotMb = args.length > 1 ? Long.parseLong(args[1]) : 300;
        final long rateMbPerS = args.length > 2 ? Long.parseLong(args[2]) : 0;
        final int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        final List<Long> flushes = new ArrayList<>();
        for (int i = 4; i < args.length; i++)
        {
            flushes.add(Long.parseLong(args[i]));
        }
        if (flushes.isEmpty())
        {
            flushes.add(16L * 1024 * 1024);
            flushes.add(SnapshotStore.DEFAULT_FLUSH_BEHIND_BYTES);
        }
        Files.createDirectories(dir);
        System.out.printf("snapshot of %d MB, %s, %d rounds per flush-behind, rounds interleaved; " +
            "log fsync latency while it is written, ms: median of rounds (min-max)%n", snapshotMb,
            0 == rateMbPerS ? "unpaced" : "paced to " + rateMbPerS + " MB/s", rounds);
        final double[][][] results = new double[flushes.size()][rounds][];
        for (int round = 0; round < rounds; round++)
        {
            for (int f = 0; f < flushes.size(); f++)
            {
                results[f][round] = round(dir, snapshotMb, rateMbPerS, flushes.get(f));
            }
        }
        final String[] names = {"p50", "p99", "p99.9", "max", "snapshot ms", "max in 2 s after its unlink",
            "unlink ms"};
        for (int f = 0; f < flushes.size(); f++)
        {
            System.out.println(RoundMedians.line(String.format("flush-behind %,d bytes:", flushes.get(f)), names,
                results[f]));
        }
    }

    /** One snapshot beside the fsyncing appender: p50, p99, p99.9, max (ms) and the snapshot's duration (ms). */
    private static double[] round(final Path dir, final long snapshotMb, final long rateMbPerS, final long flushBytes)
        throws Exception
    {
        // One directory per round, the appender's file and the snapshot both in it, removed whatever happens.
        final Path roundDir = Files.createTempDirectory(dir, "round");
        final Histogram fsyncNs = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        final FsyncingAppender appender = new FsyncingAppender(roundDir.resolve("log"));
        final Thread thread = new Thread(appender, "log-fsync");
        thread.start();
        try
        {
            LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1));
            appender.record(fsyncNs);
            final long startNs = System.nanoTime();
            final SnapshotInfo snapshot = writeSnapshot(new SnapshotStore(roundDir.resolve("snapshots"), 1, flushBytes),
                snapshotMb << 20, rateMbPerS, startNs);
            final long snapshotNs = System.nanoTime() - startNs;
            appender.record(null);
            // Then what deleting it does (retention deletes the older snapshot after each new one): the longest
            // fsync in the 2 s after the unlink, and how long the unlink itself took.
            LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1));
            final Histogram afterDeleteNs = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
            appender.record(afterDeleteNs);
            final long deleteStartNs = System.nanoTime();
            Files.delete(snapshot.file());
            final long deleteNs = System.nanoTime() - deleteStartNs;
            LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(2));
            appender.record(null);
            appender.throwIfFailed(); // a dead appender leaves empty histograms, which would read as 0 ms
            return new double[] {fsyncNs.getValueAtPercentile(50) / 1e6, fsyncNs.getValueAtPercentile(99) / 1e6,
                fsyncNs.getValueAtPercentile(99.9) / 1e6, fsyncNs.getMaxValue() / 1e6, snapshotNs / 1e6,
                afterDeleteNs.getMaxValue() / 1e6, deleteNs / 1e6};
        }
        finally
        {
            appender.stop();
            thread.join();
            PerfFiles.deleteRecursively(roundDir);
        }
    }

    private static SnapshotInfo writeSnapshot(final SnapshotStore store, final long bytes, final long rateMbPerS,
        final long startNs) throws IOException
    {
        final SplittableRandom random = new SplittableRandom(42);
        final byte[] value = new byte[VALUE_BYTES];
        long written = 0;
        long key = 0;
        try (SnapshotWriter writer = store.beginWrite(1))
        {
            while (written < bytes)
            {
                random.nextBytes(value);
                final byte[] keyBytes = Long.toString(key++).getBytes(StandardCharsets.US_ASCII);
                writer.putEntry(keyBytes, value);
                written += 2 * Integer.BYTES + keyBytes.length + value.length;
                if (rateMbPerS > 0 && 0 == (key & 1023))
                {
                    final long dueNs = startNs + written * 1_000_000_000L / (rateMbPerS << 20);
                    final long waitNs = dueNs - System.nanoTime();
                    if (waitNs > 0)
                    {
                        LockSupport.parkNanos(waitNs);
                    }
                }
            }
            return writer.commit();
        }
    }
}
