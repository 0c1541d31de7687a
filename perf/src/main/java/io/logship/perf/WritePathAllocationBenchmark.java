package io.logship.perf;

import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import io.logship.format.BatchBuilder;
import io.logship.format.BatchDescriptor;
import io.logship.format.RecordDescriptor;
import io.logship.node.InProcessPair;
import io.logship.transport.BoundedPublisher;
import io.logship.transport.TransportStream;
import io.logship.transport.codec.AckLevel;
import io.logship.transport.codec.ConnectEncoder;
import io.logship.transport.codec.ConnectResponseDecoder;
import io.logship.transport.codec.MessageHeaderDecoder;
import io.logship.transport.codec.MessageHeaderEncoder;
import io.logship.transport.codec.RecordType;
import io.logship.transport.codec.Status;
import io.logship.transport.codec.WriteBatchRequestEncoder;
import io.logship.transport.codec.WriteLogBatchEncoder;
import io.logship.transport.codec.WriteResponseDecoder;
import org.agrona.ExpandableArrayBuffer;
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

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Allocation of the replicated write path, per record, in one process: a client batch of
 * {@value #RECORDS_PER_BATCH} records (100-byte values, 12-byte keys, ack level {@code quorum}), encoded as the
 * client's {@code IngressPublisher} does ({@code encoding=log}: a WriteLogBatch in the log's own format, what the
 * client sends; {@code encoding=sbe}: the WriteBatchRequest it sent before, which nodes still take), goes through two real nodes ({@link InProcessPair}: each its production
 * {@code NodeAgent}, transport with an embedded media driver on loopback, log, journal handler and flusher) until
 * the leader's WriteResponse is back. One op is one client batch; scores are per record
 * ({@code @OperationsPerInvocation}).
 *
 * <p>Run with {@code -prof gc}: {@code gc.alloc.rate.norm} is every thread of the JVM (both nodes' conductors,
 * the benchmark thread that runs them, the media drivers, the flushers) per record. Each iteration also prints
 * what the benchmark thread allocated inside each node's duty cycle alone (leader: client ingress, validation,
 * de-duplication, ring, journal append, replication send with its HMAC, ack handling, response; follower:
 * replication receive with its HMAC check, append, ack) per record, measured with the thread's allocation
 * counter, and how long the duty cycles that did work took, per record: the leader's includes its journal
 * (batch build, CRC32C, append). That is the write path's own CPU on each node, free of the waits for the media
 * drivers that make this benchmark's µs/op mean little. The store's apply is not run (see
 * {@code StoreApplyBenchmark}).
 *
 * <p>Run: {@code java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -jar perf/target/benchmarks.jar
 * WritePathAllocationBenchmark -prof gc -jvmArgsAppend -Dlogship.perf.dir=/work/perf-tmp}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 3, time = 5)
