package io.logship.transport.auth;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class HmacWarmUpTest
{
    @Test
    void shouldEndOnceHmacRunsAtCompiledSpeedLongBeforeItsBudget()
    {
        final long budgetNs = TimeUnit.SECONDS.toNanos(60);

        final HmacWarmUp.Outcome outcome = HmacWarmUp.run(budgetNs);

        // A warm-up that ran to its budget would hold a starting node's CPU for nothing (and say so in its log).
        assertThat(outcome.compiled()).as(outcome.describe()).isTrue();
        assertThat(outcome.elapsedNs()).as(outcome.describe()).isLessThan(budgetNs);
        assertThat(outcome.lastStepNs()).as(outcome.describe()).isLessThanOrEqualTo(HmacWarmUp.COMPILED_CHUNK_NS);
        assertThat(outcome.describe()).startsWith("HMAC-SHA256 warmed up: ").contains(" MB/s");
    }

    @Test
    void shouldStopAtItsBudgetAndSaySoWhenHashingIsNotFastYet()
    {
        final HmacWarmUp.Outcome outcome = HmacWarmUp.run(0);

        // One step (sign and verify one chunk) is never enough: it takes two fast steps to end early.
        assertThat(outcome.bytes()).isEqualTo(2L * HmacWarmUp.CHUNK_BYTES);
        assertThat(outcome.compiled()).isFalse();
        assertThat(outcome.describe()).startsWith("HMAC-SHA256 still slow after its warm-up budget: 128 KiB hashed");
    }
}
