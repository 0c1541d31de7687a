package io.logship.system.harness;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One JSON object the tests read: a {@code --json} answer of {@code bin/logship}, a line of {@code load --out} or
 * {@code quarantine show --json}, a body of a node's health endpoints. Parsed by Jackson rather than matched with
 * regular expressions, so a field is found whatever its position and a value is compared whole ({@code
 * "acknowledged":2000} never passes for 20000).
 *
 * <p>The getters are strict: a missing field, or one of another JSON type (a string where a number is expected, a
 * fraction where a whole number is), fails with an {@link AssertionError} naming the field, what it held, what was
 * expected and the whole object, so a failed test shows what the CLI printed.
 *
 * <p>Immutable; any thread may read it.
 */
public final class Json
{
    /** Duplicate keys fail the parse: the CLI never prints one, and a test must not read the first of two. */
    private static final ObjectMapper MAPPER = JsonMapper.builder()
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .build();

    private final JsonNode node;
    private final String where;

    private Json(final JsonNode node, final String where)
    {
        this.node = node;
        this.where = where;
    }

    /** {@code text} as one JSON object (surrounding white space allowed, nothing else). */
    public static Json parse(final String text)
    {
        return parse(text, "JSON text");
    }

    /** As {@link #parse(String)}; {@code source} (a command, a file and line) goes into failure messages. */
    public static Json parse(final String text, final String source)
    {
        final JsonNode parsed;
        try
        {
            parsed = MAPPER.readTree(text);
        }
        catch (final JsonProcessingException ex)
        {
            throw new AssertionError(source + " is not valid JSON (" + ex.getOriginalMessage() + "): " + text, ex);
        }
        if (null == parsed || !parsed.isObject())
        {
            throw new AssertionError(source + ": expected one JSON object, got " +
                (text.isBlank() ? "nothing" : text));
        }
        return new Json(parsed, source);
    }

    /** Every line of {@code text} as a JSON object (JSON Lines): a blank or malformed line fails, naming its number. */
    public static List<Json> parseLines(final String text, final String source)
    {
        final List<Json> objects = new ArrayList<>();
        final List<String> lines = text.lines().toList();
        for (int i = 0; i < lines.size(); i++)
        {
            objects.add(parse(lines.get(i), source + " line " + (i + 1)));
        }
        return objects;
    }

    /** Every line of the file as a JSON object, as {@link #parseLines(String, String)}. */
    public static List<Json> parseLines(final Path file)
    {
        try
        {
            return parseLines(Files.readString(file, StandardCharsets.UTF_8), file.toString());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read " + file, ex);
        }
    }

    /** The field names in the order they were printed. */
    public List<String> fieldNames()
    {
        final List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** Whether the field is present and {@code null}. */
    public boolean isNull(final String field)
    {
        return field(field, "a value").isNull();
    }

    /** A whole number that fits a {@code long}. */
    public long getLong(final String field)
    {
        final JsonNode value = field(field, "a whole number");
        if (!value.isIntegralNumber() || !value.canConvertToLong())
        {
            throw mismatch(field, value, "a whole number");
        }
        return value.longValue();
    }

    /** A whole number that fits an {@code int}. */
    public int getInt(final String field)
    {
        final JsonNode value = field(field, "a whole number (int)");
        if (!value.isIntegralNumber() || !value.canConvertToInt())
        {
            throw mismatch(field, value, "a whole number (int)");
        }
        return value.intValue();
    }

    /** A JSON string ({@code null} or a number is a mismatch, not converted). */
    public String getString(final String field)
    {
        final JsonNode value = field(field, "a string");
        if (!value.isTextual())
        {
            throw mismatch(field, value, "a string");
        }
        return value.textValue();
    }

    /** {@code true} or {@code false}. */
    public boolean getBoolean(final String field)
    {
        final JsonNode value = field(field, "true or false");
        if (!value.isBoolean())
        {
            throw mismatch(field, value, "true or false");
        }
        return value.booleanValue();
    }

    /** An array of objects, in order. */
    public List<Json> getObjects(final String field)
    {
        final JsonNode value = field(field, "an array of objects");
        if (!value.isArray())
        {
            throw mismatch(field, value, "an array of objects");
        }
        final List<Json> objects = new ArrayList<>();
        for (int i = 0; i < value.size(); i++)
        {
            final JsonNode element = value.get(i);
            if (!element.isObject())
            {
                throw mismatch(field + "[" + i + "]", element, "an object");
            }
            objects.add(new Json(element, where + " ." + field + "[" + i + "]"));
        }
        return objects;
    }

    /** An array of strings, in order. */
    public List<String> getStrings(final String field)
    {
        final JsonNode value = field(field, "an array of strings");
        if (!value.isArray())
        {
            throw mismatch(field, value, "an array of strings");
        }
        final List<String> strings = new ArrayList<>();
        for (int i = 0; i < value.size(); i++)
        {
            final JsonNode element = value.get(i);
            if (!element.isTextual())
            {
                throw mismatch(field + "[" + i + "]", element, "a string");
            }
            strings.add(element.textValue());
        }
        return strings;
    }

    /** The object as it was read, on one line: what failure messages and {@code as(...)} descriptions show. */
    @Override
    public String toString()
    {
        return node.toString();
    }

    private JsonNode field(final String field, final String expected)
    {
        final JsonNode value = node.get(field);
        if (null == value)
        {
            throw new AssertionError(where + ": no field \"" + field + "\" (expected " + expected + ") in " + node);
        }
        return value;
    }

    private AssertionError mismatch(final String field, final JsonNode value, final String expected)
    {
        return new AssertionError(where + ": field \"" + field + "\" is " + value + " (" +
            value.getNodeType().name().toLowerCase(Locale.ROOT) + "), expected " + expected + " in " + node);
    }
}
