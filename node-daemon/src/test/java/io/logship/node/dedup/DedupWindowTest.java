package io.logship.node.dedup;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class DedupWindowTest
{
    @Test
    void shouldAnswerARetryWithTheOriginalOffset()
    {
        final DedupWindow window = new DedupWindow(8, 512, 4);
        window.onPublished(42, 1);
        assertThat(window.lookup(42, 1)).isEqualTo(DedupWindow.IN_FLIGHT);
        window.onResult(42, 1, 100);
        assertThat(window.lookup(42, 1)).isEqualTo(100);
        assertThat(window.lookup(42, 2)).isEqualTo(DedupWindow.NEW);
        assertThat(window.lookup(43, 1)).isEqualTo(DedupWindow.UNKNOWN_CLIENT);
    }

    @Test
    void shouldLetAFailedWriteBeRetried()
    {
        final DedupWindow window = new DedupWindow(8, 512, 4);
        window.onPublished(42, 1);
        window.onResult(42, 1, -1);
        assertThat(window.lookup(42, 1)).isEqualTo(DedupWindow.NEW);
    }

    @Test
    void shouldLetAFailedStragglerBelowTheRingBeRetried()
    {
        final DedupWindow window = new DedupWindow(8, 512, 4);
        for (long sequence = 2; sequence <= 20; sequence++)
        {
            window.onAppended(42, sequence, 100 + sequence);
        }
        window.onPublished(42, 1);
        window.onResult(42, 1, -1);
        assertThat(window.lookup(42, 1)).isEqualTo(DedupWindow.NEW);
    }

    /**
     * The failover bug: a client's in-flight limit bounds how many writes are outstanding, not how far apart
     * their sequences are. One write lost with the old leader and retried late, while the client's other
     * writes went on at the new leader, is far below the ring of recent sequences; it was answered "older
     * than the de-duplication window" (INVALID) although it was never stored.
     */
    @Test
    void shouldTreatAWriteLostInAFailoverAsNewThoughTheClientRanFarAhead()
    {
        final DedupWindow window = new DedupWindow(8, 512, 4);
        window.reset(1000);
        for (long sequence = 1; sequence <= 40; sequence++)
        {
            if (sequence != 5)
            {
                window.onAppended(42, sequence, 1000 + sequence);
            }
        }
        assertThat(window.lookup(42, 5)).isEqualTo(DedupWindow.NEW);
    }

    @Test
    void shouldSendTheSearchForAWrittenSequenceBelowTheRingToItsGroup()
    {
        final DedupWindow window = new DedupWindow(8, 512, 4);
        window.reset(1000);
        for (long sequence = 1; sequence <= 40; sequence++)
        {
            window.onAppended(42, sequence, 1000 + sequence);
        }
        assertThat(window.lookup(42, 33)).isEqualTo(1033);
        assertThat(window.lookup(42, 12)).isEqualTo(DedupWindow.SEARCH);
        assertThat(window.searchFrom()).isEqualTo(1001);
    }

    @Test
    void shouldKeepTheNewerOffsetWhenAStragglerMapsToItsSlot()
    {
        final DedupWindow window = new DedupWindow(8, 512, 4);
        for (long sequence = 1; sequence <= 16; sequence++)
        {
            if (sequence != 3)
            {
                window.onPublished(42, sequence);
                window.onResult(42, sequence, 100 + sequence);
            }
        }
        window.onPublished(42, 3); // lost in a failover, retried late: slot 3 holds sequence 11
        window.onResult(42, 3, 200);
        assertThat(window.lookup(42, 11)).isEqualTo(111);
        assertThat(window.lookup(42, 3)).isEqualTo(DedupWindow.SEARCH);
        assertThat(window.searchFrom()).isEqualTo(101);
    }

    @Test
    void shouldKeepTheNewerOffsetWhenTheLogHoldsAStragglerAfterIt()
    {
        // Rebuilding from the log meets records in offset order, where a straggler follows newer sequences.
        final DedupWindow window = new DedupWindow(8, 512, 4);
        window.reset(100);
        for (long sequence = 1; sequence <= 16; sequence++)
        {
            if (sequence != 3)
            {
                window.onAppended(42, sequence, 100 + sequence);
            }
        }
        window.onAppended(42, 3, 200);
        assertThat(window.lookup(42, 11)).isEqualTo(111);
    }

    @Test
    void shouldSayInFlightForAStragglerWhoseGroupHasNothingAppended()
    {
        final DedupWindow window = new DedupWindow(8, 512, 4);
        window.onPublished(42, 300);
        window.onResult(42, 300, 50);
        window.onPublished(42, 20);
        assertThat(window.lookup(42, 20)).isEqualTo(DedupWindow.IN_FLIGHT);
        window.onResult(42, 20, 60);
        assertThat(window.lookup(42, 20)).isEqualTo(DedupWindow.SEARCH);
        assertThat(window.searchFrom()).isEqualTo(60);
    }

    @Test
    void shouldForgetWhatWasWrittenOnceThePresenceSpanMovesOn()
    {
        final DedupWindow window = new DedupWindow(8, 512, 4);
        window.reset(0);
        for (long sequence = 1; sequence <= 100; sequence++)
        {
            window.onAppended(42, sequence, sequence);
        }
        for (long sequence = 600; sequence <= 700; sequence++)
        {
            window.onAppended(42, sequence, sequence);
        }
        // 513 shares sequence 1's bit; the bit was cleared when the span moved onto its group.
        assertThat(window.lookup(42, 513)).isEqualTo(DedupWindow.NEW);
        assertThat(window.lookup(42, 650)).isEqualTo(DedupWindow.SEARCH);
        assertThat(window.searchFrom()).isEqualTo(600);
        assertThat(window.lookup(42, 50)).isEqualTo(DedupWindow.BEYOND);
        assertThat(window.searchFrom()).isEqualTo(0);
    }

    @Test
    void shouldKnowAStragglerBelowThePresenceSpanIsInFlightUntilItsResult()
    {
        final DedupWindow window = new DedupWindow(8, 512, 4);
        window.onAppended(42, 2000, 10);
        window.onPublished(42, 7);
        assertThat(window.lookup(42, 7)).isEqualTo(DedupWindow.IN_FLIGHT);
        window.onResult(42, 7, 11);
        assertThat(window.lookup(42, 7)).isEqualTo(DedupWindow.BEYOND);
    }

    @Test
    void shouldAcceptASequenceThatArrivesAfterALaterOne()
    {
        final DedupWindow window = new DedupWindow(8, 512, 4);
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
        final DedupWindow window = new DedupWindow(8, 512, 2);
        window.onAppended(1, 1, 10);
        window.onAppended(2, 1, 20);
        window.lookup(1, 1);
        window.onAppended(3, 1, 30);
        assertThat(window.knows(1)).isTrue();
        assertThat(window.knows(2)).isFalse();
        assertThat(window.knows(3)).isTrue();
    }

    @Test
    void shouldVouchForUnknownClientsOnlyAboveWhatEvictedClientsWrote()
    {
        final DedupWindow window = new DedupWindow(8, 512, 2);
        window.reset(5);
        assertThat(window.lookup(1, 1)).isEqualTo(DedupWindow.UNKNOWN_CLIENT);
        assertThat(window.searchFrom()).isEqualTo(5);
        window.onAppended(1, 1, 10);
        window.onAppended(2, 1, 20);
        window.onPublished(2, 2);
        window.onAppended(3, 1, 30); // evicts client 1, which wrote below 31
        assertThat(window.lookup(1, 1)).isEqualTo(DedupWindow.UNKNOWN_CLIENT);
        assertThat(window.searchFrom()).isEqualTo(31);
        window.onAppended(4, 1, 40); // evicts client 2 while its sequence 2 is in the journal
        window.onResult(2, 2, 45);
        assertThat(window.lookup(2, 2)).isEqualTo(DedupWindow.UNKNOWN_CLIENT);
        assertThat(window.searchFrom()).isEqualTo(46);
        window.onPublished(5, 1); // a client created now is covered from there
        assertThat(window.lookup(5, 7)).isEqualTo(DedupWindow.NEW);
    }

    /**
     * A window rebuilt from the log's tail met only the client's newest writes: it must not claim the older
     * sequences were never written (their bits are clear only because it never saw them), and a write
     * published below that start must not make it vouch for the sequences between.
     */
    @Test
    void shouldSendSequencesBelowWhatTheRebuildMetToASearchBelowTheCoverage()
    {
        final DedupWindow window = new DedupWindow(8, 512, 4);
        window.reset(1000);
        for (long sequence = 294; sequence <= 300; sequence++)
        {
            window.onAppended(42, sequence, 1000 + sequence);
        }

        assertThat(window.lookup(42, 5)).isEqualTo(DedupWindow.BELOW_COVERAGE);
        assertThat(window.searchFrom()).isEqualTo(1000);
        assertThat(window.lookup(42, 293)).isEqualTo(DedupWindow.BELOW_COVERAGE);
        assertThat(window.lookup(42, 294)).isEqualTo(1294);
        assertThat(window.lookup(42, 301)).isEqualTo(DedupWindow.NEW);

        window.onPublished(42, 5); // the search found it nowhere: appended as new
        assertThat(window.lookup(42, 5)).isEqualTo(DedupWindow.IN_FLIGHT);
        window.onResult(42, 5, 1301);
        assertThat(window.lookup(42, 6)).isEqualTo(DedupWindow.BELOW_COVERAGE);
        assertThat(window.lookup(42, 5)).isEqualTo(DedupWindow.SEARCH);
    }

    @Test
    void shouldSendOlderSequencesOfAClientFirstMetAfterTheCoverageStartToASearchBelowIt()
    {
        final DedupWindow window = new DedupWindow(8, 512, 4);
        window.reset(1000);
        window.onPublished(42, 501);
        window.onResult(42, 501, 1000);

        assertThat(window.lookup(42, 500)).isEqualTo(DedupWindow.BELOW_COVERAGE);
        assertThat(window.lookup(42, 50)).isEqualTo(DedupWindow.BELOW_COVERAGE);
        assertThat(window.searchFrom()).isEqualTo(1000);
        assertThat(window.lookup(42, 502)).isEqualTo(DedupWindow.NEW);
    }

    /**
     * A client batch is told to the window in one call (one lookup of the client, not one per record). Its
     * verdicts must be those of its records told one by one: random batches of several clients, some failed,
     * some retried out of order, with evictions (more clients than the window holds), then every sequence asked.
     */
    @Test
    void shouldGiveTheSameVerdictsForABatchAsForItsRecordsOneByOne()
    {
        for (long seed = 1; seed <= 20; seed++)
        {
            final java.util.Random random = new java.util.Random(seed);
            final DedupWindow batched = new DedupWindow(64, 1024, 3);
            final DedupWindow single = new DedupWindow(64, 1024, 3);
            batched.reset(500);
            single.reset(500);
            final long[] next = new long[5];
            java.util.Arrays.fill(next, 1);
            long offset = 1000;
            for (int round = 0; round < 400; round++)
            {
                final int client = random.nextInt(next.length);
                final int count = 1 + random.nextInt(40);
                final boolean retry = next[client] > 100 && random.nextInt(8) == 0;
                final long first = retry ? next[client] - 1 - random.nextInt(90) : next[client];
                if (!retry)
                {
                    next[client] += count;
                }
                final int kind = random.nextInt(3);
                if (kind == 2)
                {
                    batched.onAppended(client, first, count, offset);
                    for (int i = 0; i < count; i++)
                    {
                        single.onAppended(client, first + i, offset + i);
                    }
                    offset += count;
                    continue;
                }
                batched.onPublished(client, first, count);
                for (int i = 0; i < count; i++)
                {
                    single.onPublished(client, first + i);
                }
                final long at = kind == 0 ? offset : -1;
                batched.onResult(client, first, count, at);
                for (int i = 0; i < count; i++)
                {
                    single.onResult(client, first + i, at < 0 ? -1 : at + i);
                }
                if (at >= 0)
                {
                    offset += count;
                }
            }
            for (int client = 0; client < next.length; client++)
            {
                for (long sequence = 1; sequence < next[client] + 5; sequence++)
                {
                    assertThat(batched.lookup(client, sequence)).as("seed %d client %d sequence %d", seed, client,
                        sequence).isEqualTo(single.lookup(client, sequence));
                    assertThat(batched.searchFrom()).as("seed %d client %d sequence %d: where to search", seed, client,
                        sequence).isEqualTo(single.searchFrom());
                }
            }
        }
    }
}
