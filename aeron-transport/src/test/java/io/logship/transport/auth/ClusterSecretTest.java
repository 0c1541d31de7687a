package io.logship.transport.auth;

import io.logship.transport.TransportException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ClusterSecretTest
{
    @TempDir
    Path dir;

    private Path write(final String content, final String mode) throws IOException
    {
        final Path file = dir.resolve("secret");
        Files.write(file, content.getBytes(StandardCharsets.US_ASCII));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        return file;
    }

    @Test
    void shouldLoadASecretReadableOnlyByItsOwner() throws IOException
    {
        final ClusterSecret secret = ClusterSecret.load(write("0123456789abcdef-secret", "rw-------"));
        assertThat(secret.length()).isEqualTo(23);
        assertThat(secret.toString()).doesNotContain("0123");
    }

    @Test
    void shouldRefuseASecretFileReadableByGroupOrOthers() throws IOException
    {
        final Path file = write("0123456789abcdef-secret", "rw-r--r--");
        assertThatThrownBy(() -> ClusterSecret.load(file))
            .isInstanceOf(TransportException.class)
            .hasMessageContaining(file.toString())
            .hasMessageContaining("has mode 0644 (rw-r--r--)")
            .hasMessageContaining("mode 0600")
            .hasMessageContaining("chmod 600 " + file);
    }

    @Test
    void shouldRefuseAnEmptyOrShortSecret() throws IOException
    {
        assertThatThrownBy(() -> ClusterSecret.load(write("", "rw-------")))
            .hasMessageContaining("is empty");
        assertThatThrownBy(() -> ClusterSecret.load(write("short", "r--------")))
            .hasMessageContaining("holds 5 bytes: expected at least 16");
        assertThatThrownBy(() -> ClusterSecret.load(dir.resolve("missing")))
            .hasMessageContaining("cannot read cluster secret file");
    }
}
