package io.logship.cli;

import io.logship.client.AckLevel;
import picocli.CommandLine;

import java.util.Locale;

/** Option values in the CLI's lower-case vocabulary, with errors naming the value and what is accepted. */
final class Converters
{
    private Converters()
    {
    }

    static final class AckLevelConverter implements CommandLine.ITypeConverter<AckLevel>
    {
        @Override
        public AckLevel convert(final String value)
        {
            switch (value.trim().toLowerCase(Locale.ROOT))
            {
                case "leader": return AckLevel.LEADER;
                case "quorum": return AckLevel.QUORUM;
                case "all": return AckLevel.ALL;
                default:
                    throw new CommandLine.TypeConversionException("ack level '" + value +
                        "' is invalid: expected leader, quorum or all");
            }
        }
    }

    /** The read consistencies of {@code get --consistency}. */
    enum Consistency
    {
        LEADER, ANY, MIN_OFFSET
    }

    static final class ConsistencyConverter implements CommandLine.ITypeConverter<Consistency>
    {
        @Override
        public Consistency convert(final String value)
        {
            switch (value.trim().toLowerCase(Locale.ROOT))
            {
                case "leader": return Consistency.LEADER;
                case "any": return Consistency.ANY;
                case "min-offset":
                case "min_offset": return Consistency.MIN_OFFSET;
                default:
                    throw new CommandLine.TypeConversionException("consistency '" + value +
                        "' is invalid: expected leader, any or min-offset");
            }
        }
    }

    static String name(final AckLevel ackLevel)
    {
        return null == ackLevel ? null : ackLevel.name().toLowerCase(Locale.ROOT);
    }
}
