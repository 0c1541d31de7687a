package io.logship.perf;

import io.logship.log.AtomicFile;
import io.logship.log.NodeStateFile;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Latency of one durable node-state write, as a distribution (Mode.SampleTime): what an election waits for at a
 * voter (its grant is durable before it is sent) and at the candidate. {@code way=replace} is how every write was
 * made before 2026-12-08 ({@link AtomicFile}: temp file, fsync, rename, directory fsync); {@code way=inPlace} is
 * {@link NodeStateFile#write} after its first write (the same bytes overwritten in place, fdatasync).
 * {@code loadThreads} threads append 64 KiB and fsync in a loop meanwhile, each to files of its own in the same
 * directory (a new one every 64 MiB), as the nodes' logs keep the disk busy under fsync {@code always}.
 *
 * <p>Run (perf/README.md, "Node-state in place"):
 * <pre>
 * java -jar perf/target/benchmarks.jar NodeStateWriteBenchmark -f 1 -wi 2 -w 5s -i 3 -r 10s \
 *     -jvmArgsAppend -Dlogship.perf.dir=/work/perf-tmp
 * </pre>
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx256m"})
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 10)
public class NodeStateWriteBenchmark
{
    /** Each load thread rolls to a new file at this size, as a log rolls its segments: appends that allocate. */
    private static final int LOAD_FILE_BYTES = 64 << 20;

    @Param({"replace", "inPlace"})
    public String way;

    @Param({"0", "2"})
    public int loadThreads;

    private Path dir;
    private NodeStateFile file;
    private Path target;
    private long epoch;
    private volatile boolean loadRunning;
    private final List<Thread> load = new ArrayList<>();

    @Setup(Level.Trial)
    public void setUp()
    {
        dir = PerfFiles.newTempDir("node-state");
        target = dir.resolve("node-state");
        file = new NodeStateFile(target);
        file.write(new NodeStateFile.State(++epoch, NodeStateFile.NONE, 1)); // the whole write an instance starts with
        loadRunning = true;
        for (int i = 0; i < loadThreads; i++)
        {
            final Path loadFile = dir.resolve("load-" + i);
            final Thread thread = new Thread(() -> appendAndForce(loadFile), "fsync-load-" + i);
            thread.setDaemon(true);
            thread.start();
            load.add(thread);
        }
    }

    private void appendAndForce(final Path loadFile)
    {
        final ByteBuffer chunk = ByteBuffer.allocateDirect(64 * 1024);
        try
        {
            while (loadRunning)
            {
                // Overwriting a file's existing blocks would need no metadata and commit no journal, unlike a log:
                // a new file each time (bounded disk use: the old one is deleted first).
                Files.deleteIfExists(loadFile);
                try (FileChannel channel = FileChannel.open(loadFile, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE))
                {
                    for (long position = 0; loadRunning && position < LOAD_FILE_BYTES; )
                    {
                        chunk.clear();
                        position += channel.write(chunk, position);
                        channel.force(false);
                    }
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException
    {
        loadRunning = false;
        for (final Thread thread : load)
        {
            thread.join();
        }
        PerfFiles.deleteRecursively(dir);
    }

    @Benchmark
    public long write() throws IOException
    {
        final NodeStateFile.State state = new NodeStateFile.State(++epoch, NodeStateFile.NONE, 1);
        if ("replace".equals(way))
        {
            AtomicFile.write(target, NodeStateFile.format(state));
        }
        else
        {
            file.write(state);
        }
        return epoch;
    }
}
