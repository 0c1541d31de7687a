package io.logship.cli;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.zip.CRC32C;

/** Keys and values as the CLI shows them: UTF-8 text when they are valid UTF-8, else base64. */
final class Bytes
{
    static final String UTF8 = "utf-8";
    static final String BASE64 = "base64";

    private Bytes()
    {
    }

    /** The text form of {@code bytes} and its encoding name ({@link #UTF8} or {@link #BASE64}). */
    static String[] render(final byte[] bytes)
    {
        try
        {
            final String text = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes)).toString();
            return new String[]{ text, UTF8 };
        }
        catch (final CharacterCodingException ex)
        {
            return new String[]{ Base64.getEncoder().encodeToString(bytes), BASE64 };
        }
    }

    /** Unsigned CRC32C. */
    static long crc32c(final byte[] bytes)
    {
        final CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length);
        return crc.getValue();
    }
}
