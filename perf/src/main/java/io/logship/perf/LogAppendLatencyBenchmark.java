package io.logship.perf;

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
 * Latency of one {@code appendAsLeader} call with {@code fsync=ALWAYS}, i.e. write + fsync of one
 * batch, as a distribution (Mode.SampleTime): read p50/p99/p99.9 from the {@code append·p0.50},
 * {@code ·p0.99} lines. Same fixture as {@link LogAppendBenchmark} (fresh log per iteration,
 * pre-built batch, bounded disk use); {@code -p fsync=INTERVAL,NONE} gives the other policies'
 * per-append latency for comparison.
 *
 * <p>Run:
 * <pre>
 * java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -jar perf/target/benchmarks.jar LogAppendLatencyBenchmark \
 *     -f 1 -wi 3 -i 5 -jvmArgsAppend -Dlogship.perf.dir=/work/perf-tmp
 * </pre>
 * Smoke test:
 * <pre>
 * java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -jar perf/target/benchmarks.jar LogAppendLatencyBenchmark \
 *     -f 1 -wi 1 -i 1 -w 1s -r 1s
 * </pre>
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 10)
@Measurement(iterations = 5, time = 10)
public class LogAppendLatencyBenchmark
{
    @Param({"100", "1024"})
    public int valueBytes;

    @Param({"1", "64", "512"})
    public int recordsPerBatch;

    @Param({"ALWAYS"})
    public FsyncMode fsync;

    private AppendFixture fixture;

    @Setup(Level.Trial)
    public void setUp()
    {
        fixture = new AppendFixture("append-latency", valueBytes, recordsPerBatch, fsync);
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
    public long append()
    {
        return fixture.append();
    }
}
