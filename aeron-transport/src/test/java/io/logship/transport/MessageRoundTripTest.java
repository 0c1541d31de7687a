package io.logship.transport;

import io.logship.transport.codec.*;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.sbe.MessageDecoderFlyweight;
import org.agrona.sbe.MessageEncoderFlyweight;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Every message type, encoded, published over UDP loopback, received by the adapter of its stream, decoded. */
@Timeout(60)
class MessageRoundTripTest
{
    private final List<Throwable> errors = TransportTestSupport.errors();
    private final Map<TransportStream, BoundedPublisher> publishers = new EnumMap<>(TransportStream.class);
    private final Map<TransportStream, MessageAdapter> adapters = new EnumMap<>(TransportStream.class);
    private final MessageDecoderFlyweight[] decoderByTemplateId = new MessageDecoderFlyweight[MessageTypes.MAX_TEMPLATE_ID + 1];
    private final Decoders decoders = new Decoders();
    private final List<String> received = new ArrayList<>();
    private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(4096);
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private TransportNode node;

    @BeforeEach
    void setUp()
    {
        for (final MessageDecoderFlyweight decoder : MessageTypes.newDecoders())
        {
            decoderByTemplateId[decoder.sbeTemplateId()] = decoder;
        }
        node = TransportNode.launch(TransportTestSupport.context(errors));
        final TransportContext ctx = node.context();
        for (final TransportStream stream : TransportStream.values())
        {
            adapters.put(stream, node.addAdapter(stream, stream.name(), this::onMessage));
            publishers.put(stream, node.addPublisher(ctx.endpointHost(), ctx.endpointPort(), stream, stream.name()));
        }
        for (final BoundedPublisher publisher : publishers.values())
        {
            assertThat(TransportNode.awaitConnected(publisher, 10_000)).as(publisher.name()).isTrue();
        }
    }

    @AfterEach
    void tearDown()
    {
        final String dir = node.context().aeronDirectoryName();
        node.close();
        assertThat(new File(dir)).doesNotExist();
    }

    private void onMessage(
        final int templateId, final DirectBuffer buffer, final int offset, final int length, final io.aeron.logbuffer.Header h)
    {
        received.add(decoders.wrap(decoderByTemplateId[templateId], buffer, offset, length).toString());
    }

