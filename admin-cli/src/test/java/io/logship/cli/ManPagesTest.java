package io.logship.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The man pages the release ships: one per command, each mentioning what an operator looks for there. */
class ManPagesTest
{
    @TempDir
    Path dir;

    @Test
    void shouldWriteAPageAndAHelpTextForLogshipEverySubcommandAndLogshipd() throws Exception
    {
        final List<String> names = ManPages.write(dir, "9.9.9");

        assertThat(names).contains("logship", "logship-status", "logship-put", "logship-load",
            "logship-completion", "logship-secret", "logship-secret-generate", "logship-local-init",
            "logship-quarantine-show", "logshipd");
        for (final String name : names)
        {
            assertThat(dir.resolve("adoc/" + name + ".adoc")).isRegularFile();
            assertThat(Files.readString(dir.resolve("adoc/" + name + ".adoc")))
                .contains(":doctype: manpage").contains("== Name").contains("== Synopsis");
            assertThat(dir.resolve("txt/" + name + ".txt")).isRegularFile();
            assertThat(Files.readString(dir.resolve("txt/" + name + ".txt")))
                .contains("Usage: " + name.replace('-', ' '));
        }
    }

    @Test
    void shouldNameEverySubcommandOnItsParentsPageAndHaveAPageForIt() throws Exception
    {
        final List<String> names = ManPages.write(dir, "9.9.9");

        for (final CommandLine command : ManPages.commands(AdminCli.newCommandLine(), new java.util.ArrayList<>()))
        {
            final String page = ManPages.pageName(command.getCommandSpec());
            assertThat(names).contains(page);
            final String adoc = Files.readString(dir.resolve("adoc/" + page + ".adoc"));
            for (final String sub : command.getSubcommands().keySet())
            {
                assertThat(adoc).as(page + " names " + sub).contains(sub);
                assertThat(Files.readString(dir.resolve("txt/" + page + ".txt"))).as(page + " names " + sub)
                    .contains(sub);
            }
        }
        assertThat(Files.readString(dir.resolve("adoc/logship.adoc")))
            .contains("status", "put", "get", "delete", "tail", "verify", "promote", "demote", "load", "dump",
                "quarantine", "secret", "demo", "local", "completion")
            .contains("Exit Codes");
    }

    @Test
    void shouldDescribeLogshipdsThreeCommandLinesAndItsVersion() throws Exception
    {
        ManPages.write(dir, "9.9.9");

        final String adoc = Files.readString(dir.resolve("adoc/logshipd.adoc"));
        assertThat(adoc).contains("logshipd --config FILE").contains("logshipd --check-config --config FILE")
            .contains("logshipd --version").contains("logshipd 9.9.9").contains("143");
        assertThat(Files.readString(dir.resolve("txt/logshipd.txt"))).contains("--check-config");
    }
}
