package io.logship.client;

import io.aeron.logbuffer.Header;
import io.logship.transport.BoundedPublisher;
import io.logship.transport.Decoders;
import io.logship.transport.IdleStrategyKind;
import io.logship.transport.MessageAdapter;
import io.logship.transport.PublishResult;
import io.logship.transport.TransportChannels;
import io.logship.transport.TransportConfiguration;
import io.logship.transport.TransportContext;
import io.logship.transport.TransportNode;
import io.logship.transport.TransportStream;
import io.logship.transport.auth.ClusterSecret;
import io.logship.transport.codec.*;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;

/**
 * TEST ONLY: stand-ins for logship nodes that answer the client protocol as README.md "Protocol contract"
 * describes, with knobs to misbehave. All fake nodes of a cluster share one media driver (each subscribes
 * on its own loopback endpoint) and one polling thread. Tests change knobs from their own thread: the
 * knobs are volatile or concurrent.
 */
final class FakeCluster implements AutoCloseable
{
    static final ClusterSecret SECRET =
        ClusterSecret.of("client-test-cluster-secret-0123".getBytes(StandardCharsets.US_ASCII));

    private final TransportNode transport;
    private final List<FakeNode> nodes = new ArrayList<>();
    private final ConcurrentLinkedQueue<Runnable> commands = new ConcurrentLinkedQueue<>();
    private final Thread thread;
    private volatile boolean running = true;
    final List<Throwable> errors = new CopyOnWriteArrayList<>();

