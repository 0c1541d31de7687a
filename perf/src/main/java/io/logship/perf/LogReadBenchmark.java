package io.logship.perf;

import io.logship.format.BatchBuilder;
import io.logship.format.BatchDescriptor;
import io.logship.log.FsyncPolicy;
import io.logship.log.LogConfig;
import io.logship.log.LogSlice;
import io.logship.log.SegmentedLog;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

/**
 * Sequential read of a pre-filled log ({@code fillMiB} MiB of 512-record batches of 100 B values,
 * default 128 MiB segments), one op = one read of up to {@value #READ_BYTES} bytes of whole batches:
 * <ul>
 * <li>{@link #readCopy}: {@code read(offset, 1 MiB, ByteBuffer)} into a direct buffer, which copies
 * from the segment file and verifies every batch's CRC32C;</li>
 * <li>{@link #transferToDevNull}: {@code slice(offset, 1 MiB)} + {@code transferTo} into a
 * {@code /dev/null} FileChannel (zero copy, no CRC check).</li>
 * </ul>
 * The reader wraps to the log start at the log end. The log is filled once per trial and stays in
 * the page cache (it is much smaller than RAM), so this measures the read path, not the disk.
 * {@code /dev/null} discards what it is given, so the zero-copy number is an upper bound for a
 * socket. Primary score: reads/s; secondary {@code bytes} score ({@link Counters}): bytes/s.
 *
 * <p>Run:
 * <pre>
 * java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -jar perf/target/benchmarks.jar LogReadBenchmark \
 *     -f 1 -wi 3 -i 5 -prof gc -jvmArgsAppend -Dlogship.perf.dir=/work/perf-tmp
 * </pre>
 * Smoke test (smaller log):
 * <pre>
 * java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -jar perf/target/benchmarks.jar LogReadBenchmark \
 *     -f 1 -wi 1 -i 1 -w 1s -r 1s -p fillMiB=32 -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 10)
@Measurement(iterations = 5, time = 10)
public class LogReadBenchmark
{
    static final int READ_BYTES = 1024 * 1024;
    static final int RECORDS_PER_BATCH = 512;
    static final int VALUE_BYTES = 100;

    @Param({"256"})
    public int fillMiB;

    private Path dir;
    private SegmentedLog log;
    private ByteBuffer readBuffer;
    private UnsafeBuffer readView;
    private FileChannel devNull;
    private long nextOffset;

    /** Secondary result: bytes/s read. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Counters
    {
        public long bytes;

        @Setup(Level.Iteration)
        public void reset()
        {
            bytes = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws IOException
    {
        dir = PerfFiles.newTempDir("read-");
        log = SegmentedLog.open(new LogConfig()
            .directory(dir)
            .fsyncPolicy(FsyncPolicy.INTERVAL)
            .logger(new QuietLogger())
            .conclude());
        final BatchBuilder builder = new BatchBuilder(PerfFiles.batchCapacity(RECORDS_PER_BATCH, VALUE_BYTES));
        final int batchLength = PerfFiles.buildBatch(builder, RECORDS_PER_BATCH, VALUE_BYTES,
            new UnsafeBuffer(new byte[PerfFiles.KEY_BYTES]), PerfFiles.patternValue(VALUE_BYTES));
        final long target = (long)fillMiB * 1024 * 1024;
        long written = 0;
        while (written < target)
        {
            log.appendAsLeader(builder.buffer(), 0, batchLength);
            written += batchLength;
        }
        log.flush();
        System.out.println("# filled " + written + " bytes in " + log.segmentCount() + " segments, " +
            log.logEndOffset() + " records, batch " + batchLength + " bytes");

        readBuffer = ByteBuffer.allocateDirect(READ_BYTES);
        readView = new UnsafeBuffer(readBuffer);
        devNull = FileChannel.open(Paths.get("/dev/null"), StandardOpenOption.WRITE);
        nextOffset = log.logStartOffset();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException
    {
        if (null != devNull)
        {
            devNull.close();
        }
        if (null != log)
        {
            log.close();
        }
        PerfFiles.deleteRecursively(dir);
    }

    @Benchmark
    public int readCopy(final Counters counters)
    {
        final ByteBuffer buffer = readBuffer;
        buffer.clear();
        final int bytes = log.read(nextOffset, READ_BYTES, buffer);
        if (0 == bytes)
        {
            nextOffset = log.logStartOffset();
            return 0;
        }
        // Whole batches were copied: the last one's header gives the next offset to read.
        final UnsafeBuffer view = readView;
        int position = 0;
        long next = nextOffset;
        while (position < bytes)
        {
            next = BatchDescriptor.nextOffset(view, position);
            position += BatchDescriptor.length(view, position);
        }
        nextOffset = next;
        counters.bytes += bytes;
        return bytes;
    }

    @Benchmark
    public long transferToDevNull(final Counters counters)
    {
        final LogSlice slice = log.slice(nextOffset, READ_BYTES);
        if (slice.isEmpty())
        {
            nextOffset = log.logStartOffset();
            return 0;
        }
        final long sent = log.transferTo(slice, devNull);
        if (sent != slice.lengthBytes())
        {
            throw new UncheckedIOException(new IOException("transferTo sent " + sent + " of " + slice));
        }
        nextOffset = slice.nextOffset();
        counters.bytes += sent;
        return sent;
    }
}
