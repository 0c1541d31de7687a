package io.logship.client;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class RetryPolicyTest
{
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void shouldBackOffTenMillisecondsDoublingPerAttemptToOneSecondWithinTwentyPercent()
    {
        final long[] baseMs = {10, 10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000};
        for (int attempts = 0; attempts < baseMs.length; attempts++)
        {
            for (int i = 0; i < 200; i++)
            {
                final long backoffNs = RetryPolicy.backoffNs(attempts);
                assertThat(backoffNs).as("attempts=" + attempts)
                    .isBetween(baseMs[attempts] * MS * 4 / 5, baseMs[attempts] * MS * 6 / 5);
            }
        }
        assertThat(RetryPolicy.backoffNs(Integer.MAX_VALUE)).isLessThanOrEqualTo(1_200 * MS);
    }

    @Test
    void shouldGiveTheNodeNineTenthsOfTheAttemptCappedByWhatIsLeftOfTheDeadline()
    {
        final RetryPolicy policy = new RetryPolicy(new ClientConfig().requestTimeoutMs(1_000), null, null);
        final ClientRequest request = new ClientRequest(
            ClientRequest.Kind.WRITE, ClientRequest.Routing.LEADER, -1, new CompletableFuture<WriteResult>());
        final long nowNs = 5_000 * MS;

        request.deadlineNs = nowNs + 30_000 * MS;
        assertThat(policy.nodeTimeoutMs(request, nowNs)).as("far from the deadline").isEqualTo(900);

        request.deadlineNs = nowNs + 250 * MS;
        assertThat(policy.nodeTimeoutMs(request, nowNs)).as("the deadline is nearer").isEqualTo(250);

        request.deadlineNs = nowNs - 10 * MS;
        assertThat(policy.nodeTimeoutMs(request, nowNs)).as("never 0 or negative on the wire").isEqualTo(1);
    }
}
