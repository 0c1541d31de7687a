package io.logship.perf;

import io.logship.format.BatchBuilder;
import io.logship.format.BatchDescriptor;
import io.logship.format.RecordType;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * CPU cost of the batch format, no I/O: {@link #build} encodes a batch of 512 records (8 B key +
 * 100 B value) with {@code BatchBuilder} (reset, 512 puts, header + CRC32C); {@link #validate} runs
 * {@code BatchDescriptor.validate} (header checks + CRC32C over the whole batch) on the built batch,
 * as a follower or a reader does. Primary score: batches/s; secondary {@code bytes} and
 * {@code records} ({@link Counters}): bytes/s and records/s.
 *
 * <p>Run:
 * <pre>
 * java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -jar perf/target/benchmarks.jar BatchCodecBenchmark \
 *     -f 1 -wi 3 -i 5 -prof gc
 * </pre>
 * Smoke test:
 * <pre>
 * java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -jar perf/target/benchmarks.jar BatchCodecBenchmark \
 *     -f 1 -wi 1 -i 1 -w 1s -r 1s -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
public class BatchCodecBenchmark
{
    static final int RECORDS = 512;
    static final int VALUE_BYTES = 100;

    private BatchBuilder builder;
    private UnsafeBuffer key;
    private UnsafeBuffer value;
    private BatchBuilder built;
    private int builtLength;

    /** Secondary results: bytes/s and records/s. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Counters
    {
        public long bytes;
        public long records;

        @Setup(Level.Iteration)
        public void reset()
        {
            bytes = 0;
            records = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp()
    {
        builder = new BatchBuilder(PerfFiles.batchCapacity(RECORDS, VALUE_BYTES));
        key = new UnsafeBuffer(new byte[PerfFiles.KEY_BYTES]);
        value = PerfFiles.patternValue(VALUE_BYTES);
        built = new BatchBuilder(PerfFiles.batchCapacity(RECORDS, VALUE_BYTES));
        builtLength = PerfFiles.buildBatch(built, RECORDS, VALUE_BYTES, key, value);
    }

    @Benchmark
    public int build(final Counters counters)
    {
        final BatchBuilder builder = this.builder;
        final UnsafeBuffer key = this.key;
        final UnsafeBuffer value = this.value;
        builder.reset(1, 0);
        for (int i = 0; i < RECORDS; i++)
        {
            key.putLong(0, i, BatchDescriptor.BYTE_ORDER);
            builder.append(RecordType.PUT, false, 0, 0, key, 0, PerfFiles.KEY_BYTES, value, 0, VALUE_BYTES);
        }
        final int length = builder.build();
        counters.bytes += length;
        counters.records += RECORDS;
        return length;
    }

    @Benchmark
    public String validate(final Counters counters)
    {
        final String problem = BatchDescriptor.validate(built.buffer(), 0, builtLength);
        if (null != problem)
        {
            throw new IllegalStateException(problem);
        }
        counters.bytes += builtLength;
        counters.records += RECORDS;
        return problem;
    }
}
