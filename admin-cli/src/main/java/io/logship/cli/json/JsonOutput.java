package io.logship.cli.json;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * How the CLI writes JSON (Jackson): every {@code --json} object and the {@code load --out} lines. Objects
 * keep the order their fields were added in and print on one line, because scripts and tests read the
 * output line by line and field for field (admin-cli/README.md lists the fields).
 *
 * <p>A non-finite number (NaN, infinity) has no JSON form and is written as {@code null}.
 *
 * <p>Stateless apart from one configured mapper, which Jackson makes safe to share: any thread may call it.
 */
public final class JsonOutput
{
    private static final ObjectMapper MAPPER = JsonMapper.builder().build();

    private JsonOutput()
    {
    }

    /** An empty object; its fields print in the order they are put. */
    public static ObjectNode object()
    {
        return MAPPER.createObjectNode();
    }

    /** An empty array. */
    public static ArrayNode array()
    {
        return MAPPER.createArrayNode();
    }

    /**
     * {@code value} rounded half-up to {@code scale} decimals and printed with exactly that many ({@code 9.0},
     * {@code 0.000}), as {@code String.format("%.Nf")} did before Jackson; {@code null} if it is NaN or infinite.
     */
    public static JsonNode decimal(final double value, final int scale)
    {
        if (!Double.isFinite(value))
        {
            return NullNode.getInstance();
        }
        return DecimalNode.valueOf(BigDecimal.valueOf(value).setScale(scale, RoundingMode.HALF_UP));
    }

    /** {@code node} as JSON text on one line, without a line end. */
    public static String write(final JsonNode node)
    {
        try
        {
            return MAPPER.writeValueAsString(node);
        }
        catch (final JsonProcessingException ex)
        {
            // A tree of plain nodes always serialises; this would be a Jackson bug, not bad input.
            throw new UncheckedIOException("cannot write JSON: " + ex.getMessage(), ex);
        }
    }

    /**
     * A streaming generator writing to {@code out} with nothing between top-level values: the caller ends
     * each line itself ({@code writeRaw('\n')}), so every value is one line. Closing it closes {@code out}.
     */
    public static JsonGenerator lineGenerator(final Writer out) throws IOException
    {
        final JsonGenerator generator = MAPPER.getFactory().createGenerator(out);
        generator.setRootValueSeparator(null);
        return generator;
    }
}
