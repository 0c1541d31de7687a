package io.logship.perf;

import io.logship.kv.KeyValueStore;
import io.logship.kv.SnapshotStore;
import io.logship.format.BatchBuilder;
import io.logship.format.BatchDescriptor;
import io.logship.format.RecordType;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Store apply throughput ({@code KeyValueStore.apply}) in records/s, sustained: the store is first
 * filled with {@code keys} distinct keys (so every measured put updates a populated hash tree, as in a
 * long-running node), then each op applies one batch of {@value #RECORDS_PER_BATCH} records: 12..20-byte
 * keys drawn from the key space, 100-byte values, 5 % DELETEs, every record idempotent from one client
 * (as the leader writes them). Batches are pre-built in a ring of 64 and re-stamped with the next base
 * offset, so the measured path is the store's, not batch building.
 *
 * <p>Run: {@code java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -jar perf/target/benchmarks.jar
 * StoreApplyBenchmark -f 1 -wi 3 -i 5 -prof gc -jvmArgsAppend -Dlogship.perf.dir=/work/perf-tmp}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xms2g", "-Xmx2g"})
@Warmup(iterations = 3, time = 10)
@Measurement(iterations = 5, time = 10)
public class StoreApplyBenchmark
{
    static final int RECORDS_PER_BATCH = 256;
    private static final int PREBUILT = 64;

    @Param({"1000000"})
    public int keys;

    private Path dir;
    private KeyValueStore store;
    private final UnsafeBuffer[] batches = new UnsafeBuffer[PREBUILT];
    private int next;

    @Setup(Level.Trial)
    public void setUp()
    {
        dir = PerfFiles.newTempDir("store-apply");
        store = KeyValueStore.open(dir.resolve("store"), new SnapshotStore(dir.resolve("snapshots"), 2));
        final SplittableRandom random = new SplittableRandom(42);
        final BatchBuilder builder = new BatchBuilder(RECORDS_PER_BATCH * 160 + 64);
        final byte[] value = new byte[100];
        long sequence = 0;
        for (int b = 0; b < PREBUILT; b++)
        {
            builder.reset(1, System.currentTimeMillis());
            for (int r = 0; r < RECORDS_PER_BATCH; r++)
            {
                final byte[] key = key(random.nextInt(keys));
                random.nextBytes(value);
                final UnsafeBuffer keyBuffer = new UnsafeBuffer(key);
                final boolean delete = random.nextInt(100) < 5;
                builder.append(delete ? RecordType.DELETE : RecordType.PUT, true, 7, ++sequence,
                    keyBuffer, 0, key.length, new UnsafeBuffer(value), 0, delete ? 0 : value.length);
            }
            final int length = builder.build();
            final byte[] copy = new byte[length];
            builder.buffer().getBytes(0, copy);
            batches[b] = new UnsafeBuffer(copy);
        }
        // Fill: every key present once, in batches, so the measured updates hit a populated store.
        builder.reset(1, System.currentTimeMillis());
        for (int k = 0; k < keys; k++)
        {
            final byte[] key = key(k);
            if (!builder.put(key, value))
            {
                applyBuilt(builder);
                builder.reset(1, System.currentTimeMillis());
                builder.put(key, value);
            }
        }
        applyBuilt(builder);
    }

    private void applyBuilt(final BatchBuilder builder)
    {
        builder.build();
        BatchDescriptor.baseOffset(builder.buffer(), 0, store.appliedOffset());
        store.apply(builder.buffer(), 0);
    }

    private static byte[] key(final int k)
    {
        // 12..20 bytes: "key-" + zero-padded index, padded by a length that varies with the index.
        final String base = "key-" + k;
        final StringBuilder padded = new StringBuilder(base);
        while (padded.length() < 12 + (k % 9))
        {
            padded.append('.');
        }
        return padded.toString().getBytes(StandardCharsets.US_ASCII);
    }

    @Benchmark
    @OperationsPerInvocation(RECORDS_PER_BATCH)
    public long apply()
    {
        final UnsafeBuffer batch = batches[next];
        next = (next + 1) % PREBUILT;
        BatchDescriptor.baseOffset(batch, 0, store.appliedOffset());
        store.apply(batch, 0);
        return store.appliedOffset();
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        store.close();
        PerfFiles.deleteRecursively(dir);
    }
}
