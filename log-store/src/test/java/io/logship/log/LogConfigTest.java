package io.logship.log;

import io.logship.format.BatchDescriptor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThatNoException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LogConfigTest
{
    @TempDir
    static Path dir;

    static Stream<Arguments> badSettings()
    {
        final long minSegment = BatchDescriptor.HEADER_LENGTH * 4L;
        return Stream.of(
            Arguments.of((UnaryOperator<LogConfig>)c -> c.segmentBytes(100),
                "logship.log.segment.bytes=100 is outside [" + minSegment + ", " + LogConfig.SEGMENT_BYTES_MAX + "]"),
            Arguments.of((UnaryOperator<LogConfig>)c -> c.segmentBytes(LogConfig.SEGMENT_BYTES_MAX + 1),
                "logship.log.segment.bytes=" + (LogConfig.SEGMENT_BYTES_MAX + 1) + " is outside"),
            Arguments.of((UnaryOperator<LogConfig>)c -> c.indexIntervalBytes(0),
                "logship.log.index.interval.bytes=0 is outside [1, " + LogConfig.SEGMENT_BYTES_DEFAULT + "]"),
            Arguments.of((UnaryOperator<LogConfig>)c -> c.segmentBytes(4096).indexIntervalBytes(4097),
                "logship.log.index.interval.bytes=4097 is outside [1, 4096]"),
            Arguments.of((UnaryOperator<LogConfig>)c -> c.fsyncIntervalMs(0),
                "logship.log.fsync.interval.ms=0 is outside [1, 60000]"),
            Arguments.of((UnaryOperator<LogConfig>)c -> c.fsyncIntervalMs(60_001),
                "logship.log.fsync.interval.ms=60001 is outside [1, 60000]"),
            Arguments.of((UnaryOperator<LogConfig>)c -> c.retentionBytes(-2),
                "logship.log.retention.bytes=-2 is outside [0, " + Long.MAX_VALUE + "]"),
            Arguments.of((UnaryOperator<LogConfig>)c -> c.retentionMs(-5),
                "logship.log.retention.ms=-5 is outside [0, " + Long.MAX_VALUE + "]"));
    }

    @ParameterizedTest
    @MethodSource("badSettings")
    void shouldRejectBadSettingNamingPropertyValueAndRange(final UnaryOperator<LogConfig> setting, final String message)
    {
        final LogConfig config = setting.apply(new LogConfig().directory(dir));
        assertThatThrownBy(config::conclude).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
        assertThatThrownBy(() -> SegmentedLog.open(config)).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining(message);
    }

    @Test
    void shouldRejectMissingDirectoryAndFsyncPolicyByName()
    {
        assertThatThrownBy(() -> new LogConfig().conclude()).isInstanceOf(NullPointerException.class)
            .hasMessage("directory");
        assertThatThrownBy(() -> new LogConfig().directory(dir).fsyncPolicy(null).conclude())
            .isInstanceOf(NullPointerException.class).hasMessage(LogConfig.FSYNC_PROP);
    }

    @Test
    void shouldAcceptDefaultsAndDisabledRetention()
    {
        assertThatNoException().isThrownBy(() -> new LogConfig().directory(dir).retentionBytes(-1).retentionMs(-1)
            .conclude());
        assertThatNoException().isThrownBy(() -> new LogConfig().directory(dir).retentionBytes(0).retentionMs(0)
            .segmentBytes(BatchDescriptor.HEADER_LENGTH * 4).indexIntervalBytes(1).conclude());
    }
}
