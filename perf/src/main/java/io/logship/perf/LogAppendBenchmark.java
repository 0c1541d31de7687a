package io.logship.perf;

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

import java.util.concurrent.TimeUnit;

/**
 * Append throughput of {@code SegmentedLog.appendAsLeader}: one op appends one pre-built batch of
 * {@code recordsPerBatch} records (8 B key + {@code valueBytes} value each) to a log in a fresh
 * temporary directory (one per iteration, deleted after it). The batch is built once with
 * {@code BatchBuilder}; the log re-stamps its base offset on every append, so the same bytes are
 * appended each time and the measured path is header check + write (+ fsync by policy).
 *
 * <p>{@code fsync}: {@code ALWAYS} (fsync per batch), {@code INTERVAL} (every 50 ms), {@code NONE}
 * (no fsync during the measurement: INTERVAL with a 60 s interval, see {@link FsyncMode#NONE}).
 *
 * <p>Results: the primary score is batches/s; the {@code batchBytes} and {@code records} secondary
 * scores ({@link Counters}) are bytes/s of batch bytes and records/s. The setup also prints the
 * batch length (bytes/s = ops/s × batch length). For fsync latency percentiles see
 * {@link LogAppendLatencyBenchmark}.
 *
 * <p>Run (full matrix: 18 cases × 80 s, about 26 min; add {@code -p fsync=NONE} etc. to narrow it):
 * <pre>
 * java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -jar perf/target/benchmarks.jar LogAppendBenchmark \
 *     -f 1 -wi 3 -i 5 -prof gc -jvmArgsAppend -Dlogship.perf.dir=/work/perf-tmp
 * </pre>
 * Smoke test (proves it works, numbers meaningless):
 * <pre>
 * java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -jar perf/target/benchmarks.jar LogAppendBenchmark \
 *     -f 1 -wi 1 -i 1 -w 1s -r 1s -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 10)
@Measurement(iterations = 5, time = 10)
public class LogAppendBenchmark
{
    @Param({"100", "1024"})
    public int valueBytes;

    @Param({"1", "64", "512"})
    public int recordsPerBatch;

    @Param({"ALWAYS", "INTERVAL", "NONE"})
    public FsyncMode fsync;

    private AppendFixture fixture;

    /** Secondary results: per second in Throughput mode (bytes/s of batch bytes, records/s). */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Counters
    {
        public long batchBytes;
        public long records;

        @Setup(Level.Iteration)
        public void reset()
        {
            batchBytes = 0;
            records = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp()
    {
        fixture = new AppendFixture("append", valueBytes, recordsPerBatch, fsync);
    }

    @Setup(Level.Iteration)
    public void openLog()
    {
        fixture.openFreshLog();
    }

    @TearDown(Level.Iteration)
    public void closeLog()
    {
        fixture.closeAndDeleteLog();
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        fixture.deleteAll();
    }

    @Benchmark
    public long append(final Counters counters)
    {
        final long baseOffset = fixture.append();
        counters.batchBytes += fixture.batchLength();
        counters.records += fixture.recordsPerBatch();
        return baseOffset;
    }
}