    FakeCluster(final int... nodeIds)
    {
        transport = TransportNode.launch(new TransportContext()
            .nodeId(0)
            .aeronDirectoryName(TransportConfiguration.defaultAeronDirectoryName(
                "client-test-cluster-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE)))
            .endpointHost("127.0.0.1")
            .endpointPort(freeUdpPort())
            .termLength(1024 * 1024)
            .clusterSecret(SECRET)
            .idleStrategy(IdleStrategyKind.BACKOFF)
            .errorHandler(errors::add));
        try
        {
            for (final int nodeId : nodeIds)
            {
                nodes.add(new FakeNode(nodeId, freeUdpPort()));
            }
        }
        catch (final RuntimeException ex)
        {
            close();
            throw ex;
        }
        thread = new Thread(this::run, "fake-cluster");
        thread.setDaemon(true);
        thread.start();
    }

    FakeNode node(final int nodeId)
    {
        for (final FakeNode node : nodes)
        {
            if (node.nodeId == nodeId)
            {
                return node;
            }
        }
        throw new IllegalArgumentException("no fake node " + nodeId);
    }

    /** Every node believes {@code leaderId} leads at {@code epoch}. */
    FakeCluster leader(final int leaderId, final int epoch)
    {
        for (final FakeNode node : nodes)
        {
            node.leaderId = leaderId;
            node.epoch = epoch;
        }
        return this;
    }

    /** Node {@code nodeId} announces, as a new leader does, that it leads {@code epoch}: NewLeader to every client. */
    void announceLeader(final int nodeId, final int epoch)
    {
        final FakeNode node = node(nodeId);
        commands.add(() -> node.announceLeader(epoch));
    }

    /** Node {@code nodeId} restarts: it forgets every client's session, as a real node does. Returns once it has. */
    void restart(final int nodeId) throws Exception
    {
        final FakeNode node = node(nodeId);
        final java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
        commands.add(() ->
        {
            node.forgetSessions();
            done.complete(null);
        });
        done.get(10, java.util.concurrent.TimeUnit.SECONDS);
    }

    ClientConfig clientConfig()
    {
        final ClientConfig config = new ClientConfig();
        for (final FakeNode node : nodes)
        {
            config.node(node.nodeId, "127.0.0.1", node.port);
        }
        // One write per request: these tests are about each write's retries and answers. The batching
        // test turns it back on; system-tests exercise it against real nodes.
        return config.termLength(4 * 1024 * 1024).errorHandler(errors::add).maxBatchRecords(1);
    }

    private void run()
    {
        final IdleStrategy idle = new BackoffIdleStrategy(10, 20, 1_000, 1_000_000);
        while (running)
        {
            int work = 0;
            Runnable command;
            while (null != (command = commands.poll()))
            {
                command.run();
                work++;
            }
            for (final FakeNode node : nodes)
            {
                work += node.doWork();
            }
            idle.idle(work);
        }
    }

    @Override
    public void close()
    {
        running = false;
        if (null != thread)
        {
            try
            {
                thread.join(5_000);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        for (final FakeNode node : nodes)
        {
            node.close();
        }
        CloseHelper.close(transport);
    }

    /** One fake node. Everything but the knobs belongs to the cluster's polling thread. */
    final class FakeNode
    {
        final int nodeId;
        final int port;

        // Knobs.
        volatile int leaderId = -1;
        volatile int epoch = 1;
        /** False: never answer writes (a node that hangs after Connect). */
        volatile boolean answerWrites = true;
        /** False: ignore Connect too (a node that is up but unresponsive). */
        volatile boolean answerConnect = true;
        /** Apply this many writes but drop their responses. */
        volatile int dropWriteResponses;
        /** Answer this many writes BUSY before accepting. */
        volatile int busyAnswers;
        /** Answer writes TIMEOUT with this ack level reached, after applying them (null: off). */
        volatile AckLevel timeoutAt;
        volatile boolean corruptTail;
        /** Batches served by tail, base offsets stamped, in offset order. */
        final List<byte[]> tailBatches = new CopyOnWriteArrayList<>();

        // Observations.
        final List<long[]> writesReceived = new CopyOnWriteArrayList<>();
        /** One {firstSequence, record count} per WriteBatchRequest (its writes are in writesReceived too). */
        final List<long[]> batchesReceived = new CopyOnWriteArrayList<>();
        final List<String> connectsReceived = new CopyOnWriteArrayList<>();
        /** Per Connect, the MTU of the client publication it came on: the largest datagram that client sends. */
        final List<Integer> connectMtus = new CopyOnWriteArrayList<>();
        final List<Integer> adminReceived = new CopyOnWriteArrayList<>();
        /** One "CHANGE memberId role address" per MemberChangeRequest received. */
        final List<String> memberChangesReceived = new CopyOnWriteArrayList<>();
        final Map<String, byte[]> store = new java.util.concurrent.ConcurrentHashMap<>();
        final Map<String, Long> storeOffsets = new java.util.concurrent.ConcurrentHashMap<>();
        volatile long nextOffset;

        private final MessageAdapter ingress;
        private final MessageAdapter admin;
        private final Long2ObjectHashMap<BoundedPublisher> responders = new Long2ObjectHashMap<>();
        private final Map<String, Long> dedup = new HashMap<>();
        private final ArrayDeque<Object[]> unsent = new ArrayDeque<>();
        private final Decoders decoders = new Decoders();
        private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(4096);
        private final MessageHeaderEncoder header = new MessageHeaderEncoder();

        FakeNode(final int nodeId, final int port)
        {
            this.nodeId = nodeId;
            this.port = port;
            final String channel = TransportChannels.udpSubscription("127.0.0.1", port);
            ingress = transport.addAdapter(channel, TransportStream.CLIENT_INGRESS.streamId(),
                TransportStream.CLIENT_INGRESS, "fake-" + nodeId + "-ingress", this::onMessage);
            admin = transport.addAdapter(channel, TransportStream.ADMIN.streamId(),
                TransportStream.ADMIN, "fake-" + nodeId + "-admin", this::onMessage);
        }

        int doWork()
        {
            int work = ingress.poll(16) + admin.poll(16);
            while (!unsent.isEmpty())
            {
                final Object[] message = unsent.peek();
                final byte[] bytes = (byte[])message[1];
                final PublishResult result = ((BoundedPublisher)message[0]).offer(
                    new org.agrona.concurrent.UnsafeBuffer(bytes), 0, bytes.length);
                if (result != PublishResult.SENT)
                {
                    break;
                }
                unsent.poll();
                work++;
            }
            return work;
        }

        void close()
        {
            CloseHelper.quietCloseAll(ingress, admin);
            responders.values().forEach(CloseHelper::quietClose);
        }

        private void forgetSessions()
        {
            responders.values().forEach(CloseHelper::quietClose);
            responders.clear();
            unsent.clear();
        }

        private void announceLeader(final int announcedEpoch)
        {
            for (final long clientId : responders.keySet())
            {
                final NewLeaderEncoder encoder = new NewLeaderEncoder()
                    .wrapAndApplyHeader(buffer, 0, header)
                    .epoch(announcedEpoch)
                    .leaderId(nodeId);
                reply(clientId, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength());
            }
        }

        private void reply(final long clientId, final int length)
        {
            final BoundedPublisher publisher = responders.get(clientId);
            if (null == publisher)
            {
                return; // no session: a real node cannot answer either
            }
            final byte[] bytes = Arrays.copyOf(buffer.byteArray(), length);
            unsent.add(new Object[] {publisher, bytes});
        }

        private void onMessage(
            final int templateId, final DirectBuffer buffer, final int offset, final int length, final Header aeronHeader)
        {
            switch (templateId)
            {
                case ConnectDecoder.TEMPLATE_ID:
                    recordMtu(aeronHeader.sessionId());
                    onConnect(decoders.connect(buffer, offset, length));
                    break;
                case WriteRequestDecoder.TEMPLATE_ID:
                    onWrite(decoders.writeRequest(buffer, offset, length));
                    break;
                case WriteBatchRequestDecoder.TEMPLATE_ID:
                    onWriteBatch(decoders.writeBatchRequest(buffer, offset, length));
                    break;
                case WriteLogBatchDecoder.TEMPLATE_ID:
                    onWriteLogBatch(decoders.writeLogBatch(buffer, offset, length));
                    break;
                case ReadRequestDecoder.TEMPLATE_ID:
                    onRead(decoders.readRequest(buffer, offset, length));
                    break;
                case TailRequestDecoder.TEMPLATE_ID:
                    onTail(decoders.tailRequest(buffer, offset, length));
                    break;
                case StatusRequestDecoder.TEMPLATE_ID:
                    onStatus(decoders.statusRequest(buffer, offset, length));
                    break;
                case ChecksumRequestDecoder.TEMPLATE_ID:
                    onChecksum(decoders.checksumRequest(buffer, offset, length));
                    break;
                case PromoteRequestDecoder.TEMPLATE_ID:
                {
                    final PromoteRequestDecoder decoder = decoders.promoteRequest(buffer, offset, length);
                    adminNotImplemented(decoder.correlationId(), decoder.clientId(), templateId);
                    break;
                }
                case MemberChangeRequestDecoder.TEMPLATE_ID:
                    onMemberChange(decoders.memberChangeRequest(buffer, offset, length));
                    break;
                case DemoteRequestDecoder.TEMPLATE_ID:
                {
                    final DemoteRequestDecoder decoder = decoders.demoteRequest(buffer, offset, length);
                    adminNotImplemented(decoder.correlationId(), decoder.clientId(), templateId);
                    break;
                }
                default:
                    break;
            }
        }

        private void recordMtu(final int sessionId)
        {
            for (final MessageAdapter adapter : List.of(ingress, admin))
            {
                final io.aeron.Image image = adapter.subscription().imageBySessionId(sessionId);
                if (null != image)
                {
                    connectMtus.add(image.mtuLength());
                    return;
                }
            }
        }

        private void onConnect(final ConnectDecoder decoder)
        {
            final long clientId = decoder.clientId();
            final int streamId = decoder.responseStreamId();
            final String channel = decoder.responseChannel();
            connectsReceived.add(channel);
            if (!answerConnect)
            {
                return;
            }
            if (!responders.containsKey(clientId))
            {
                responders.put(clientId, transport.addPublisher(channel, streamId, "fake-" + nodeId + "-to-client"));
            }
            final ConnectResponseEncoder encoder = new ConnectResponseEncoder()
                .wrapAndApplyHeader(buffer, 0, header)
                .clientId(clientId)
                .nodeId(nodeId)
                .leaderId(leaderId)
                .epoch(epoch)
                .status(Status.OK);
            reply(clientId, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength());
        }

        private void onWrite(final WriteRequestDecoder decoder)
        {
            final long correlationId = decoder.correlationId();
            final long clientId = decoder.clientId();
            final long sequence = decoder.sequence();
            final io.logship.transport.codec.AckLevel ackLevel = decoder.ackLevel();
            final io.logship.transport.codec.RecordType type = decoder.recordType();
            final byte[] key = new byte[decoder.keyLength()];
            decoder.getKey(key, 0, key.length);
            final byte[] value = new byte[decoder.valueLength()];
            decoder.getValue(value, 0, value.length);
            writesReceived.add(new long[] {clientId, sequence});
            if (!answerWrites)
            {
                return;
            }

            final WriteResponseEncoder encoder = new WriteResponseEncoder()
                .wrapAndApplyHeader(buffer, 0, header)
                .correlationId(correlationId)
                .epoch(epoch)
                .leaderId(leaderId);
            if (leaderId != nodeId)
            {
                encoder.writeOffset(-1).status(Status.NOT_LEADER)
                    .ackLevelReached(io.logship.transport.codec.AckLevel.NULL_VAL).message("not the leader");
            }
            else if (busyAnswers > 0)
            {
                busyAnswers--;
                encoder.writeOffset(-1).status(Status.BUSY)
                    .ackLevelReached(io.logship.transport.codec.AckLevel.NULL_VAL).message("write queue full");
            }
            else
            {
                final String dedupKey = clientId + "/" + sequence;
                Long writeOffset = dedup.get(dedupKey);
                if (null == writeOffset)
                {
                    writeOffset = nextOffset;
                    nextOffset = writeOffset + 1;
                    dedup.put(dedupKey, writeOffset);
                    final String k = new String(key, StandardCharsets.UTF_8);
                    if (type == io.logship.transport.codec.RecordType.DELETE)
                    {
                        store.remove(k);
                        storeOffsets.remove(k);
                    }
                    else
                    {
                        store.put(k, value);
                        storeOffsets.put(k, writeOffset);
                    }
                }
                if (dropWriteResponses > 0)
                {
                    dropWriteResponses--;
                    return;
                }
                final AckLevel timeout = timeoutAt;
                if (null != timeout)
                {
                    encoder.writeOffset(writeOffset).status(Status.TIMEOUT)
                        .ackLevelReached(io.logship.transport.codec.AckLevel.valueOf(timeout.name()))
                        .message("ALL not reached: node 3 has not acknowledged; reached " + timeout);
                }
                else
                {
                    encoder.writeOffset(writeOffset).status(Status.OK).ackLevelReached(ackLevel).message("");
                }
            }
            reply(clientId, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength());
        }

        /**
         * A leader applies the batch's records at consecutive offsets (a resent batch: the offsets of the
         * first time) and answers once with the first offset; only the writeAnswers and leader knobs apply.
         */
        private void onWriteBatch(final WriteBatchRequestDecoder decoder)
        {
            final long correlationId = decoder.correlationId();
            final long clientId = decoder.clientId();
            final long firstSequence = decoder.firstSequence();
            final io.logship.transport.codec.AckLevel ackLevel = decoder.ackLevel();
            final List<String> keys = new ArrayList<>();
            final List<byte[]> values = new ArrayList<>();
            for (final WriteBatchRequestDecoder.RecordsDecoder record : decoder.records())
            {
                final io.logship.transport.codec.RecordType type = record.recordType();
                final byte[] key = new byte[record.keyLength()];
                record.getKey(key, 0, key.length);
                final byte[] value = new byte[record.valueLength()];
                record.getValue(value, 0, value.length);
                keys.add(new String(key, StandardCharsets.UTF_8));
                values.add(type == io.logship.transport.codec.RecordType.DELETE ? null : value);
                writesReceived.add(new long[] {clientId, firstSequence + keys.size() - 1});
            }
            answerBatch(correlationId, clientId, firstSequence, ackLevel, keys, values, null);
        }

        /**
         * A batch in the log's format is checked as the leader checks it (CRC32C, every record idempotent with the
         * client's id and the next sequence) and answered INVALID naming the first problem, so a client that
         * encodes it wrong fails its writes; otherwise as {@link #onWriteBatch}.
         */
        private void onWriteLogBatch(final WriteLogBatchDecoder decoder)
        {
            final long correlationId = decoder.correlationId();
            final long clientId = decoder.clientId();
            final long firstSequence = decoder.firstSequence();
            final io.logship.transport.codec.AckLevel ackLevel = decoder.ackLevel();
            final org.agrona.concurrent.UnsafeBuffer batch = new org.agrona.concurrent.UnsafeBuffer(0, 0);
            decoder.wrapBatch(batch);
            final List<String> keys = new ArrayList<>();
            final List<byte[]> values = new ArrayList<>();
            String problem = io.logship.format.BatchDescriptor.validate(batch, 0, batch.capacity());
            if (null == problem)
            {
                final io.logship.format.RecordCursor cursor = new io.logship.format.RecordCursor().wrap(batch, 0);
                while (null == problem && cursor.next())
                {
                    final long sequence = firstSequence + keys.size();
                    if (!cursor.idempotent() || cursor.clientId() != clientId || cursor.sequence() != sequence)
                    {
                        problem = "record " + keys.size() + " is not client " + clientId + " sequence " + sequence;
                    }
                    keys.add(new String(cursor.keyBytes(), StandardCharsets.UTF_8));
                    values.add(cursor.type() == io.logship.format.RecordType.DELETE ? null : cursor.valueBytes());
                    writesReceived.add(new long[] {clientId, sequence});
                }
            }
            answerBatch(correlationId, clientId, firstSequence, ackLevel, keys, values, problem);
        }

        private void answerBatch(final long correlationId, final long clientId, final long firstSequence,
            final io.logship.transport.codec.AckLevel ackLevel, final List<String> keys, final List<byte[]> values,
            final String problem)
        {
            batchesReceived.add(new long[] {firstSequence, keys.size()});
            if (!answerWrites)
            {
                return;
            }

            final WriteResponseEncoder encoder = new WriteResponseEncoder()
                .wrapAndApplyHeader(buffer, 0, header)
                .correlationId(correlationId)
                .epoch(epoch)
                .leaderId(leaderId);
            if (null != problem)
            {
                encoder.writeOffset(-1).status(Status.INVALID)
                    .ackLevelReached(io.logship.transport.codec.AckLevel.NULL_VAL).message(problem);
            }
            else if (leaderId != nodeId)
            {
                encoder.writeOffset(-1).status(Status.NOT_LEADER)
                    .ackLevelReached(io.logship.transport.codec.AckLevel.NULL_VAL).message("not the leader");
            }
            else
            {
                Long firstOffset = dedup.get(clientId + "/" + firstSequence);
                if (null == firstOffset)
                {
                    firstOffset = nextOffset;
                    for (int i = 0; i < keys.size(); i++)
                    {
                        final long writeOffset = nextOffset;
                        nextOffset = writeOffset + 1;
                        dedup.put(clientId + "/" + (firstSequence + i), writeOffset);
                        if (null == values.get(i))
                        {
                            store.remove(keys.get(i));
                            storeOffsets.remove(keys.get(i));
                        }
                        else
                        {
                            store.put(keys.get(i), values.get(i));
                            storeOffsets.put(keys.get(i), writeOffset);
                        }
                    }
                }
                encoder.writeOffset(firstOffset).status(Status.OK).ackLevelReached(ackLevel).message("");
            }
            reply(clientId, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength());
        }

        private void onRead(final ReadRequestDecoder decoder)
        {
            final long correlationId = decoder.correlationId();
            final long clientId = decoder.clientId();
            final long minOffset = decoder.minOffset();
            final Consistency consistency = decoder.consistency();
            final byte[] key = new byte[decoder.keyLength()];
            decoder.getKey(key, 0, key.length);
            final String k = new String(key, StandardCharsets.UTF_8);
            final long applied = nextOffset - 1;
            final ReadResponseEncoder encoder = new ReadResponseEncoder()
                .wrapAndApplyHeader(buffer, 0, header)
                .correlationId(correlationId)
                .appliedOffset(applied)
                .leaderId(leaderId);
            final byte[] value = store.get(k);
            if (consistency == Consistency.LEADER && leaderId != nodeId)
            {
                encoder.valueOffset(-1).status(Status.NOT_LEADER).putValue(new byte[0], 0, 0);
            }
            else if (consistency == Consistency.MIN_OFFSET && applied < minOffset)
            {
                encoder.valueOffset(-1).status(Status.TIMEOUT).putValue(new byte[0], 0, 0);
            }
            else if (null == value)
            {
                encoder.valueOffset(-1).status(Status.NOT_FOUND).putValue(new byte[0], 0, 0);
            }
            else
            {
                encoder.valueOffset(storeOffsets.get(k)).status(Status.OK).putValue(value, 0, value.length);
            }
            reply(clientId, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength());
        }

        private void onTail(final TailRequestDecoder decoder)
        {
            final long correlationId = decoder.correlationId();
            final long clientId = decoder.clientId();
            final long fromOffset = decoder.fromOffset();
            final int maxBytes = decoder.maxBytes();
            final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            long next = fromOffset;
            for (final byte[] batch : tailBatches)
            {
                final org.agrona.concurrent.UnsafeBuffer view = new org.agrona.concurrent.UnsafeBuffer(batch);
                final long batchNext = io.logship.format.BatchDescriptor.nextOffset(view, 0);
                if (batchNext <= fromOffset)
                {
                    continue;
                }
                if (out.size() > 0 && out.size() + batch.length > maxBytes)
                {
                    break;
                }
                out.writeBytes(batch);
                next = batchNext;
            }
            final byte[] bytes = out.toByteArray();
            if (corruptTail && bytes.length > 0)
            {
                bytes[bytes.length - 1] ^= 0x5A;
            }
            final TailResponseEncoder encoder = new TailResponseEncoder()
                .wrapAndApplyHeader(buffer, 0, header)
                .correlationId(correlationId)
                .nextOffset(next)
                .logStartOffset(0)
                .commitOffset(next)
                .status(Status.OK)
                .putBatches(bytes, 0, bytes.length);
            reply(clientId, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength());
        }

        private void onStatus(final StatusRequestDecoder decoder)
        {
            adminReceived.add(StatusRequestDecoder.TEMPLATE_ID);
            final long clientId = decoder.clientId();
            final StatusResponseEncoder encoder = new StatusResponseEncoder()
                .wrapAndApplyHeader(buffer, 0, header)
                .correlationId(decoder.correlationId())
                .nodeId(nodeId)
                .epoch(epoch)
                .leaderId(leaderId)
                .role(leaderId == nodeId ? Role.LEADER : Role.FOLLOWER)
                .logStartOffset(0)
                .logEndOffset(nextOffset)
                .durableEndOffset(nextOffset)
                .commitOffset(nextOffset)
                .appliedOffset(nextOffset)
                .autoFailover(BooleanType.TRUE)
                .elections(0)
                .leaderLogEndOffset(nextOffset)
                .resyncRecordsPerSecond(0)
                .resyncBytesPerSecond(0)
                .quarantinedRecords(0);
            final StatusResponseEncoder.FollowersEncoder followers = encoder.followersCount(leaderId == nodeId ? 1 : 0);
            if (leaderId == nodeId)
            {
                followers.next().nodeId(99).durableEndOffset(nextOffset - 1).appliedOffset(nextOffset - 2).lastAckAgeMs(7);
            }
            encoder.note("");
            reply(clientId, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength());
        }

        private void onChecksum(final ChecksumRequestDecoder decoder)
        {
            adminReceived.add(ChecksumRequestDecoder.TEMPLATE_ID);
            final long clientId = decoder.clientId();
            final ChecksumResponseEncoder encoder = new ChecksumResponseEncoder()
                .wrapAndApplyHeader(buffer, 0, header)
                .correlationId(decoder.correlationId())
                .nodeId(nodeId)
                .status(Status.OK)
                .fromOffset(decoder.fromOffset())
                .toOffset(decoder.toOffset())
                .batchCount(2)
                .byteCount(123)
                .crc32c(0xCAFEBABEL)
                .message("");
            reply(clientId, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength());
        }

        /**
         * A non-leader answers NOT_LEADER naming the leader; the leader refuses member 99 (INVALID, as a rule would)
         * and accepts anything else at the next offset.
         */
        private void onMemberChange(final MemberChangeRequestDecoder decoder)
        {
            final long correlationId = decoder.correlationId();
            final long clientId = decoder.clientId();
            final io.logship.transport.codec.MemberChange change = decoder.change();
            final int memberId = decoder.memberId();
            final MemberRole role = decoder.role();
            final String address = decoder.address();
            memberChangesReceived.add(change + " " + memberId + " " + role + " " + address);
            final boolean leads = leaderId == nodeId;
            final Status status = !leads ? Status.NOT_LEADER : memberId == 99 ? Status.INVALID : Status.OK;
            final MemberChangeResponseEncoder encoder = new MemberChangeResponseEncoder()
                .wrapAndApplyHeader(buffer, 0, header)
                .correlationId(correlationId)
                .nodeId(nodeId)
                .epoch(epoch)
                .leaderId(leaderId)
                .status(status)
                .configurationOffset(status == Status.OK ? nextOffset++ : -1);
            encoder.message(status == Status.INVALID ? "refused: node 99 is unknown (rule: unknown id)" : "");
            reply(clientId, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength());
        }

        private void adminNotImplemented(final long correlationId, final long clientId, final int templateId)
        {
            adminReceived.add(templateId);
            final AdminResponseEncoder encoder = new AdminResponseEncoder()
                .wrapAndApplyHeader(buffer, 0, header)
                .correlationId(correlationId)
                .nodeId(nodeId)
                .epoch(epoch)
                .leaderId(leaderId)
                .status(Status.ERROR)
                .message("promote and demote are not available in this version");
            reply(clientId, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength());
        }
    }

    /**
     * A UDP port free now, for the fake nodes' endpoints: they are named in the client's config before they bind,
     * as a real cluster's are, so they cannot bind port 0.
     */
    private static int freeUdpPort()
    {
        try (java.net.DatagramSocket socket = new java.net.DatagramSocket(0))
        {
            return socket.getLocalPort();
        }
        catch (final java.io.IOException ex)
        {
            throw new java.io.UncheckedIOException("cannot find a free UDP port", ex);
        }
    }
}
