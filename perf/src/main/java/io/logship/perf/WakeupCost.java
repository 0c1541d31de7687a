package io.logship.perf;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * What it costs a thread to wait and be woken on this machine: the CPU time (user and kernel, from the JVM's
 * per-thread CPU clock) and the wall time of one {@code parkNanos} of a given length, of one {@code Thread.yield},
 * and of waking for one datagram, whether the waiting thread polls with short parks (as an Aeron duty thread does)
 * or blocks in a selector until the datagram arrives (as an event-driven server does). Every idle strategy of the
 * node and the client pays one of these per idle round, and a write crosses about a dozen thread hand-offs in a
 * co-resident cluster, so these figures bound how much CPU a write costs at moderate rates, where every hand-off
 * is a wake-up (perf/README.md, "What a wake-up costs").
 *
 * <p>A plain program, not a JMH benchmark: JMH scores wall time per operation, and the figure wanted here is the
 * waiting thread's CPU time. Run it alone on the machine:
 * {@code java -cp perf/target/benchmarks.jar io.logship.perf.WakeupCost}. Datagrams go to and from 127.0.0.1 only.
 */
public final class WakeupCost
{
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final int PARKS = 20_000;
    private static final int DATAGRAMS = 10_000;

    private WakeupCost()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        System.out.println("what one wait costs the waiting thread: median of 3 rounds (min-max)");
        for (final long parkNs : new long[] {1_000, 50_000, 200_000, 1_000_000})
        {
            report("parkNanos(" + parkNs / 1000 + " us), per park", () -> parks(parkNs));
        }
        report("Thread.yield(), per yield", WakeupCost::yields);
        for (final long gapUs : new long[] {100, 1_000})
        {
            report("one datagram every " + gapUs + " us, receiver polling with 50 us parks, per datagram",
                () -> datagrams(gapUs, false));
            report("one datagram every " + gapUs + " us, receiver blocked in a selector, per datagram",
                () -> datagrams(gapUs, true));
        }
    }

    /** One measurement: CPU time and wall time per operation, in nanoseconds. */
    private record Cost(double cpuNs, double wallNs)
    {
    }

    private interface Measurement
    {
        Cost run() throws Exception;
    }

    private static void report(final String what, final Measurement measurement) throws Exception
    {
        measurement.run(); // warm-up round, not reported
        final Cost[] rounds = new Cost[3];
        for (int i = 0; i < rounds.length; i++)
        {
            rounds[i] = measurement.run();
        }
        java.util.Arrays.sort(rounds, java.util.Comparator.comparingDouble(Cost::cpuNs));
        System.out.printf("%-90s cpu %6.2f us (%.2f-%.2f), wall %7.1f us%n", what, rounds[1].cpuNs() / 1e3,
            rounds[0].cpuNs() / 1e3, rounds[2].cpuNs() / 1e3, rounds[1].wallNs() / 1e3);
    }

    private static Cost parks(final long parkNs)
    {
        final int count = parkNs >= 1_000_000 ? PARKS / 10 : PARKS;
        final long cpu0 = THREADS.getCurrentThreadCpuTime();
        final long wall0 = System.nanoTime();
        for (int i = 0; i < count; i++)
        {
            LockSupport.parkNanos(parkNs);
        }
        return new Cost((THREADS.getCurrentThreadCpuTime() - cpu0) / (double)count,
            (System.nanoTime() - wall0) / (double)count);
    }

    private static Cost yields()
    {
        final int count = PARKS * 10;
        final long cpu0 = THREADS.getCurrentThreadCpuTime();
        final long wall0 = System.nanoTime();
        for (int i = 0; i < count; i++)
        {
            Thread.yield();
        }
        return new Cost((THREADS.getCurrentThreadCpuTime() - cpu0) / (double)count,
            (System.nanoTime() - wall0) / (double)count);
    }

    /**
     * A sender thread sends one 128-byte datagram every {@code gapUs} (spinning between sends, so that its own
     * waits do not disturb the receiver's); the receiver reads them non-blocking and, when none is there, either
     * parks 50 µs or blocks in a selector. Its CPU time is divided by the datagrams received.
     */
    private static Cost datagrams(final long gapUs, final boolean selector) throws Exception
    {
        try (DatagramChannel receiver = DatagramChannel.open();
            DatagramChannel sender = DatagramChannel.open();
            Selector readable = Selector.open())
        {
            receiver.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            receiver.configureBlocking(false);
            receiver.register(readable, SelectionKey.OP_READ);
            sender.connect(receiver.getLocalAddress());
            final long gapNs = TimeUnit.MICROSECONDS.toNanos(gapUs);
            final Thread sending = new Thread(() -> send(sender, gapNs), "wakeup-cost-sender");
            final ByteBuffer in = ByteBuffer.allocateDirect(2048);
            sending.start();
            final long cpu0 = THREADS.getCurrentThreadCpuTime();
            final long wall0 = System.nanoTime();
            int received = 0;
            long giveUpNs = Long.MAX_VALUE;
            while (received < DATAGRAMS && System.nanoTime() < giveUpNs)
            {
                if (giveUpNs == Long.MAX_VALUE && !sending.isAlive())
                {
                    giveUpNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(1); // a datagram lost: do not wait forever
                }
                in.clear();
                if (null != receiver.receive(in))
                {
                    received++;
                }
                else if (selector)
                {
                    readable.select((key) -> { }, 10);
                }
                else
                {
                    LockSupport.parkNanos(50_000);
                }
            }
            final Cost cost = new Cost((THREADS.getCurrentThreadCpuTime() - cpu0) / (double)Math.max(1, received),
                (System.nanoTime() - wall0) / (double)Math.max(1, received));
            sending.join();
            return cost;
        }
    }

    private static void send(final DatagramChannel sender, final long gapNs)
    {
        final ByteBuffer out = ByteBuffer.allocateDirect(128);
        try
        {
            for (int i = 0; i < DATAGRAMS; i++)
            {
                out.clear();
                sender.write(out);
                final long next = System.nanoTime() + gapNs;
                while (System.nanoTime() < next)
                {
                    Thread.onSpinWait();
                }
            }
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("sending a datagram on the loopback failed", ex);
        }
    }
}
