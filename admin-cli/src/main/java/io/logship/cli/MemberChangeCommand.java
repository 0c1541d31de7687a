package io.logship.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.logship.LogshipException;
import io.logship.cli.json.JsonOutput;
import io.logship.client.LogshipClient;
import io.logship.client.LogshipClientException;
import io.logship.client.MemberChange;
import io.logship.client.MemberChangeResult;
import io.logship.cluster.MemberList;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code logship member add|promote|remove}: one single-server membership change (docs/DESIGN.md#membership), sent to
 * the leader, which checks its rules, appends one MEMBERS record and answers once that record is committed. Each
 * command prints the leader's answer; a refusal (exit 1) is the leader's message, which names the rule and what to do.
 * Arguments are checked here first (exit 2), so a typo never reaches the cluster.
 */
abstract class MemberChangeCommand extends CliCommand implements Callable<Integer>
{
    /** Longer than a node's own request timeout (logship.node.request.timeout.ms, 5 s) so its TIMEOUT arrives first. */
    static final long DEFAULT_TIMEOUT_MS = 10_000;

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--json", description = "Print one JSON object: {\"status\":\"OK\",\"configurationOffset\":O," +
        "\"message\":...,...}; on a refusal the same object with the status (INVALID, TIMEOUT, ...) and offset -1 " +
        "(the message also goes to stderr).")
    boolean json;

    /** Checks the arguments before anything is sent; throws a usage error (exit 2). */
    abstract void validate();

    abstract String operation();

    abstract MemberChangeResult send(LogshipClient client);

    /** One line saying what is now true, after {@code result}. */
    abstract String describe(MemberChangeResult result);

    @Override
    public Integer call()
    {
        validate();
        final ClusterOptions.Target target = cluster.resolve(DEFAULT_TIMEOUT_MS);
        target.requireSecret(operation());
        try (LogshipClient client = target.connect())
        {
            final MemberChangeResult result = change(this, json, operation(), () -> send(client));
            if (json)
            {
                printJson(toJson(operation(), result));
            }
            else
            {
                println(describe(result));
            }
        }
        return AdminCli.EXIT_OK;
    }

    /**
     * Runs one change; a failure becomes exit 1 with the client's one-line message (it names the node and the leader's
     * rule), after printing the failure object with {@code --json}.
     */
    static MemberChangeResult change(final CliCommand command, final boolean json, final String operation,
        final java.util.function.Supplier<MemberChangeResult> call)
    {
        try
        {
            return call.get();
        }
        catch (final LogshipClientException ex)
        {
            if (json)
            {
                command.printJson(JsonOutput.object()
                    .put("status", ex.status().name())
                    .put("configurationOffset", -1L)
                    .put("message", ex.getMessage())
                    .put("operation", operation));
            }
            throw new CliException(AdminCli.EXIT_FAILED, ex.getMessage(), ex);
        }
    }

    /** The {@code --json} object of an accepted change: the contract's three fields first. */
    static ObjectNode toJson(final String operation, final MemberChangeResult result)
    {
        return JsonOutput.object()
            .put("status", "OK")
            .put("configurationOffset", result.configurationOffset())
            .put("message", result.message())
            .put("operation", operation)
            .put("leaderId", result.leaderId())
            .put("epoch", result.epoch());
    }

    /** What the leader said (it names the offset and the new members), or the offset if it said nothing. */
    static String committed(final MemberChangeResult result)
    {
        return "leader " + result.leaderId() + " (epoch " + result.epoch() + "): " + (result.message().isEmpty() ?
            "configuration at offset " + result.configurationOffset() + " committed" : result.message());
    }

    /** A node id argument: ids are 1 and above in every config. */
    static int checkId(final CliCommand command, final String what, final int id)
    {
        if (id < 1)
        {
            throw command.usage(what + "=" + id + " is invalid: expected a node id >= 1");
        }
        return id;
    }

    /** {@code ID@HOST:PORT}, the form of one {@code logship.cluster.nodes} entry; exit 2 naming the value otherwise. */
    static MemberList.Entry parseMember(final CliCommand command, final String what, final String value)
    {
        final List<MemberList.Entry> entries;
        try
        {
            entries = MemberList.parse(value, what, true);
        }
        catch (final LogshipException ex)
        {
            throw command.usage(ex.getMessage());
        }
        if (entries.size() != 1)
        {
            throw command.usage(what + " '" + value + "' is invalid: expected one ID@HOST:PORT (the new node's " +
                "entry as in logship.cluster.nodes), not " + entries.size());
        }
        return entries.get(0);
    }

    /**
     * {@code logship member add ID@HOST:PORT [--learner]}: always as a learner; the leader refuses a new voter outright
     * (it would hold none of the log), so there is no {@code --voter}: promote once caught up.
     */
    @Command(name = "add", mixinStandardHelpOptions = true,
        description = {
            "Add a node to the cluster as a learner: it replicates but is counted in no majority until 'member " +
                "promote'. Start the new node first with logship.cluster.join=true and its own entry in " +
                "logship.cluster.nodes (README, Members).",
            "Refused by the leader (exit 1, the message names the rule) while another change is not committed yet " +
                "and if the id or address is already a member."})
    static final class AddCommand extends MemberChangeCommand
    {
        @Parameters(index = "0", paramLabel = "ID@HOST:PORT",
            description = "The new node's id and replication endpoint, as its entry in logship.cluster.nodes.")
        String member;

        @Option(names = "--learner", description = "Add it as a learner: the default and only role of a new member " +
            "(promote it once it has caught up).")
        boolean learner;

        private MemberList.Entry entry;

        @Override
        void validate()
        {
            entry = parseMember(this, "ID@HOST:PORT", member);
        }

        @Override
        String operation()
        {
            return "member add";
        }

        @Override
        MemberChangeResult send(final LogshipClient client)
        {
            return client.changeMember(MemberChange.ADD, entry.id(), entry.address(), false);
        }

        @Override
        String describe(final MemberChangeResult result)
        {
            return "node " + entry.id() + " (" + entry.address() + ") added as a learner; " + committed(result) +
                System.lineSeparator() + "next: wait until 'logship member list' shows its LAG near 0, then " +
                "'logship member promote " + entry.id() + "'";
        }
    }

    /** {@code logship member promote ID}. */
    @Command(name = "promote", mixinStandardHelpOptions = true,
        description = {
            "Make learner ID a voter. Refused by the leader (exit 1) unless ID is within " +
                "1,000 records of the leader's log end (a fixed bound today), and while another " +
                "change is not committed yet.",
            "Not the same as 'logship promote NODE', which makes a voter the leader."})
    static final class PromoteCommand extends MemberChangeCommand
    {
        @Parameters(index = "0", paramLabel = "ID", description = "The learner's node id.")
        int id;

        @Override
        void validate()
        {
            checkId(this, "ID", id);
        }

        @Override
        String operation()
        {
            return "member promote";
        }

        @Override
        MemberChangeResult send(final LogshipClient client)
        {
            return client.changeMember(MemberChange.PROMOTE, id, null, false);
        }

        @Override
        String describe(final MemberChangeResult result)
        {
            return "node " + id + " is a voter; " + committed(result);
        }
    }

    /** {@code logship member remove ID}. */
    @Command(name = "remove", mixinStandardHelpOptions = true,
        description = {
            "Remove member ID (voter or learner). A running removed node exits with code 4 once it learns of it; its " +
                "data directory belongs to no cluster any more.",
            "Refused by the leader (exit 1, the message names the rule) for the leader itself (make another node " +
                "leader first: 'logship promote NODE'), if the voters the leader hears from would not be a majority " +
                "of the remaining set, and while another change is not committed yet."})
    static final class RemoveCommand extends MemberChangeCommand
    {
        @Parameters(index = "0", paramLabel = "ID", description = "The member's node id.")
        int id;

        @Override
        void validate()
        {
            checkId(this, "ID", id);
        }

        @Override
        String operation()
        {
            return "member remove";
        }

        @Override
        MemberChangeResult send(final LogshipClient client)
        {
            return client.changeMember(MemberChange.REMOVE, id, null, false);
        }

        @Override
        String describe(final MemberChangeResult result)
        {
            return "node " + id + " removed; " + committed(result);
        }
    }
}
