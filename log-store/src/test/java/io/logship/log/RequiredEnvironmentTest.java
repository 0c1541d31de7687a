package io.logship.log;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RequiredEnvironmentTest
{
    @AfterEach
    void clearProperty()
    {
        System.clearProperty(RequiredEnvironment.ALLOW_SKIP_PROPERTY);
    }

    @Test
    void shouldFailATestThatCannotRunItsCheckNamingThePropertyThatSkipsIt()
    {
        assertThatThrownBy(() -> RequiredEnvironment.require(false, "tmpfs", () -> "cannot mount a tmpfs"))
            .isInstanceOf(AssertionFailedError.class)
            .hasMessageContaining("cannot mount a tmpfs")
            .hasMessageContaining("-Dlogship.test.allowSkip=tmpfs");
    }

    @Test
    void shouldSkipOnlyWhatThePropertyNames()
    {
        System.setProperty(RequiredEnvironment.ALLOW_SKIP_PROPERTY, "node-daemon-jar, tmpfs");

        assertThatThrownBy(() -> RequiredEnvironment.require(false, "tmpfs", () -> "cannot mount a tmpfs"))
            .isInstanceOf(TestAbortedException.class);
        assertThatThrownBy(() -> RequiredEnvironment.require(false, "netns", () -> "no network namespace"))
            .isInstanceOf(AssertionFailedError.class);
    }

    @Test
    void shouldRunWhenTheEnvironmentIsThere()
    {
        assertThatCode(() -> RequiredEnvironment.require(true, "tmpfs", () -> "unused")).doesNotThrowAnyException();
    }
}
