package io.logship.node.leader;

import io.logship.format.BatchBuilder;
import io.logship.log.FsyncPolicy;
import io.logship.log.LogConfig;
import io.logship.log.SegmentedLog;
import io.logship.node.pipeline.RecentBatches;
import io.logship.node.read.BatchIterator;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The conductor ships batches from the replication window only when they are the log's
 * ({@link ReplicationPublisher#isTheLogs}): a window still holding a term this node led before another leader
 * rewrote those offsets must send the conductor to the log, or a follower would be sent batches the log no longer
 * has (docs/DESIGN.md#replication-window).
 */
class ReplicationWindowEpochTest
{
    @TempDir
    Path dir;

    private SegmentedLog log;
    private final RecentBatches window = new RecentBatches(64 * 1024, 64);
    private final UnsafeBuffer copy = new UnsafeBuffer(ByteBuffer.allocateDirect(64 * 1024));
    private final BatchBuilder builder = new BatchBuilder(4096);
    private int lastLength;

    @BeforeEach
    void open()
    {
        log = SegmentedLog.open(new LogConfig().directory(dir.resolve("log")).fsyncPolicy(FsyncPolicy.INTERVAL)
            .conclude());
    }

    @AfterEach
    void close()
    {
        log.close();
    }

    @Test
    void shouldShipFromTheWindowWhatThisTermWrote()
    {
        for (int i = 0; i < 3; i++)
        {
            appendAndPublish(1, "k" + i);
        }
        final int length = window.read(0, log.logEndOffset(), 64 * 1024, copy);
        assertThat(length).isPositive();
        assertThat(isTheLogs(length)).isTrue();
    }

    @Test
    void shouldRefuseAWindowWhoseOffsetsAnotherLeaderRewrote()
    {
        for (int i = 0; i < 3; i++)
        {
            appendAndPublish(1, "old" + i); // offsets 0, 1, 2 in epoch 1, in the window too
        }
        // This node lost the lead; the new leader's log kept only offset 0, and its epoch 2 wrote 1, 2 and 3. The
        // window was not cleared yet: the journal clears it when it opens this node's next epoch.
        log.truncateTo(1);
        for (int i = 1; i < 4; i++)
        {
            append(2, "new" + i);
        }

        final int all = window.read(0, log.logEndOffset(), 64 * 1024, copy);
        assertThat(all).as("the window still holds 0..2 of epoch 1").isPositive();
        assertThat(isTheLogs(all)).as("0 is the log's, 2 is not").isFalse();

        final int rewritten = window.read(1, log.logEndOffset(), 64 * 1024, copy);
        assertThat(isTheLogs(rewritten)).isFalse();

        final int kept = window.read(0, 1, 64 * 1024, copy);
        assertThat(isTheLogs(kept)).as("offset 0 survived the truncation unchanged").isTrue();
    }

    private boolean isTheLogs(final int length)
    {
        return ReplicationPublisher.isTheLogs(log.epochHistory(), new BatchIterator().wrap(copy, length), copy);
    }

    private void appendAndPublish(final int epoch, final String key)
    {
        final long base = append(epoch, key);
        window.publish(builder.buffer(), 0, lastLength, base, base + 1);
    }

    private long append(final int epoch, final String key)
    {
        builder.reset(epoch, System.currentTimeMillis());
        builder.put(key.getBytes(StandardCharsets.UTF_8), "v".getBytes(StandardCharsets.UTF_8));
        lastLength = builder.build();
        return log.appendAsLeader(builder.buffer(), 0, lastLength, false);
    }
}
