package io.logship.system;

import io.logship.system.harness.Release;
import io.logship.system.harness.Shell;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The release's systemd files as systemd itself reads them: {@code systemd-analyze verify} on the unit and
 * {@code systemd-sysusers --dry-run} on the sysusers.d file, inside a scratch root laid out as the install section
 * of dist/README.md says (release at /opt/logship, unit in /etc/systemd/system), so the check includes that the
 * unit's ExecStartPre/ExecStart name files the release really has. Installs Debian's systemd package if the tools
 * are missing; skips with a printed reason only if they cannot be had.
 */
class SystemdUnitSystemTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    @TempDir
    Path dir;

    @BeforeAll
    static void requireSystemd()
    {
        if (null == Shell.which("systemd-analyze") && null != Shell.which("apt-get") && Shell.isRoot())
        {
            Shell.run(Duration.ofMinutes(5), "apt-get", "install", "-y", "-q", "systemd");
        }
        final boolean present = null != Shell.which("systemd-analyze") && null != Shell.which("systemd-sysusers");
        if (!present)
        {
            System.out.println("SystemdUnitSystemTest skipped: systemd-analyze is not installed and " +
                "`apt-get install -y systemd` could not install it (needs root and apt-get)");
        }
        Assumptions.assumeTrue(present, "systemd-analyze is not installed and could not be installed");
    }

    @Test
    void shouldPassSystemdAnalyzeVerifyWithTheReleaseInstalledUnderOptLogship() throws Exception
    {
        final Path root = installedRoot();

        final Shell.Result verify = Shell.run(TIMEOUT, "systemd-analyze", "verify", "--root=" + root,
            "/etc/systemd/system/logshipd.service");

        assertThat(verify.exitCode()).as(verify.toString()).isZero();
        // verify reports unknown keys and unparsable values as warnings with exit 0: any output is a finding.
        assertThat(verify.stdout() + verify.stderr()).as(verify.toString()).isEmpty();
    }

    @Test
    void shouldHaveSystemdAnalyzeRejectABrokenUnitSoThatTheCheckAboveCanFail() throws Exception
    {
        final Path root = installedRoot();
        final Path unit = root.resolve("etc/systemd/system/logshipd.service");
        Files.writeString(unit, Files.readString(unit).replace("ProtectHome=yes", "ProtectHome=maybe"));
        Files.delete(root.resolve("opt/logship/bin/logshipd"));

        final Shell.Result verify = Shell.run(TIMEOUT, "systemd-analyze", "verify", "--root=" + root,
            "/etc/systemd/system/logshipd.service");

        assertThat(verify.exitCode()).isNotZero();
        assertThat(verify.stderr()).contains("protect home value").contains("/opt/logship/bin/logshipd");
    }

    @Test
    void shouldDeclareTheServiceUserStateDirectoryHardeningAndNotify() throws Exception
    {
        final String unit = Files.readString(installedRoot().resolve("etc/systemd/system/logshipd.service"),
            StandardCharsets.UTF_8);

        assertThat(unit).contains("Type=notify", "NotifyAccess=all", "User=logship", "StateDirectory=logship",
            "EnvironmentFile=-/etc/default/logshipd", "NoNewPrivileges=yes", "ProtectSystem=strict",
            "ProtectHome=yes", "PrivateTmp=yes", "ReadWritePaths=/var/lib/logship",
            "ExecStartPre=/opt/logship/bin/logshipd --check-config --config /etc/logship/node.conf",
            "ExecStart=/opt/logship/bin/logshipd --config /etc/logship/node.conf", "RestartPreventExitStatus=2 4");
    }

    @Test
    void shouldCreateTheLogshipUserFromTheSysusersFile() throws Exception
    {
        final Path root = installedRoot();

        final Shell.Result sysusers = Shell.run(TIMEOUT, "systemd-sysusers", "--root=" + root, "--dry-run",
            root.resolve("usr/lib/sysusers.d/logship.conf").toString());

        assertThat(sysusers.exitCode()).as(sysusers.toString()).isZero();
        assertThat(sysusers.stdout() + sysusers.stderr()).contains("Creating user 'logship'")
            .doesNotContain("logship.conf:");
    }

    /**
     * A scratch root: the release at /opt/logship, its unit in /etc/systemd/system and its sysusers file in
     * /usr/lib/sysusers.d, plus a copy of the host's own units (multi-user.target and friends) for verify.
     */
    private Path installedRoot() throws Exception
    {
        final Path root = dir.resolve("root");
        Files.createDirectories(root.resolve("opt"));
        Files.createDirectories(root.resolve("etc/systemd/system"));
        Files.createDirectories(root.resolve("usr/lib/systemd"));
        Files.createDirectories(root.resolve("usr/lib/sysusers.d"));
        Files.createSymbolicLink(root.resolve("lib"), Path.of("usr/lib"));
        final Path release = Release.unpack(root.resolve("opt/logship"));
        Files.copy(release.resolve("systemd/logshipd.service"), root.resolve("etc/systemd/system/logshipd.service"));
        Files.copy(release.resolve("systemd/logship.sysusers.conf"), root.resolve("usr/lib/sysusers.d/logship.conf"));
        final Path hostUnits = Files.isDirectory(Path.of("/usr/lib/systemd/system")) ?
            Path.of("/usr/lib/systemd/system") : Path.of("/lib/systemd/system");
        Shell.run(TIMEOUT, "cp", "-a", hostUnits.toString(), root.resolve("usr/lib/systemd/").toString()).check();
        return root;
    }
}
