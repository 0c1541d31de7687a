package io.logship.perf;

import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Stands in for a log on the same disk in the interference tools: appends 1,200 bytes and fsyncs
 * ({@code force(false)}, as the log's flusher does) once a millisecond, and records each fsync's latency into the
 * histogram it is given (none: not recorded). Run it on its own thread; stop it with {@link #stop()}.
 */
public final class FsyncingAppender implements Runnable
{
    private static final long APPEND_GAP_NS = TimeUnit.MILLISECONDS.toNanos(1);

    private final Path file;
    private volatile Histogram into;
    private volatile boolean running = true;
    private volatile IOException failure;

    /** Appends to {@code file}, which must not exist yet. */
    public FsyncingAppender(final Path file)
    {
        this.file = file;
    }

    /** From now on, records fsync latencies (ns) into {@code histogram}; null stops recording. */
    public void record(final Histogram histogram)
    {
        into = histogram;
    }

    public void stop()
    {
        running = false;
    }

    /** Throws if the appender died: its histograms would be empty and read as 0 ms. */
    public void throwIfFailed() throws IOException
    {
        if (null != failure)
        {
            throw new IOException("the fsyncing appender to " + file + " stopped: " + failure, failure);
        }
    }

    @Override
    public void run()
    {
        final ByteBuffer batch = ByteBuffer.allocateDirect(1200);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE))
        {
            while (running)
            {
                batch.clear();
                while (batch.hasRemaining())
                {
                    channel.write(batch);
                }
                final long startNs = System.nanoTime();
                channel.force(false);
                final long tookNs = System.nanoTime() - startNs;
                final Histogram histogram = into;
                if (null != histogram)
                {
                    histogram.recordValue(Math.min(tookNs, histogram.getHighestTrackableValue()));
                }
                LockSupport.parkNanos(APPEND_GAP_NS);
            }
        }
        catch (final IOException ex)
        {
            failure = ex;
        }
    }
}
