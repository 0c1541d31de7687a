package io.logship.cluster;

import io.logship.LogshipException;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static io.logship.cluster.MembershipTest.THREE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MembershipLogTest
{
    private final Membership withLearner = THREE.withLearner(4, "127.0.0.1", 7004);
    private final Membership four = withLearner.promoted(4, 100, 100, 0, Set.of(1, 2, 3));

    @Test
    void shouldPutAConfigurationInEffectAsSoonAsItsRecordIsAppended()
    {
        final MembershipLog log = new MembershipLog(THREE);

        log.append(50, withLearner);

        assertThat(log.current()).isEqualTo(withLearner);
        assertThat(log.currentOffset()).isEqualTo(50);
        assertThat(log.currentCommitted()).isFalse();
    }

    @Test
    void shouldRevertToThePreviousConfigurationWhenATruncationCutsTheRecord()
    {
        final MembershipLog log = new MembershipLog(THREE);
        log.append(50, withLearner);

        assertThat(log.truncateTo(51)).isFalse();
        assertThat(log.current()).isEqualTo(withLearner);
        assertThat(log.truncateTo(50)).isTrue();
        assertThat(log.current()).isEqualTo(THREE);
        assertThat(log.truncateTo(0)).isFalse();
        assertThat(log.current()).as("the base is never cut").isEqualTo(THREE);
    }

    @Test
    void shouldRefuseANewChangeUntilTheEpochAndThePreviousChangeAreCommitted()
    {
        final MembershipLog log = new MembershipLog(THREE);

        assertThat(log.refuseChange(-1)).contains("this leader's epoch is not committed yet");
        log.commit(40);
        assertThat(log.refuseChange(40)).contains("this leader's epoch is not committed yet");
        log.commit(41);
        assertThat(log.refuseChange(40)).isNull();

        log.append(50, withLearner);
        assertThat(log.refuseChange(40)).contains("the previous membership change (offset 50");
        log.commit(50);
        assertThat(log.refuseChange(40)).as("commit offset is exclusive").isNotNull();
        log.commit(51);
        assertThat(log.refuseChange(40)).isNull();
    }

    @Test
    void shouldForgetCommittedConfigurationsOlderThanTheNewestCommittedOne()
    {
        final MembershipLog log = new MembershipLog(THREE);
        log.append(50, withLearner);
        log.append(60, four);

        log.commit(55);

        assertThat(log.entries()).extracting(MembershipLog.Entry::offset).containsExactly(50L, 60L);
        log.truncateTo(60);
        assertThat(log.current()).isEqualTo(withLearner);
        log.truncateTo(10);
        assertThat(log.current()).as("a committed base survives").isEqualTo(withLearner);
    }

    @Test
    void shouldRefuseARecordThatChangesTwoVotersOrGoesBackwards()
    {
        final MembershipLog log = new MembershipLog(THREE);
        final Membership one = THREE.without(3, 1, Set.of(1, 2, 3)).without(2, 1, Set.of(1, 2));

        assertThatThrownBy(() -> log.append(10, one))
            .isInstanceOf(LogshipException.class)
            .hasMessageContaining("changes more than one voter");
        log.append(10, withLearner);
        assertThatThrownBy(() -> log.append(10, four)).hasMessageContaining("is not after the current one at 10");
    }

    @Test
    void shouldRestoreFromItsPersistedEntries()
    {
        final MembershipLog log = new MembershipLog(THREE);
        log.append(50, withLearner);

        final MembershipLog restored = new MembershipLog(MembershipCodec.decodeHistory(
            MembershipCodec.encodeHistory(log.entries())));

        assertThat(restored.entries()).isEqualTo(log.entries());
        assertThat(restored.current()).isEqualTo(withLearner);
        assertThat(restored.currentCommitted()).isFalse();
    }
}