    @Test
    void shouldRoundTripEveryMessageType()
    {
        final byte[] batch = new byte[3000];
        for (int i = 0; i < batch.length; i++)
        {
            batch[i] = (byte)i;
        }
        final byte[] key = "key-1".getBytes(StandardCharsets.UTF_8);
        final byte[] value = "value-1".getBytes(StandardCharsets.UTF_8);
        final List<String> sent = new ArrayList<>();

        final AppendBatchEncoder appendBatch = new AppendBatchEncoder().wrapAndApplyHeader(buffer, 0, header)
            .epoch(7).leaderId(2).baseOffset(1000).prevBatchEpoch(6).commitOffset(990).totalLength(batch.length)
            .chunkPosition(0).putBatches(batch, 0, batch.length);
        send(TransportStream.REPLICATION, appendBatch, sent);
        send(TransportStream.REPLICATION, new HeartbeatEncoder().wrapAndApplyHeader(buffer, 0, header)
            .epoch(7).leaderId(2).commitOffset(990).logEndOffset(1003).leaderTimestampNs(123456789L), sent);
        send(TransportStream.REPLICATION, new RefuseEncoder().wrapAndApplyHeader(buffer, 0, header)
            .currentEpoch(8).leaderId(3).nodeId(1).refusedTemplateId(AppendBatchEncoder.TEMPLATE_ID)
            .reason(RefuseReason.STALE_EPOCH), sent);
        send(TransportStream.REPLICATION_FEEDBACK, new AckEncoder().wrapAndApplyHeader(buffer, 0, header)
            .epoch(7).nodeId(1).durableEndOffset(1003).appliedOffset(990).echoedTimestampNs(123_456_789L), sent);
        send(TransportStream.ELECTION, new HandoverEncoder().wrapAndApplyHeader(buffer, 0, header)
            .epoch(7).leaderId(1).targetId(3), sent);
        send(TransportStream.REPLICATION_FEEDBACK, new FetchFromEncoder().wrapAndApplyHeader(buffer, 0, header)
            .epoch(7).nodeId(1).fetchOffset(500).lastEpoch(5), sent);
        final RequestVoteEncoder requestVote = new RequestVoteEncoder().wrapAndApplyHeader(buffer, 0, header)
            .epoch(8).candidateId(3).lastLogEpoch(7).logEndOffset(1003);
        requestVote.flags().clear().graceful(true);
        send(TransportStream.ELECTION, requestVote, sent);
        send(TransportStream.ELECTION, new VoteEncoder().wrapAndApplyHeader(buffer, 0, header)
            .epoch(8).voterId(1).candidateId(3).voterEpoch(8).granted(BooleanType.TRUE), sent);
        send(TransportStream.ELECTION, new EpochEndRequestEncoder().wrapAndApplyHeader(buffer, 0, header)
            .epoch(8).nodeId(1).requestedEpoch(6), sent);
        send(TransportStream.ELECTION, new EpochEndResponseEncoder().wrapAndApplyHeader(buffer, 0, header)
            .epoch(8).nodeId(3).epochFound(6).endOffset(870).requestedEpoch(6), sent);
        send(TransportStream.CLIENT_INGRESS, new ConnectEncoder().wrapAndApplyHeader(buffer, 0, header)
            .clientId(42).responseStreamId(TransportConfiguration.CLIENT_EGRESS_STREAM_ID)
            .responseChannel("aeron:udp?endpoint=127.0.0.1:40123"), sent);
        send(TransportStream.CLIENT_INGRESS, new WriteRequestEncoder().wrapAndApplyHeader(buffer, 0, header)
            .correlationId(9).clientId(42).sequence(17).timeoutMs(5000).ackLevel(AckLevel.QUORUM)
            .recordType(RecordType.PUT).putKey(key, 0, key.length).putValue(value, 0, value.length), sent);
        send(TransportStream.CLIENT_INGRESS, new ReadRequestEncoder().wrapAndApplyHeader(buffer, 0, header)
            .correlationId(10).clientId(42).minOffset(1003).timeoutMs(100).consistency(Consistency.MIN_OFFSET)
            .putKey(key, 0, key.length), sent);
        send(TransportStream.CLIENT_INGRESS, new TailRequestEncoder().wrapAndApplyHeader(buffer, 0, header)
            .correlationId(11).clientId(42).fromOffset(0).maxBytes(65536), sent);
        send(TransportStream.CLIENT_EGRESS, new ConnectResponseEncoder().wrapAndApplyHeader(buffer, 0, header)
            .clientId(42).nodeId(1).leaderId(2).epoch(7).status(Status.OK), sent);
        send(TransportStream.CLIENT_EGRESS, new WriteResponseEncoder().wrapAndApplyHeader(buffer, 0, header)
            .correlationId(9).writeOffset(1003).epoch(7).leaderId(2).status(Status.NOT_LEADER)
            .ackLevelReached(AckLevel.LEADER).message("not the leader: node 2 leads epoch 7"), sent);
        send(TransportStream.CLIENT_EGRESS, new ReadResponseEncoder().wrapAndApplyHeader(buffer, 0, header)
            .correlationId(10).appliedOffset(1003).valueOffset(-1).leaderId(2).status(Status.OK)
            .putValue(value, 0, value.length), sent);
        send(TransportStream.CLIENT_EGRESS, new TailResponseEncoder().wrapAndApplyHeader(buffer, 0, header)
            .correlationId(11).nextOffset(1003).logStartOffset(0).commitOffset(990).status(Status.OK)
            .putBatches(batch, 0, 100), sent);
        final StatusResponseEncoder status = new StatusResponseEncoder().wrapAndApplyHeader(buffer, 0, header)
            .correlationId(12).nodeId(2).epoch(7).leaderId(2).role(Role.LEADER).logStartOffset(0).logEndOffset(1003)
            .durableEndOffset(1003).commitOffset(990).appliedOffset(990).autoFailover(BooleanType.FALSE).elections(2)
            .leaderLogEndOffset(1003).resyncRecordsPerSecond(0).resyncBytesPerSecond(0).quarantinedRecords(0);
        status.followersCount(2)
            .next().nodeId(1).durableEndOffset(1003).appliedOffset(990).lastAckAgeMs(3)
            .next().nodeId(3).durableEndOffset(870).appliedOffset(870).lastAckAgeMs(4000);
        status.note("automatic failover disabled by configuration");
        send(TransportStream.CLIENT_EGRESS, status, sent);
        send(TransportStream.CLIENT_EGRESS, new AdminResponseEncoder().wrapAndApplyHeader(buffer, 0, header)
            .correlationId(13).nodeId(2).epoch(8).leaderId(3).status(Status.OK).message("node 3 leads epoch 8"), sent);
        send(TransportStream.ADMIN, new StatusRequestEncoder().wrapAndApplyHeader(buffer, 0, header)
            .correlationId(12).clientId(43), sent);
        final PromoteRequestEncoder promote = new PromoteRequestEncoder().wrapAndApplyHeader(buffer, 0, header)
            .correlationId(13).clientId(43).targetNodeId(3);
        promote.flags().clear().forced(true);
        send(TransportStream.ADMIN, promote, sent);
        send(TransportStream.ADMIN, new DemoteRequestEncoder().wrapAndApplyHeader(buffer, 0, header)
            .correlationId(14).clientId(43).nodeId(2), sent);

        send(TransportStream.ADMIN, new ChecksumRequestEncoder().wrapAndApplyHeader(buffer, 0, header)
            .correlationId(15).clientId(43).fromOffset(0).toOffset(990), sent);
        send(TransportStream.CLIENT_EGRESS, new ChecksumResponseEncoder().wrapAndApplyHeader(buffer, 0, header)
            .correlationId(15).nodeId(2).status(Status.OK).fromOffset(0).toOffset(990).batchCount(12)
            .byteCount(40960).crc32c(0xdeadbeefL).message(""), sent);

        send(TransportStream.REPLICATION, new SnapshotChunkEncoder().wrapAndApplyHeader(buffer, 0, header)
            .epoch(7).leaderId(2).snapshotOffset(500).totalLength(3000).chunkPosition(0)
            .putData(batch, 0, 1000), sent);

        assertThat(sent).hasSize(26);
        assertThat(TransportTestSupport.pollUntil(this::pollAll, () -> received.size() >= sent.size())).isTrue();
        assertThat(received).containsExactlyInAnyOrderElementsOf(sent);
        assertThat(sent).anySatisfy((s) -> assertThat(s).contains("AppendBatch").contains("baseOffset=1000"));
        assertThat(errors).isEmpty();
        for (final MessageAdapter adapter : adapters.values())
        {
            assertThat(adapter.rejectedCount() + adapter.authFailedCount() + adapter.malformedCount()).isZero();
        }
    }

