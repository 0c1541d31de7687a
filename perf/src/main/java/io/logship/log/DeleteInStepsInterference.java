package io.logship.log;

import io.logship.perf.FsyncingAppender;
import io.logship.perf.PerfFiles;
import io.logship.perf.RoundMedians;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * What deleting a large file (a 128 MiB segment by retention, a snapshot of hundreds of MB) does to the fsyncs of a
 * log on the same disk, deleted at once or by {@link FileReaper} in steps (docs/DESIGN.md#deleting-in-steps): a
 * thread appends and fsyncs once a millisecond ({@link FsyncingAppender}) while this one deletes a written, fsynced
 * file. Prints, per way of deleting, the appender's fsync p99, p99.9 and max from the deletion's start to 2 s after
 * its end, the deleting thread's longest single call (the unlink, or one step) and the whole deletion's time: the
 * median of the rounds with the min-max. Steps run back to back, as the apply thread takes them when it has nothing
 * else to do.
 *
 * <p>A plain program, not a JMH benchmark: the figure is another thread's latency while this one deletes. Run it
 * alone on the machine, with a directory on the disk under test:
 * {@code java -cp perf/target/benchmarks.jar io.logship.log.DeleteInStepsInterference DIR [MB] [rounds]
 * [unlink | step MiB | step MiB@gap ms ...]} (default: a 300 MB file, 3 rounds, unlink against steps of FileReaper.DEFAULT_STEP_BYTES).
 */
public final class DeleteInStepsInterference
{
    private static final String UNLINK = "unlink";

    private DeleteInStepsInterference()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final Path dir = Path.of(args[0]);
        final long fileMb = args.length > 1 ? Long.parseLong(args[1]) : 300;
        final int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        final List<String> modes = new ArrayList<>(Arrays.asList(args).subList(Math.min(3, args.length), args.length));
        if (modes.isEmpty())
        {
            modes.add(UNLINK);
            modes.add(Long.toString(FileReaper.DEFAULT_STEP_BYTES >> 20));
        }
        Files.createDirectories(dir);
        System.out.printf("deleting a %d MB file beside a log fsynced once a millisecond, %d rounds per way, " +
            "rounds interleaved; ms: median of rounds (min-max)%n", fileMb, rounds);
        final double[][][] results = new double[modes.size()][rounds][];
        for (int round = 0; round < rounds; round++)
        {
            for (int m = 0; m < modes.size(); m++)
            {
                results[m][round] = round(dir, fileMb << 20, modes.get(m));
            }
        }
        final String[] names = {"fsync p99", "p99.9", "max", "longest call", "deletion"};
        for (int m = 0; m < modes.size(); m++)
        {
            final String label = UNLINK.equals(modes.get(m)) ? "unlink at once:" :
                "steps of " + modes.get(m).replace("@", " MiB, one per ") + (modes.get(m).contains("@") ? " ms:" :
                " MiB:");
            System.out.println(RoundMedians.line(label, names, results[m]));
        }
    }

    private static double[] round(final Path dir, final long bytes, final String mode) throws Exception
    {
        final Path roundDir = Files.createTempDirectory(dir, "round");
        final FsyncingAppender appender = new FsyncingAppender(roundDir.resolve("log"));
        final Thread thread = new Thread(appender, "log-fsync");
        thread.start();
        try
        {
            final Path file = writeFile(roundDir.resolve("00000000000000000000.log"), bytes);
            LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(2)); // the write-back of the file has settled
            final Histogram fsyncNs = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
            appender.record(fsyncNs);
            long longestNs = 0;
            final long startNs = System.nanoTime();
            if (UNLINK.equals(mode))
            {
                Files.delete(file);
                longestNs = System.nanoTime() - startNs;
            }
            else
            {
                // "S" is steps of S MiB back to back; "S@G" one step of S MiB every G ms at most.
                final String[] parts = mode.split("@");
                final FileReaper reaper = new FileReaper(Long.parseLong(parts[0]) << 20);
                final long gapNs = parts.length > 1 ? TimeUnit.MILLISECONDS.toNanos(Long.parseLong(parts[1])) : 0;
                reaper.retire(file);
                reaper.fsyncDirectory(roundDir);
                while (true)
                {
                    final long callNs = System.nanoTime();
                    final boolean freed = reaper.step();
                    longestNs = Math.max(longestNs, System.nanoTime() - callNs);
                    if (!freed)
                    {
                        break;
                    }
                    final long waitNs = callNs + gapNs - System.nanoTime();
                    if (waitNs > 0)
                    {
                        LockSupport.parkNanos(waitNs);
                    }
                }
            }
            final long deletionNs = System.nanoTime() - startNs;
            LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(2));
            appender.record(null);
            appender.throwIfFailed();
            return new double[] {fsyncNs.getValueAtPercentile(99) / 1e6, fsyncNs.getValueAtPercentile(99.9) / 1e6,
                fsyncNs.getMaxValue() / 1e6, longestNs / 1e6, deletionNs / 1e6};
        }
        finally
        {
            appender.stop();
            thread.join();
            PerfFiles.deleteRecursively(roundDir);
        }
    }

    private static Path writeFile(final Path file, final long bytes) throws IOException
    {
        final ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
        final byte[] random = new byte[1 << 20];
        new SplittableRandom(42).nextBytes(random);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE))
        {
            for (long written = 0; written < bytes; written += chunk.capacity())
            {
                chunk.clear().put(random).flip();
                while (chunk.hasRemaining())
                {
                    channel.write(chunk);
                }
            }
            channel.force(true);
        }
        return file;
    }
}
