package io.logship.log;

import io.logship.LogshipException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static io.logship.log.EpochHistory.UNDEFINED_EPOCH;
import static io.logship.log.EpochHistory.UNDEFINED_OFFSET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class EpochHistoryTest
{
    @TempDir
    Path dir;

    private Path file()
    {
        return dir.resolve(SegmentedLog.EPOCH_CHECKPOINT_FILE);
    }

    private static EpochHistory.Entry entry(final int epoch, final long start)
    {
        return new EpochHistory.Entry(epoch, start);
    }

    private static EpochHistory.EpochEnd end(final int epoch, final long offset)
    {
        return new EpochHistory.EpochEnd(epoch, offset);
    }

    /** Epoch 1 from 0, 3 from 10, 5 from 20. */
    private EpochHistory threeEpochs()
    {
        final EpochHistory history = EpochHistory.load(file());
        history.assign(1, 0);
        history.assign(3, 10);
        history.assign(5, 20);
        return history;
    }

    @Test
    void shouldReportMissingFileAsLoadProblemWithEmptyHistory()
    {
        final EpochHistory history = EpochHistory.load(file());
        assertThat(history.loadProblem()).isEqualTo("missing");
        assertThat(history.entries()).isEmpty();
        assertThat(history.latestEpoch()).isEqualTo(UNDEFINED_EPOCH);
    }

    @Test
    void shouldAssignOnlyNewerEpochsAndIgnoreTheCurrentOne()
    {
        final EpochHistory history = threeEpochs();
        history.assign(5, 25);
        assertThat(history.entries()).containsExactly(entry(1, 0), entry(3, 10), entry(5, 20));
        assertThat(history.latestEpoch()).isEqualTo(5);
    }

    @Test
    void shouldRefuseAnOlderEpochAsAnErrorNamingBothEpochs()
    {
        final EpochHistory history = threeEpochs();
        final LogshipException ex = catchThrowableOfType(LogshipException.class, () -> history.assign(4, 30));
        assertThat(ex.category()).isEqualTo(LogshipException.Category.ERROR);
        assertThat(ex.getMessage()).contains("batch of epoch 4 at offset 30 is older than the log's latest epoch 5");
        assertThat(history.entries()).hasSize(3);
    }

    @Test
    void shouldRefuseANewEpochStartingBeforeTheLatestOne()
    {
        final EpochHistory history = threeEpochs();
        final LogshipException ex = catchThrowableOfType(LogshipException.class, () -> history.assign(6, 19));
        assertThat(ex.category()).isEqualTo(LogshipException.Category.FATAL);
        assertThat(ex.getMessage()).contains("epoch 6 cannot start at 19, before epoch 5 starts");
    }

    @Test
    void shouldAnswerEndOffsetForEveryEpoch()
    {
        final EpochHistory history = threeEpochs();
        assertThat(history.endOffsetFor(0, 30)).as("before the first epoch").isEqualTo(end(UNDEFINED_EPOCH, UNDEFINED_OFFSET));
        assertThat(history.endOffsetFor(1, 30)).isEqualTo(end(1, 10));
        assertThat(history.endOffsetFor(2, 30)).as("epoch 2 never wrote: epoch 1 ended at 10").isEqualTo(end(1, 10));
        assertThat(history.endOffsetFor(3, 30)).isEqualTo(end(3, 20));
        assertThat(history.endOffsetFor(4, 30)).isEqualTo(end(3, 20));
        assertThat(history.endOffsetFor(5, 30)).as("the latest epoch ends at the log end").isEqualTo(end(5, 30));
        assertThat(history.endOffsetFor(6, 30)).as("beyond the latest").isEqualTo(end(UNDEFINED_EPOCH, UNDEFINED_OFFSET));
    }

    @Test
    void shouldAnswerUndefinedForAnEmptyHistory()
    {
        final EpochHistory history = EpochHistory.load(file());
        assertThat(history.endOffsetFor(0, 0)).isEqualTo(end(UNDEFINED_EPOCH, UNDEFINED_OFFSET));
        assertThat(history.endOffsetFor(1, 10)).isEqualTo(end(UNDEFINED_EPOCH, UNDEFINED_OFFSET));
        assertThat(history.epochForOffset(0)).isEqualTo(UNDEFINED_EPOCH);
    }

    @Test
    void shouldPlaceOffsetsInTheirEpoch()
    {
        final EpochHistory history = threeEpochs();
        assertThat(history.epochForOffset(0)).isEqualTo(1);
        assertThat(history.epochForOffset(9)).isEqualTo(1);
        assertThat(history.epochForOffset(10)).isEqualTo(3);
        assertThat(history.epochForOffset(1000)).isEqualTo(5);
    }

    @Test
    void shouldForgetEpochsStartingAtOrAfterTheTruncationPoint()
    {
        final EpochHistory history = threeEpochs();
        history.truncateFromEnd(21);
        assertThat(history.entries()).containsExactly(entry(1, 0), entry(3, 10), entry(5, 20));
        history.truncateFromEnd(20);
        assertThat(history.entries()).containsExactly(entry(1, 0), entry(3, 10));
        history.truncateFromEnd(5);
        assertThat(history.entries()).containsExactly(entry(1, 0));
        history.truncateFromEnd(0);
        assertThat(history.entries()).isEmpty();
        assertThat(EpochHistory.load(file()).entries()).isEmpty();
    }

    @Test
    void shouldDropEpochsBeforeTheNewStartAndClampTheOneContainingIt()
    {
        final EpochHistory history = threeEpochs();
        history.truncateFromStart(0);
        assertThat(history.entries()).containsExactly(entry(1, 0), entry(3, 10), entry(5, 20));
        history.truncateFromStart(12);
        assertThat(history.entries()).containsExactly(entry(3, 12), entry(5, 20));
        history.truncateFromStart(20);
        assertThat(history.entries()).containsExactly(entry(5, 20));
        history.truncateFromStart(25);
        assertThat(history.entries()).containsExactly(entry(5, 25));
        assertThat(EpochHistory.load(file()).entries()).containsExactly(entry(5, 25));
    }

    @Test
    void shouldSurviveReloadAfterEveryChange()
    {
        final EpochHistory history = threeEpochs();
        assertThat(EpochHistory.load(file()).entries()).isEqualTo(history.entries());
        history.truncateFromEnd(20);
        history.assign(7, 15);
        final EpochHistory reloaded = EpochHistory.load(file());
        assertThat(reloaded.loadProblem()).isNull();
        assertThat(reloaded.entries()).containsExactly(entry(1, 0), entry(3, 10), entry(7, 15));
        reloaded.replaceWith(List.of(entry(2, 100)));
        assertThat(EpochHistory.load(file()).entries()).containsExactly(entry(2, 100));
    }

    @Test
    void shouldReplaceAnEpochThatWroteNothingWhenANewerOneStartsAtTheSameOffset()
    {
        final EpochHistory history = EpochHistory.load(file());
        history.assign(1, 0);
        history.assign(3, 10);
        history.assign(5, 10);
        assertThat(history.entries()).containsExactly(entry(1, 0), entry(5, 10));
        assertThat(history.endOffsetFor(3, 20)).isEqualTo(end(1, 10));
        final EpochHistory reloaded = EpochHistory.load(file());
        assertThat(reloaded.loadProblem()).isNull();
        assertThat(reloaded.entries()).containsExactly(entry(1, 0), entry(5, 10));
    }
}
