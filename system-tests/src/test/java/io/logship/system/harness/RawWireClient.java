package io.logship.system.harness;

import io.logship.format.BatchBuilder;
import io.logship.transport.BoundedPublisher;
import io.logship.transport.Decoders;
import io.logship.transport.MessageAdapter;
import io.logship.transport.PublishResult;
import io.logship.transport.TransportContext;
import io.logship.transport.TransportNode;
import io.logship.transport.TransportStream;
import io.logship.transport.codec.AckLevel;
import io.logship.transport.codec.AppendBatchEncoder;
import io.logship.transport.codec.ConnectEncoder;
import io.logship.transport.codec.ConnectResponseDecoder;
import io.logship.transport.codec.MessageHeaderEncoder;
import io.logship.transport.codec.RecordType;
import io.logship.transport.codec.Status;
import io.logship.transport.codec.StatusRequestEncoder;
import io.logship.transport.codec.WriteBatchRequestEncoder;
import io.logship.transport.codec.WriteLogBatchEncoder;
import io.logship.transport.codec.WriteRequestEncoder;
import io.logship.transport.codec.WriteResponseDecoder;
import io.aeron.logbuffer.Header;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A client that speaks the wire protocol directly with the transport codecs, for what the Java client deliberately
 * never does: send the same (clientId, sequence) twice on purpose, or publish bytes that are not a valid message.
 * Its own embedded media driver (directory under the test's Aeron base), its own UDP endpoint, one node at a time.
 * Test thread only; close it (the cluster does not know it).
 */
public final class RawWireClient implements AutoCloseable
{
    private static final Duration WAIT = Duration.ofSeconds(15);

    private final TransportNode transport;
    private final MessageAdapter egress;
    private final String responseChannel;
    private final Decoders decoders = new Decoders();
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(2 * 1024 * 1024));
    private final Map<Long, WriteAnswer> answers = new HashMap<>();
    private final long clientId;
    private boolean connected;
    private long nextCorrelationId = 1_000_000;

    /** What a node answered to one write request of any kind ({@code recordCount} records from the offset). */
    public record WriteAnswer(Status status, long writeOffset, int epoch, AckLevel ackLevelReached, String message,
        int recordCount)
    {
    }

    public RawWireClient(final long clientId, final Path aeronDir)
    {
        this(clientId, aeronDir, null);
    }

    /**
     * With {@code clusterSecretFile}, messages it sends on authenticated streams carry a valid HMAC tag: a peer
     * impersonation, for testing what nodes do with well-signed but wrong messages (a stale epoch).
     */
    public RawWireClient(final long clientId, final Path aeronDir, final Path clusterSecretFile)
    {
        this.clientId = clientId;
        transport = TransportNode.launch(new TransportContext()
            .nodeId(-1)
            .endpointHost(TestCluster.HOST)
            .endpointPort(0)
            .aeronDirectoryName(aeronDir.toString())
            .clusterSecretFile(clusterSecretFile)
            .termLength(16 * 1024 * 1024));
        egress = transport.addAdapter(TransportStream.CLIENT_EGRESS, "raw-egress", this::onMessage);
        // Port 0: the kernel picks it as the driver binds, so no other process can take it first.
        responseChannel = transport.resolvedChannel(egress, WAIT.toMillis());
    }

    /** A publisher to a node's stream (CLIENT_INGRESS, ADMIN, REPLICATION, ...), connected or failing. */
    public BoundedPublisher publisher(final int nodePort, final TransportStream stream)
    {
        final BoundedPublisher publisher = transport.addPublisher(TestCluster.HOST, nodePort, stream, "raw-" + stream);
        if (!TransportNode.awaitConnected(publisher, WAIT.toMillis()))
        {
            throw new AssertionError("raw publication to 127.0.0.1:" + nodePort + " " + stream + " did not connect");
        }
        return publisher;
    }

    /** Sends Connect (with this client's response channel) until the node answers ConnectResponse OK. */
    public void connect(final BoundedPublisher ingress)
    {
        connected = false;
        final long deadline = System.nanoTime() + WAIT.toNanos();
        long lastSend = 0;
        while (!connected)
        {
            if (System.nanoTime() - lastSend > 1_000_000_000L)
            {
                final ConnectEncoder connect = new ConnectEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder)
                    .clientId(clientId)
                    .responseStreamId(TransportStream.CLIENT_EGRESS.streamId())
                    .responseChannel(responseChannel);
                ingress.offer(connect);
                lastSend = System.nanoTime();
            }
            egress.poll(16);
            if (System.nanoTime() > deadline)
            {
                throw new AssertionError("no ConnectResponse from the node within " + WAIT);
            }
            if (!connected)
            {
                Poll.pause();
            }
        }
    }

    /** Sends one PUT WriteRequest with the given sequence and waits for the answer to that correlation id. */
    public WriteAnswer put(final BoundedPublisher ingress, final long sequence, final byte[] key, final byte[] value)
    {
        return awaitAnswer(send(ingress, sequence, key, value));
    }

    /**
     * Sends one PUT WriteRequest (QUORUM, 5 s node timeout) with the given sequence and returns its correlation id
     * without waiting: a test that never reads the answer models a client whose reply was lost.
     */
    public long send(final BoundedPublisher ingress, final long sequence, final byte[] key, final byte[] value)
    {
        final long correlationId = nextCorrelationId++;
        final WriteRequestEncoder request = new WriteRequestEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(correlationId)
            .clientId(clientId)
            .sequence(sequence)
            .timeoutMs(5000)
            .ackLevel(AckLevel.QUORUM)
            .recordType(RecordType.PUT)
            .putKey(key, 0, key.length)
            .putValue(value, 0, value.length);
        offerUntilSent(ingress, request, "WriteRequest (sequence " + sequence + ")");
        return correlationId;
    }

    /**
     * Sends one WriteBatchRequest of PUTs (QUORUM, 5 s node timeout), sequences {@code firstSequence ..} in the order
     * of {@code keys} and {@code values}, and waits for its one answer.
     */
    public WriteAnswer putBatch(final BoundedPublisher ingress, final long firstSequence, final byte[][] keys,
        final byte[][] values)
    {
        final long correlationId = nextCorrelationId++;
        final WriteBatchRequestEncoder request = new WriteBatchRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(correlationId)
            .clientId(clientId)
            .firstSequence(firstSequence)
            .timeoutMs(5000)
            .ackLevel(AckLevel.QUORUM);
        final WriteBatchRequestEncoder.RecordsEncoder records = request.recordsCount(keys.length);
        for (int i = 0; i < keys.length; i++)
        {
            records.next().recordType(RecordType.PUT).putKey(keys[i], 0, keys[i].length)
                .putValue(values[i], 0, values[i].length);
        }
        offerUntilSent(ingress, request, "WriteBatchRequest (sequence " + firstSequence + ")");
        return awaitAnswer(correlationId);
    }

    /**
     * The PUTs as a client encodes a WriteLogBatch's batch: in the log's format, each record with {@code clientId}
     * and its sequence from {@code firstSequence}, the CRC32C set. A test may spoil the bytes before sending them.
     */
    public static byte[] logBatch(final long clientId, final long firstSequence, final byte[][] keys,
        final byte[][] values)
    {
        final UnsafeBuffer target = new UnsafeBuffer(new byte[1 << 20]);
        final BatchBuilder builder = new BatchBuilder(target).reset(0, System.currentTimeMillis());
        for (int i = 0; i < keys.length; i++)
        {
            builder.append(io.logship.format.RecordType.PUT, true, clientId, firstSequence + i,
                new UnsafeBuffer(keys[i]), 0, keys[i].length, new UnsafeBuffer(values[i]), 0, values[i].length);
        }
        final byte[] batch = new byte[builder.build()];
        target.getBytes(0, batch);
        return batch;
    }

    /** Sends one WriteLogBatch (QUORUM, 5 s node timeout) carrying {@code batch} as it is, and waits for its answer. */
    public WriteAnswer putLogBatch(final BoundedPublisher ingress, final long firstSequence, final byte[] batch)
    {
        final long correlationId = nextCorrelationId++;
        final WriteLogBatchEncoder request = new WriteLogBatchEncoder()
            .wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(correlationId)
            .clientId(clientId)
            .firstSequence(firstSequence)
            .timeoutMs(5000)
            .ackLevel(AckLevel.QUORUM)
            .putBatch(batch, 0, batch.length);
        offerUntilSent(ingress, request, "WriteLogBatch (sequence " + firstSequence + ")");
        return awaitAnswer(correlationId);
    }

    /** Offers until sent, within {@link #WAIT}; fails naming {@code what} and the last result otherwise. */
    private void offerUntilSent(final BoundedPublisher ingress,
        final org.agrona.sbe.MessageEncoderFlyweight request, final String what)
    {
        final long deadline = System.nanoTime() + WAIT.toNanos();
        PublishResult result;
        while (!(result = ingress.offer(request)).isSent())
        {
            // Back pressure from a pipelined burst: keep the answers flowing while waiting for room.
            if (!result.isRetryable() || System.nanoTime() > deadline)
            {
                throw new AssertionError(what + " not sent: " + result);
            }
            egress.poll(256);
        }
    }

    /** Waits for the answer to a request sent with {@link #send}. */
    public WriteAnswer awaitAnswer(final long correlationId)
    {
        final long deadline = System.nanoTime() + WAIT.toNanos();
        while (!answers.containsKey(correlationId))
        {
            if (egress.poll(16) == 0)
            {
                if (System.nanoTime() > deadline)
                {
                    throw new AssertionError("no WriteResponse for correlation " + correlationId + " within " + WAIT);
                }
                Poll.pause();
            }
        }
        return answers.remove(correlationId);
    }

    /**
     * Writes sequences {@code [firstSequence, firstSequence + count)} pipelined, at most {@code window} unanswered at
     * once, to the node {@code leaderIngress} gives (asked again after a leader change). A write answered BUSY is sent
     * again with its sequence; on NOT_LEADER, UNAVAILABLE or TIMEOUT (a failover under way: the write may or may not be
     * stored) every unanswered write is sent again, with its sequence, to the node {@code leaderIngress} gives then,
     * which answers a stored one with its original offset. Any other answer fails. Returns the offset of each write,
     * by {@code sequence - firstSequence}.
     */
    public long[] putAll(final java.util.function.Supplier<BoundedPublisher> leaderIngress, final long firstSequence,
        final int count, final java.util.function.LongFunction<byte[]> key,
        final java.util.function.LongFunction<byte[]> value, final int window)
    {
        final long[] offsets = new long[count];
        final Map<Long, Long> sequenceByCorrelation = new HashMap<>();
        BoundedPublisher ingress = leaderIngress.get();
        int next = 0;
        int done = 0;
        long lastProgressNs = System.nanoTime();
        while (done < count)
        {
            while (next < count && sequenceByCorrelation.size() < window)
            {
                final long sequence = firstSequence + next++;
                sequenceByCorrelation.put(send(ingress, sequence, key.apply(sequence), value.apply(sequence)), sequence);
            }
            if (egress.poll(256) == 0)
            {
                if (System.nanoTime() - lastProgressNs > WAIT.toNanos())
                {
                    throw new AssertionError(done + " of " + count + " pipelined writes answered; nothing for " + WAIT);
                }
                Thread.onSpinWait();
            }
            final java.util.Iterator<Map.Entry<Long, Long>> waiting = sequenceByCorrelation.entrySet().iterator();
            final List<Long> resend = new ArrayList<>();
            boolean leaderChanged = false;
            while (waiting.hasNext())
            {
                final Map.Entry<Long, Long> entry = waiting.next();
                final WriteAnswer answer = answers.remove(entry.getKey());
                if (null == answer)
                {
                    continue;
                }
                waiting.remove();
                lastProgressNs = System.nanoTime();
                if (answer.status() == Status.OK)
                {
                    offsets[(int)(entry.getValue() - firstSequence)] = answer.writeOffset();
                    done++;
                }
                else if (answer.status() == Status.BUSY)
                {
                    resend.add(entry.getValue());
                }
                else if (answer.status() == Status.NOT_LEADER || answer.status() == Status.UNAVAILABLE ||
                    answer.status() == Status.TIMEOUT)
                {
                    resend.add(entry.getValue());
                    leaderChanged = true;
                }
                else
                {
                    throw new AssertionError("pipelined write of sequence " + entry.getValue() + " answered " + answer);
                }
            }
            if (leaderChanged)
            {
                // Whatever the old leader still answers is dropped with its correlation ids: all of it is resent.
                resend.addAll(sequenceByCorrelation.values());
                sequenceByCorrelation.clear();
                answers.clear();
                ingress = leaderIngress.get();
            }
            for (final long sequence : resend)
            {
                sequenceByCorrelation.put(send(ingress, sequence, key.apply(sequence), value.apply(sequence)), sequence);
            }
        }
        return offsets;
    }

    /**
     * Offers an {@code AppendBatch} as leader {@code leaderId} of {@code epoch}, holding junk bytes at {@code baseOffset}: a node at a higher epoch must refuse it without looking inside.
     */
    public PublishResult offerAppendBatch(final BoundedPublisher publisher, final int epoch, final int leaderId,
        final long baseOffset)
    {
        final byte[] junk = new byte[128];
        final AppendBatchEncoder append = new AppendBatchEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder)
            .epoch(epoch).leaderId(leaderId).baseOffset(baseOffset).prevBatchEpoch(epoch).commitOffset(baseOffset)
            .totalLength(junk.length).chunkPosition(0).putBatches(junk, 0, junk.length);
        return publisher.offer(append);
    }

    /**
     * Offers one StatusRequest on an ADMIN publisher, HMAC-tagged with this client's secret file: with another secret
     * than the cluster's, each one is a single message the node must drop and count as auth-failed.
     */
    public PublishResult offerStatusRequest(final BoundedPublisher admin)
    {
        final StatusRequestEncoder status = new StatusRequestEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(nextCorrelationId++)
            .clientId(clientId);
        return admin.offer(status);
    }

    /** Offers raw bytes as one message on the publisher (the node's adapter sees them as a message). */
    public PublishResult offerGarbage(final BoundedPublisher publisher, final byte[] bytes)
    {
        final UnsafeBuffer garbage = new UnsafeBuffer(bytes);
        return publisher.publication().offer(garbage, 0, bytes.length) > 0 ? PublishResult.SENT :
            PublishResult.BACK_PRESSURED;
    }

    private void onMessage(final int templateId, final DirectBuffer buffer, final int offset, final int length,
        final Header header)
    {
        if (templateId == ConnectResponseDecoder.TEMPLATE_ID)
        {
            final ConnectResponseDecoder response = decoders.connectResponse(buffer, offset, length);
            connected = response.clientId() == clientId && response.status() == Status.OK;
        }
        else if (templateId == WriteResponseDecoder.TEMPLATE_ID)
        {
            final WriteResponseDecoder response = decoders.writeResponse(buffer, offset, length);
            final long correlationId = response.correlationId();
            final Status status = response.status();
            final long writeOffset = response.writeOffset();
            final int epoch = response.epoch();
            final AckLevel reached = response.ackLevelReached();
            final int recordCount = response.recordCount();
            final String message = response.message();
            answers.put(correlationId, new WriteAnswer(status, writeOffset, epoch, reached, message, recordCount));
        }
    }

    @Override
    public void close()
    {
        egress.close();
        transport.close();
    }
}