    @Test
    void shouldReassembleAChunkedBatchLargerThanTheMaxMessage()
    {
        final BoundedPublisher publisher = publishers.get(TransportStream.REPLICATION);
        final int maxChunk = AppendBatchAssembler.maxChunkLength(publisher.maxMessageLength(AppendBatchEncoder.TEMPLATE_ID));
        final byte[] batch = new byte[3 * 1024 * 1024 + 17];
        for (int i = 0; i < batch.length; i++)
        {
            batch[i] = (byte)(i * 31);
        }
        assertThat(batch.length).isGreaterThan(publisher.publication().maxMessageLength());

        final AppendBatchAssembler assembler = new AppendBatchAssembler(16 * 1024 * 1024);
        final int[] outcome = { AppendBatchAssembler.INCOMPLETE };
        final MessageAdapter adapter = node.addAdapter(
            node.context().localChannel(), 2001, TransportStream.REPLICATION, "chunks",
            (templateId, buf, offset, length, h) -> outcome[0] = assembler.onChunk(decoders.appendBatch(buf, offset, length)));
        final BoundedPublisher chunkPublisher = node.addPublisher(
            TransportChannels.udpPublication(node.context(), "127.0.0.1", node.context().endpointPort()), 2001, "chunks");
        assertThat(TransportNode.awaitConnected(chunkPublisher, 10_000)).isTrue();

        final AppendBatchEncoder encoder = new AppendBatchEncoder();
        final ExpandableArrayBuffer out = new ExpandableArrayBuffer(maxChunk + 128);
        int position = 0;
        while (position < batch.length)
        {
            final int chunk = Math.min(maxChunk, batch.length - position);
            encoder.wrapAndApplyHeader(out, 0, header).epoch(3).leaderId(1).baseOffset(77).prevBatchEpoch(2)
                .commitOffset(70).totalLength(batch.length).chunkPosition(position).putBatches(batch, position, chunk);
            PublishResult result;
            int attempts = 0;
            do
            {
                result = chunkPublisher.offer(encoder);
                adapter.poll(10);
            }
            while (result.isRetryable() && ++attempts < 100_000); // back-pressure or admin action on a loaded machine
            assertThat(result).isEqualTo(PublishResult.SENT);
            position += chunk;
        }

        assertThat(TransportTestSupport.pollUntil(() -> adapter.poll(10),
            () -> outcome[0] == AppendBatchAssembler.COMPLETE)).isTrue();
        final byte[] assembled = new byte[assembler.length()];
        assembler.buffer().getBytes(0, assembled);
        assertThat(assembled).isEqualTo(batch);
        assertThat(assembler.baseOffset()).isEqualTo(77);
    }

    private void send(final TransportStream stream, final MessageEncoderFlyweight encoder, final List<String> sent)
    {
        sent.add(encoder.toString());
        final PublishResult result = publishers.get(stream).offer(encoder);
        assertThat(result).as(encoder.getClass().getSimpleName()).isEqualTo(PublishResult.SENT);
        pollAll();
    }

    private void pollAll()
    {
        for (final MessageAdapter adapter : adapters.values())
        {
            adapter.poll(10);
        }
    }
}
