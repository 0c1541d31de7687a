package io.logship.system.harness;

import io.logship.client.LogshipClient;
import io.logship.client.WriteResult;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code logship promote N} of the next node while one client pipelines quorum writes: the switchover every test of a
 * graceful handover under load starts from. It checks what the operator sees (the CLI succeeds and says N leads and
 * how long writes paused; the old leader logs the handover) and returns once every write is answered; the caller
 * checks what became of them.
 */
public final class Switchover
{
    private Switchover()
    {
    }

    /**
     * Writes {@code count} keys through {@code client}, promotes the leader's successor (id modulo 3, plus one) after
     * the first 1,000 are acknowledged, and waits for every answer.
     */
    public static AckedWrites underLoad(final TestCluster cluster, final LogshipClient client, final String prefix,
        final int count) throws Exception
    {
        final AckedWrites writes = new AckedWrites(prefix, count);
        final ExecutorService load = Executors.newSingleThreadExecutor();
        try
        {
            final Future<List<CompletableFuture<WriteResult>>> issued = load.submit(() -> writes.write(client, 0, count));
            Poll.until("1000 acknowledged writes before the switchover", Duration.ofSeconds(60),
                () -> writes.ackedCount() >= 1000, () -> writes.ackedCount() + " acked");
            final int from = cluster.leaderId();
            final int to = from % 3 + 1;
            final AdminCliProcess.Result promote = AdminCliProcess.run(cluster.dir(), Duration.ofSeconds(60), "promote",
                Integer.toString(to), "--config", cluster.node(to).configFile().toString());
            assertThat(promote.exitCode()).as("%s", promote).isZero();
            assertThat(promote.stdout()).as("%s", promote).contains("node " + to + " leads epoch")
                .contains("writes were paused for at most");
            assertThat(cluster.leaderId()).isEqualTo(to);
            assertThat(cluster.node(from).logContains("hands epoch")).isTrue();
            AckedWrites.awaitAll(issued.get(120, TimeUnit.SECONDS), 120);
        }
        finally
        {
            load.shutdownNow();
        }
        return writes;
    }
}
