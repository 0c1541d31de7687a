package io.logship.node;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class DedupWindowTest
{
    @Test
    void shouldAnswerARetryWithTheOriginalOffset()
    {
        final DedupWindow window = new DedupWindow(8, 4);
        window.onPublished(42, 1);
        assertThat(window.lookup(42, 1)).isEqualTo(DedupWindow.IN_FLIGHT);
        window.onResult(42, 1, 100);
        assertThat(window.lookup(42, 1)).isEqualTo(100);
        assertThat(window.lookup(42, 2)).isEqualTo(DedupWindow.NEW);
        assertThat(window.lookup(43, 1)).isEqualTo(DedupWindow.NEW);
    }

    @Test
    void shouldLetAFailedWriteBeRetried()
    {
        final DedupWindow window = new DedupWindow(8, 4);
        window.onPublished(42, 1);
        window.onResult(42, 1, -1);
        assertThat(window.lookup(42, 1)).isEqualTo(DedupWindow.NEW);
    }

    @Test
    void shouldSayTooOldBeyondTheWindow()
    {
        final DedupWindow window = new DedupWindow(8, 4);
        for (long sequence = 1; sequence <= 20; sequence++)
        {
            window.onPublished(42, sequence);
            window.onResult(42, sequence, 1000 + sequence);
        }
        assertThat(window.lookup(42, 20)).isEqualTo(1020);
        assertThat(window.lookup(42, 13)).isEqualTo(1013);
        assertThat(window.lookup(42, 12)).isEqualTo(DedupWindow.TOO_OLD);
    }

    @Test
    void shouldAcceptASequenceThatArrivesAfterALaterOne()
    {
        final DedupWindow window = new DedupWindow(8, 4);
        window.onPublished(42, 5);
        window.onResult(42, 5, 500);
        assertThat(window.lookup(42, 4)).isEqualTo(DedupWindow.NEW);
        window.onPublished(42, 4);
        window.onResult(42, 4, 501);
        assertThat(window.lookup(42, 4)).isEqualTo(501);
        assertThat(window.lookup(42, 5)).isEqualTo(500);
    }

    @Test
    void shouldEvictTheLeastRecentlyUsedClient()
    {
        final DedupWindow window = new DedupWindow(8, 2);
        window.onAppended(1, 1, 10);
        window.onAppended(2, 1, 20);
        window.lookup(1, 1);
        window.onAppended(3, 1, 30);
        assertThat(window.knows(1)).isTrue();
        assertThat(window.knows(2)).isFalse();
        assertThat(window.knows(3)).isTrue();
    }
}