public class WritePathAllocationBenchmark
{
    static final int RECORDS_PER_BATCH = 64;
    private static final long CLIENT_ID = 4242;
    private static final int RESPONSE_STREAM_ID = 7001;
    private static final long RESPONSE_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);
    private static final int KEY_BYTES = 12;

    /** {@code logship.log.fsync} of both nodes. */
    @Param({"interval", "always"})
    public String fsync;

    @Param({"100"})
    public int valueBytes;

    /** How the client encodes its batch: {@code log} (WriteLogBatch, the client's) or {@code sbe} (WriteBatchRequest). */
    @Param({"log", "sbe"})
    public String encoding;

    private final com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
    private Path dir;
    private InProcessPair pair;
    private InProcessPair.Member leader;
    private InProcessPair.Member follower;
    private BoundedPublisher ingress;
    private Subscription responses;
    private final ExpandableArrayBuffer sendBuffer = new ExpandableArrayBuffer(64 * 1024);
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final WriteBatchRequestEncoder batchEncoder = new WriteBatchRequestEncoder();
    private final WriteLogBatchEncoder logBatchEncoder = new WriteLogBatchEncoder();
    private final UnsafeBuffer logBatchView = new UnsafeBuffer(0, 0);
    private final BatchBuilder logBatch = new BatchBuilder(logBatchView);
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final WriteResponseDecoder writeResponse = new WriteResponseDecoder();
    private final FragmentHandler onResponse = this::onResponse;
    private final UnsafeBuffer key = new UnsafeBuffer(new byte[KEY_BYTES]);
    private UnsafeBuffer value;
    private long correlationId;
    private long nextSequence = 1;
    private boolean connected;
    private long answeredCorrelationId;
    private Status answeredStatus;

    private long leaderBytes;
    private long followerBytes;
    private long leaderBusyNs;
    private long followerBusyNs;
    private long records;

    @Setup(Level.Trial)
    public void setUp()
    {
        dir = PerfFiles.newTempDir("write-path");
        value = new UnsafeBuffer(new byte[valueBytes]);
        pair = new InProcessPair(dir, freePort(), freePort(), fsync);
        leader = pair.leader();
        follower = pair.follower();
        pair.awaitReplicating(30_000);
        ingress = leader.transport().addPublisher("127.0.0.1", leader.config().self().port(),
            TransportStream.CLIENT_INGRESS, "benchmark-client");
        responses = leader.transport().aeron().addSubscription("aeron:ipc", RESPONSE_STREAM_ID);
        final ConnectEncoder connect = new ConnectEncoder();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        long nextConnectNs = 0;
        while (!connected)
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new IllegalStateException("the leader did not answer the benchmark client's Connect in 30 s");
            }
            if (System.nanoTime() - nextConnectNs > 0)
            {
                nextConnectNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
                connect.wrapAndApplyHeader(sendBuffer, 0, headerEncoder).clientId(CLIENT_ID)
                    .responseStreamId(RESPONSE_STREAM_ID).responseChannel("aeron:ipc");
                ingress.offer(connect);
            }
            runDutyCycles();
            responses.poll(onResponse, 16);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        org.agrona.CloseHelper.closeAll(responses, ingress, pair);
        PerfFiles.deleteRecursively(dir);
    }

    @Setup(Level.Iteration)
    public void startCounting()
    {
        leaderBytes = 0;
        followerBytes = 0;
        leaderBusyNs = 0;
        followerBusyNs = 0;
        records = 0;
    }

    @TearDown(Level.Iteration)
    public void printPerNode()
    {
        if (records > 0)
        {
            System.out.printf("%n# duty-cycle allocation per record on the benchmark thread: leader %.2f B, " +
                "follower %.2f B (%d records)%n", (double)leaderBytes / records, (double)followerBytes / records, records);
            System.out.printf("# duty cycles that did work, per record: leader %.0f ns, follower %.0f ns (encoding %s)%n",
                (double)leaderBusyNs / records, (double)followerBusyNs / records, encoding);
        }
    }

    /** One client batch, from the client's encoding to the leader's quorum answer. */
    @Benchmark
    @OperationsPerInvocation(RECORDS_PER_BATCH)
    public long writeBatchQuorum()
    {
        final long id = ++correlationId;
        final int length = "log".equals(encoding) ? encodeLogBatch(id) : encodeBatchRequest(id);
        nextSequence += RECORDS_PER_BATCH;
        if (!ingress.offer(headerEncoder.buffer(), 0, length).isSent())
        {
            throw new IllegalStateException("the client's batch " + id + " was not sent");
        }
        final long deadline = System.nanoTime() + RESPONSE_TIMEOUT_NS;
        while (answeredCorrelationId != id)
        {
            if (runDutyCycles() + responses.poll(onResponse, 16) == 0)
            {
                if (System.nanoTime() - deadline > 0)
                {
                    throw new IllegalStateException("no answer to batch " + id + " within 10 s");
                }
                Thread.onSpinWait();
            }
        }
        if (answeredStatus != Status.OK)
        {
            throw new IllegalStateException("batch " + id + " answered " + answeredStatus);
        }
        records += RECORDS_PER_BATCH;
        return leader.logEndOffset();
    }

    /** As the client's {@code IngressPublisher} does: the batch built in the log's format inside the message. */
    private int encodeLogBatch(final long id)
    {
        logBatchEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
            .correlationId(id)
            .clientId(CLIENT_ID)
            .firstSequence(nextSequence)
            .timeoutMs(10_000)
            .ackLevel(AckLevel.QUORUM);
        final int length = BatchDescriptor.HEADER_LENGTH +
            RECORDS_PER_BATCH * RecordDescriptor.recordLength(KEY_BYTES, valueBytes, true);
        final int lengthAt = logBatchEncoder.limit();
        final int batchAt = lengthAt + WriteLogBatchEncoder.batchHeaderLength();
        sendBuffer.checkLimit(batchAt + length);
        logBatchView.wrap(sendBuffer, batchAt, length);
        logBatch.reset(0, System.currentTimeMillis());
        for (int i = 0; i < RECORDS_PER_BATCH; i++)
        {
            key.putLong(0, nextSequence + i);
            logBatch.append(io.logship.format.RecordType.PUT, true, CLIENT_ID, nextSequence + i, key, 0, KEY_BYTES,
                value, 0, valueBytes);
        }
        logBatch.build();
        sendBuffer.putInt(lengthAt, length, java.nio.ByteOrder.LITTLE_ENDIAN);
        logBatchEncoder.limit(batchAt + length);
        return MessageHeaderEncoder.ENCODED_LENGTH + logBatchEncoder.encodedLength();
    }

    private int encodeBatchRequest(final long id)
    {
        final WriteBatchRequestEncoder.RecordsEncoder encoder = batchEncoder.wrapAndApplyHeader(sendBuffer, 0,
            headerEncoder)
            .correlationId(id)
            .clientId(CLIENT_ID)
            .firstSequence(nextSequence)
            .timeoutMs(10_000)
            .ackLevel(AckLevel.QUORUM)
            .recordsCount(RECORDS_PER_BATCH);
        for (int i = 0; i < RECORDS_PER_BATCH; i++)
        {
            key.putLong(0, nextSequence + i);
            encoder.next().recordType(RecordType.PUT).putKey(key, 0, KEY_BYTES).putValue(value, 0, valueBytes);
        }
        return MessageHeaderEncoder.ENCODED_LENGTH + batchEncoder.encodedLength();
    }

    private int runDutyCycles()
    {
        final long start = threads.getCurrentThreadAllocatedBytes();
        final long startNs = System.nanoTime();
        final int leaderWork = leader.doWork();
        final long afterLeaderNs = System.nanoTime();
        final long afterLeader = threads.getCurrentThreadAllocatedBytes();
        final long beforeFollowerNs = System.nanoTime();
        final int followerWork = follower.doWork();
        final long afterFollowerNs = System.nanoTime();
        final long afterFollower = threads.getCurrentThreadAllocatedBytes();
        leaderBytes += afterLeader - start;
        followerBytes += afterFollower - afterLeader;
        if (leaderWork > 0)
        {
            leaderBusyNs += afterLeaderNs - startNs;
        }
        if (followerWork > 0)
        {
            followerBusyNs += afterFollowerNs - beforeFollowerNs;
        }
        return leaderWork + followerWork;
    }

    private void onResponse(final org.agrona.DirectBuffer buffer, final int offset, final int length,
        final io.aeron.logbuffer.Header header)
    {
        headerDecoder.wrap(buffer, offset);
        final int templateId = headerDecoder.templateId();
        if (templateId == ConnectResponseDecoder.TEMPLATE_ID)
        {
            connected = true;
        }
        else if (templateId == WriteResponseDecoder.TEMPLATE_ID)
        {
            writeResponse.wrap(buffer, offset + MessageHeaderDecoder.ENCODED_LENGTH, headerDecoder.blockLength(),
                headerDecoder.version());
            answeredStatus = writeResponse.status();
            answeredCorrelationId = writeResponse.correlationId();
        }
    }

    private static int freePort()
    {
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
