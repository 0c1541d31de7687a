package io.logship.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.logship.cli.json.JsonOutput;
import io.logship.client.ClusterMembers;
import io.logship.client.LogshipClient;
import io.logship.client.LogshipClientException;
import io.logship.client.MemberChange;
import io.logship.client.MemberChangeResult;
import io.logship.client.MemberStatus;
import io.logship.client.NodeStatus;
import io.logship.client.ResponseStatus;
import io.logship.cluster.MemberList;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code logship member replace OLD NEW@HOST:PORT}: the four single-server changes that swap one member for another
 * without ever leaving the cluster short of a majority (docs/DESIGN.md#membership): add NEW as a learner, wait until it
 * has caught up (the leader's {@code member list}: NEW's held end within {@link #CATCH_UP_RECORDS} of the leader's log
 * end), promote NEW, remove OLD. Each step is printed as it completes. It starts from what the leader reports, so a
 * replace that stopped half way can be run again: steps already done are skipped. A failed step stops it with exit 1,
 * naming the step reached and the leader's rule.
 *
 * <p>Runs on the CLI's main thread; the client's conductor does the I/O.
 */
@Command(name = "replace", mixinStandardHelpOptions = true,
    description = {
        "Replace member OLD by a new node NEW: add NEW as a learner, wait until it has caught up, promote it, remove " +
            "OLD. Prints each step. Start NEW first (logship.cluster.join=true, its own entry in logship.cluster.nodes: " +
            "README, Members). OLD may be down (that is the usual reason); it must not be the leader (make another " +
            "node leader first: 'logship promote NODE').",
        "Run again after a failure: steps already done are skipped. Exit 0 when OLD is gone and NEW is a voter, 1 if " +
            "a step fails (the message names the step and the leader's rule), 2 on a usage error."})
public final class MemberReplaceCommand extends CliCommand implements Callable<Integer>
{
    /** Default of --timeout-ms here: the bound on NEW's catch-up and on each request. */
    static final long DEFAULT_TIMEOUT_MS = 120_000;
    /** The leader's bound on a learner's lag for a promotion (MemberChanges.CATCH_UP_RECORDS on the node; no key yet). */
    static final long CATCH_UP_RECORDS = 1_000;
    /** Each request's deadline: longer than a node's own request timeout (5 s), so its TIMEOUT answer arrives first. */
    private static final long REQUEST_TIMEOUT_MS = MemberChangeCommand.DEFAULT_TIMEOUT_MS;
    private static final long POLL_INTERVAL_MS = 200;
    private static final long PROGRESS_INTERVAL_MS = 2_000;
    /** A promotion refused for being a little behind under load: ask again this many times. */
    private static final int PROMOTE_ATTEMPTS = 10;

    @Mixin
    ClusterOptions cluster;

    @Parameters(index = "0", paramLabel = "OLD", description = "The member to remove (it may be down).")
    int oldId;

    @Parameters(index = "1", paramLabel = "NEW@HOST:PORT",
        description = "The new node's id and replication endpoint, as its entry in logship.cluster.nodes.")
    String newMember;

    @Option(names = "--json", description = "One JSON object per step: {\"step\":...,\"status\":\"OK\"," +
        "\"configurationOffset\":O,\"message\":...}; a skipped step has status SKIPPED.")
    boolean json;

    private int step;
    private String stepName = "";

    @Override
    public Integer call()
    {
        MemberChangeCommand.checkId(this, "OLD", oldId);
        final MemberList.Entry fresh = MemberChangeCommand.parseMember(this, "NEW@HOST:PORT", newMember);
        if (fresh.id() == oldId)
        {
            throw usage("NEW " + fresh + " has the id of OLD " + oldId + ": a replacement needs a new id (the old id's " +
                "data dir may still exist; reusing it could revive stale state)");
        }
        final ClusterOptions.Target target = cluster.resolve(DEFAULT_TIMEOUT_MS);
        target.requireSecret("member replace");
        // Each request is bounded on its own (a leader that died mid-way costs one request, then the next poll finds
        // the new leader); --timeout-ms bounds the catch-up wait.
        final ClusterOptions.Target requests = new ClusterOptions.Target(target.nodes(), target.secretFile(),
            Math.min(target.timeoutMs(), REQUEST_TIMEOUT_MS), target.responseHost(), target.mtuLength());
        try (LogshipClient client = requests.connect())
        {
            run(client, requests, target.timeoutMs(), fresh);
        }
        return AdminCli.EXIT_OK;
    }

    private void run(final LogshipClient client, final ClusterOptions.Target target, final long catchUpTimeoutMs,
        final MemberList.Entry fresh)
    {
        final int newId = fresh.id();
        final ClusterMembers start = leaderMembers(client, target);
        final MemberStatus oldMember = find(start, oldId);
        final MemberStatus newMemberNow = find(start, newId);
        if (null != newMemberNow && !newMemberNow.address().equals(fresh.address()))
        {
            throw failed("node " + newId + " is already a member at " + newMemberNow.address() + ", not " +
                fresh.address() + ": pick a new id");
        }
        if (null == oldMember && (null == newMemberNow || !"voter".equals(newMemberNow.role())))
        {
            throw failed("node " + oldId + " is not a member (members: " + StatusCommand.describeMembers(start) +
                "): nothing to replace");
        }
        if (start.leaderId() == oldId)
        {
            throw failed("node " + oldId + " is the leader and a leader cannot remove itself: make another voter " +
                "leader first ('logship promote NODE'), then run this again");
        }

        begin(1, "add node " + newId + " (" + fresh.address() + ") as a learner");
        if (null != newMemberNow)
        {
            skipped("node " + newId + " is already a " + newMemberNow.role());
        }
        else
        {
            done(change(client, MemberChange.ADD, newId, fresh.address()));
        }

        if (null == newMemberNow || !"voter".equals(newMemberNow.role()))
        {
            begin(2, "wait until node " + newId + " has caught up (within " + CATCH_UP_RECORDS + " records)");
            final long lag = awaitCatchUp(client, target, newId, catchUpTimeoutMs);
            doneWaiting("node " + newId + " is " + lag + " records behind the leader");

            begin(3, "promote node " + newId + " to voter");
            done(promote(client, target, newId));
        }
        else
        {
            begin(2, "wait until node " + newId + " has caught up");
            skipped("node " + newId + " is already a voter");
            begin(3, "promote node " + newId + " to voter");
            skipped("node " + newId + " is already a voter");
        }

        begin(4, "remove node " + oldId);
        if (null == oldMember)
        {
            skipped("node " + oldId + " is no longer a member");
        }
        else
        {
            done(change(client, MemberChange.REMOVE, oldId, null));
        }
        if (!json)
        {
            println("replaced node " + oldId + " by node " + newId + " (" + fresh.address() + ")");
        }
    }

    /** The leader's member list (it alone reports each member's progress), re-finding the leader if it changed. */
    ClusterMembers leaderMembers(final LogshipClient client, final ClusterOptions.Target target)
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(target.timeoutMs());
        String last = "no node answered";
        while (true)
        {
            int leader = client.leaderId();
            if (leader < 0 || !target.knownNodes().containsKey(leader))
            {
                leader = -1;
                for (final StatusCommand.NodeReport report : StatusCommand.collect(target, client))
                {
                    final NodeStatus status = report.status();
                    if (null != status && "LEADER".equals(status.role()))
                    {
                        leader = status.nodeId();
                    }
                    else if (null != status)
                    {
                        last = "node " + status.nodeId() + " is " + status.role() + " and knows no leader";
                    }
                }
            }
            if (leader > 0)
            {
                try
                {
                    final ClusterMembers members = client.members(leader);
                    if (members.leaderId() == members.nodeId())
                    {
                        return members;
                    }
                    last = "node " + leader + " no longer leads (it names " + members.leaderId() + ")";
                }
                catch (final LogshipClientException ex)
                {
                    last = ex.getMessage();
                }
            }
            if (System.nanoTime() > deadlineNs)
            {
                throw failed("no leader answered the member list within " + target.timeoutMs() + " ms: " + last);
            }
            pause(POLL_INTERVAL_MS);
        }
    }

    private long awaitCatchUp(final LogshipClient client, final ClusterOptions.Target target, final int newId,
        final long timeoutMs)
    {
        final long startNs = System.nanoTime();
        final long deadlineNs = startNs + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        long lastProgressNs = startNs;
        String state = "not asked yet";
        while (System.nanoTime() < deadlineNs)
        {
            final ClusterMembers members = leaderMembers(client, target);
            final MemberStatus member = find(members, newId);
            if (null == member)
            {
                throw failed("node " + newId + " is no longer a member (members: " +
                    StatusCommand.describeMembers(members) + ")");
            }
            final long lag = member.heldEndOffset() < 0 ? -1 : Math.max(0, members.logEndOffset() - member.heldEndOffset());
            state = lag < 0 ? "it has not acked yet (is it running with logship.cluster.join=true?)" :
                "it holds the log up to " + member.heldEndOffset() + " of " + members.logEndOffset() + " (" + lag +
                " records behind)";
            if (lag >= 0 && lag <= CATCH_UP_RECORDS)
            {
                return lag;
            }
            if (!json && System.nanoTime() - lastProgressNs >= TimeUnit.MILLISECONDS.toNanos(PROGRESS_INTERVAL_MS))
            {
                lastProgressNs = System.nanoTime();
                println("  waiting: " + state);
            }
            pause(POLL_INTERVAL_MS);
        }
        throw failed("node " + newId + " did not catch up within " + timeoutMs + " ms (--timeout-ms): " +
            state + "; it stays a learner: run this again to go on");
    }

    /**
     * Promotes {@code newId}; a refusal is asked again a few times while the leader's list shows it a learner, because
     * under load a node that was caught up when polled can fall a little behind by the time the leader checks.
     */
    private MemberChangeResult promote(final LogshipClient client, final ClusterOptions.Target target, final int newId)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return client.changeMember(MemberChange.PROMOTE, newId, null, false);
            }
            catch (final LogshipClientException ex)
            {
                if (ex.status() != ResponseStatus.INVALID || attempt >= PROMOTE_ATTEMPTS)
                {
                    throw stepFailed(ex);
                }
                final MemberStatus member = find(leaderMembers(client, target), newId);
                if (null == member || !"learner".equals(member.role()))
                {
                    throw stepFailed(ex);
                }
                pause(POLL_INTERVAL_MS);
            }
        }
    }

    private MemberChangeResult change(
        final LogshipClient client, final MemberChange change, final int memberId, final String address)
    {
        try
        {
            return client.changeMember(change, memberId, address, false);
        }
        catch (final LogshipClientException ex)
        {
            throw stepFailed(ex);
        }
    }

    private void begin(final int number, final String name)
    {
        step = number;
        stepName = name;
        if (!json)
        {
            println("step " + number + "/4: " + name);
        }
    }

    private void done(final MemberChangeResult result)
    {
        if (json)
        {
            printJson(stepJson("OK", result.configurationOffset(), result.message()));
        }
        else
        {
            println("  done: " + MemberChangeCommand.committed(result));
        }
    }

    private void doneWaiting(final String message)
    {
        if (json)
        {
            printJson(stepJson("OK", -1, message));
        }
        else
        {
            println("  done: " + message);
        }
    }

    private void skipped(final String why)
    {
        if (json)
        {
            printJson(stepJson("SKIPPED", -1, why));
        }
        else
        {
            println("  skipped: " + why);
        }
    }

    ObjectNode stepJson(final String status, final long configurationOffset, final String message)
    {
        return JsonOutput.object()
            .put("step", step)
            .put("name", stepName)
            .put("status", status)
            .put("configurationOffset", configurationOffset)
            .put("message", message);
    }

    private CliException stepFailed(final LogshipClientException ex)
    {
        if (json)
        {
            printJson(stepJson(ex.status().name(), -1, ex.getMessage()));
        }
        return failed(ex.getMessage());
    }

    /** Exit 1, naming the step reached (0: before any change). */
    private CliException failed(final String message)
    {
        return new CliException(AdminCli.EXIT_FAILED, (step == 0 ? "nothing changed: " :
            "stopped at step " + step + "/4 (" + stepName + "): ") + message);
    }

    private static MemberStatus find(final ClusterMembers members, final int id)
    {
        for (final MemberStatus member : members.members())
        {
            if (member.id() == id)
            {
                return member;
            }
        }
        return null;
    }

    private static void pause(final long millis)
    {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(millis));
        if (Thread.currentThread().isInterrupted())
        {
            throw new CliException(AdminCli.EXIT_FAILED, "interrupted");
        }
    }
}
