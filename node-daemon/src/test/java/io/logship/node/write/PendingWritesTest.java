package io.logship.node.write;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class PendingWritesTest
{
    private final List<String> completed = new ArrayList<>();
    private final PendingWrites.Completion completion = (c, client, offset, epoch, timedOut, count) ->
        completed.add(c + (timedOut ? ":timeout" : ":ok") + "@" + offset);

    @Test
    void shouldCompleteInOffsetOrderUpToTheReachedOffset()
    {
        final PendingWrites pending = new PendingWrites(16);
        pending.add(1, 7, 10, 1, Long.MAX_VALUE, 1);
        pending.add(2, 7, 11, 1, Long.MAX_VALUE, 1);
        pending.add(3, 7, 12, 1, Long.MAX_VALUE, 1);
        assertThat(pending.completeBelow(12, completion)).isEqualTo(2);
        assertThat(completed).containsExactly("1:ok@10", "2:ok@11");
        assertThat(pending.size()).isEqualTo(1);
    }

    @Test
    void shouldTimeOutAnyEntryPastItsDeadlineAndNeverAnswerItTwice()
    {
        final PendingWrites pending = new PendingWrites(16);
        pending.add(1, 7, 10, 1, 1_000, 1);
        pending.add(2, 7, 11, 1, 500, 1);
        pending.add(3, 7, 12, 1, 2_000, 1);
        assertThat(pending.expire(600, completion)).isEqualTo(1);
        assertThat(completed).containsExactly("2:timeout@11");
        pending.completeBelow(13, completion);
        assertThat(completed).containsExactly("2:timeout@11", "1:ok@10", "3:ok@12");
        assertThat(pending.size()).isZero();
    }

    @Test
    void shouldReportFullAtCapacity()
    {
        final PendingWrites pending = new PendingWrites(16);
        for (int i = 0; i < 16; i++)
        {
            assertThat(pending.isFull()).isFalse();
            pending.add(i, 7, i, 1, Long.MAX_VALUE, 1);
        }
        assertThat(pending.isFull()).isTrue();
    }

    @Test
    void shouldFailEverythingOnDrain()
    {
        final PendingWrites pending = new PendingWrites(16);
        pending.add(1, 7, 10, 1, Long.MAX_VALUE, 1);
        pending.add(2, 7, 11, 1, Long.MAX_VALUE, 1);
        pending.drain(completion);
        assertThat(completed).containsExactly("1:timeout@10", "2:timeout@11");
    }
}
