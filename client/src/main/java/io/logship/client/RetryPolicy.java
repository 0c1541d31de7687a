package io.logship.client;

import io.logship.transport.codec.Status;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Where each attempt goes and, when one fails, when and where the next goes (README.md "Behaviour"):
 * NOT_LEADER naming a leader goes there at once; NOT_LEADER without one, BUSY, UNAVAILABLE and FENCED
 * back off (10 ms doubling to 1 s, +/-20%); an attempt unanswered after {@code requestTimeoutMs} drops
 * that node's session (it may have restarted) and moves on to the next node; a node whose session cannot
 * be opened is skipped; every request fails by its deadline at the latest. Requests routed to one fixed
 * node never move on: they fail instead.
 *
 * <p>It only changes a request's retry state ({@code nextAttemptNs}, {@code rotation}, ...); the
 * {@link ClientConductor} sends the attempts. A write keeps its sequence across every attempt, so the
 * leader applies it once and answers a retry with the original offset.
 *
 * <p>Owned by the conductor thread; not thread-safe.
 */
final class RetryPolicy
{
    private static final long BACKOFF_MIN_NS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final long BACKOFF_MAX_NS = TimeUnit.SECONDS.toNanos(1);
    /** Back-pressure on our own publication: retry soon, on a later duty cycle. */
    private static final long BACK_PRESSURE_RETRY_NS = TimeUnit.MILLISECONDS.toNanos(1);

    private final ClientConfig config;
    private final NodeSessions sessions;
    private final InFlightRequests requests;
    private final long connectTimeoutNs;
    private int roundRobin;

    RetryPolicy(final ClientConfig config, final NodeSessions sessions, final InFlightRequests requests)
    {
        this.config = config;
        this.sessions = sessions;
        this.requests = requests;
        this.connectTimeoutNs = TimeUnit.MILLISECONDS.toNanos(config.connectTimeoutMs());
    }

    /** The node the request's next attempt goes to. */
    int chooseTarget(final ClientRequest request)
    {
        final int n = sessions.count();
        switch (request.routing)
        {
            case FIXED:
                return request.fixedNodeId;

            case LEADER:
            {
                final int leader = sessions.leaderId();
                if (leader >= 0)
                {
                    return leader;
                }
                if (request.rotation < 0)
                {
                    request.rotation = Math.floorMod(roundRobin++, n);
                }
                return sessions.at(Math.floorMod(request.rotation, n)).nodeId;
            }

            case PREFER_FOLLOWER:
            default:
            {
                if (request.rotation < 0)
                {
                    final int start = roundRobin++;
                    final int leader = sessions.leaderId();
                    request.rotation = Math.floorMod(start, n);
                    for (int i = 0; i < n; i++)
                    {
                        final int index = Math.floorMod(start + i, n);
                        if (sessions.at(index).nodeId != leader)
                        {
                            request.rotation = index;
                            break;
                        }
                    }
                }
                return sessions.at(Math.floorMod(request.rotation, n)).nodeId;
            }
        }
    }

    /** How long the node may take before it answers TIMEOUT itself. */
    int nodeTimeoutMs(final ClientRequest request, final long nowNs)
    {
        // The node gets 9/10 of the attempt so its TIMEOUT answer can arrive before the client's own timer.
        final long remainingMs = TimeUnit.NANOSECONDS.toMillis(request.deadlineNs - nowNs);
        final long attemptMs = Math.max(1, config.requestTimeoutMs() * 9 / 10);
        return (int)Math.max(1, Math.min(attemptMs, remainingMs));
    }

    /**
     * The target's session is not open: keep waiting for its Connect round, or give up on the node once a
     * round failed (or, for routed requests, once a Connect wait has lasted {@code connectTimeoutMs}).
     */
    void onSessionNotReady(final ClientRequest request, final NodeSession session, final long nowNs)
    {
        final int target = session.nodeId;
        session.ensureConnecting(nowNs);
        if (request.waitNodeId != target)
        {
            request.waitNodeId = target;
            request.waitSinceNs = nowNs;
            request.waitFailedRounds = session.failedRounds;
        }
        else if (session.failedRounds > request.waitFailedRounds)
        {
            if (request.routing == ClientRequest.Routing.FIXED)
            {
                requests.fail(request, ResponseStatus.UNREACHABLE, target, session.lastError, null);
            }
            else
            {
                moveOn(request, target, session.lastError, nowNs, false);
            }
        }
        else if (request.routing != ClientRequest.Routing.FIXED && nowNs - request.waitSinceNs >= connectTimeoutNs)
        {
            moveOn(request, target, session.describe() + " did not answer Connect within " +
                config.connectTimeoutMs() + " ms", nowNs, false);
        }
    }

    /** Our own publication to the node is back-pressured: the same node again, on a later duty cycle. */
    void onBackPressured(final ClientRequest request, final NodeSession session, final long nowNs)
    {
        request.nextAttemptNs = nowNs + BACK_PRESSURE_RETRY_NS;
        request.lastFailure = "publication to " + session.describe() + " back-pressured";
    }

    /** Nothing subscribes at the node's endpoint: it is down, so forget its session. */
    void onNoSubscriber(final ClientRequest request, final NodeSession session, final long nowNs)
    {
        session.disconnect(session.describe() + ": no subscriber at its endpoint (is it running?)");
        if (request.routing == ClientRequest.Routing.FIXED)
        {
            request.lastFailure = session.lastError;
        }
        else
        {
            moveOn(request, session.nodeId, session.lastError, nowNs, false);
        }
    }

    /**
     * NOT_LEADER, BUSY, UNAVAILABLE or FENCED: follow the redirect, back off, or move on.
     *
     * @return true if the request should be sent again at once (a redirect to the named leader).
     */
    boolean onRetryable(
        final ClientRequest request,
        final Status status,
        final int target,
        final int answeredLeader,
        final int epoch,
        final String message,
        final long nowNs)
    {
        final String reason = sessions.describeNode(target) + " answered " + status +
            (message.isEmpty() ? "" : ": " + message);
        if (status == Status.BUSY)
        {
            request.lastFailure = reason;
            request.nextAttemptNs = nowNs + backoffNs(request.attempts);
            return false;
        }
        if (request.routing == ClientRequest.Routing.FIXED)
        {
            requests.fail(request, ResponseStatus.fromWire(status), target, reason + (answeredLeader >= 0 ?
                " (leader is node " + answeredLeader + ")" : ""), null);
            return false;
        }
        if (status == Status.NOT_LEADER && answeredLeader >= 0 && answeredLeader != target &&
            null != sessions.get(answeredLeader))
        {
            final boolean newerLeadership = epoch > sessions.leaderEpoch();
            sessions.forgetLeader(target);
            sessions.learnLeader(answeredLeader, epoch);
            request.redirects++;
            if (sessions.leaderId() == answeredLeader)
            {
                if (newerLeadership)
                {
                    reconnectToNewLeader(sessions.get(answeredLeader), epoch, nowNs);
                }
                request.state = ClientRequest.WAITING;
                request.waitNodeId = -1;
                request.lastFailure = reason + " (leader is node " + answeredLeader + ")";
                // Go to the named leader at once, unless nodes keep redirecting in a circle (mid-election).
                request.nextAttemptNs = request.redirects <= 2 * sessions.count() ?
                    nowNs : nowNs + backoffNs(request.attempts);
                return true;
            }
            // The redirect named a leader of an older epoch than the client knows of: rotate instead.
        }
        moveOn(request, target, reason, nowNs, true);
        return false;
    }

    /**
     * A write answered TIMEOUT (its ack level not reached in time).
     *
     * @return true if it will be retried (ClientConfig.retryTimedOutWrites, deadline not passed); false if
     * the caller must fail it.
     */
    boolean retryTimedOutWrite(final ClientRequest request, final String reason, final long nowNs)
    {
        if (config.retryTimedOutWrites() && nowNs < request.deadlineNs)
        {
            // Idempotent: the leader answers the resend with the original offset once the level is reached.
            request.lastFailure = reason;
            request.nextAttemptNs = nowNs;
            return true;
        }
        return false;
    }

    /**
     * A follower named a leader of an epoch the client has heard nothing of from that leader (its NewLeader would
     * have told it first). The leader may have restarted since the client connected to it and have no session for
     * it, and would drop the request until its attempt timed out (docs/DESIGN.md#known-gaps): Connect first, which
     * costs a round trip when the session is there (a node answers a repeated Connect at once).
     */
    private void reconnectToNewLeader(final NodeSession leader, final int epoch, final long nowNs)
    {
        if (NodeSession.CONNECTED == leader.state)
        {
            leader.disconnect(leader.describe() + " leads epoch " + epoch + ", which it has not announced to this " +
                "client: connecting again in case it restarted since");
            leader.ensureConnecting(nowNs);
        }
    }

    /** The attempt went unanswered for {@code requestTimeoutMs}. */
    void onAttemptTimeout(final ClientRequest request, final long nowNs)
    {
        requests.abandonAttempt(request);
        final int target = request.targetNodeId;
        final NodeSession session = sessions.get(target);
        final String reason = session.describe() + " did not answer within " + config.requestTimeoutMs() + " ms";
        // The node may have restarted and forgotten the session: connect again now, before its next request.
        session.disconnect(reason);
        session.ensureConnecting(nowNs);
        if (request.kind == ClientRequest.Kind.PROMOTE || request.kind == ClientRequest.Kind.DEMOTE ||
            request.kind == ClientRequest.Kind.MEMBER_CHANGE)
        {
            requests.fail(request, ResponseStatus.DEADLINE_EXCEEDED, target, reason + ": the " +
                request.kind.operation + " may or may not have happened; check status before trying again", null);
            return;
        }
        moveOn(request, target, reason, nowNs, false);
    }

    /** The request's deadline passed: it fails, naming the last thing that went wrong. */
    void onDeadline(final ClientRequest request)
    {
        final int nodeId = request.targetNodeId >= 0 ? request.targetNodeId : request.waitNodeId;
        final String last = null != request.lastFailure ? request.lastFailure :
            request.state == ClientRequest.SENT ?
                sessions.describeNode(request.targetNodeId) + " had not answered yet" :
            request.waitNodeId >= 0 ? sessions.describeNode(request.waitNodeId) + " was not connected: " +
                sessions.get(request.waitNodeId).lastError : "no node was tried";
        requests.fail(request, ResponseStatus.DEADLINE_EXCEEDED, nodeId, "no answer within the deadline of " +
            config.deadlineMs() + " ms after " + request.attempts + " attempt" + (request.attempts == 1 ? "" : "s") +
            "; last: " + last, null);
    }

    /**
     * The attempt at {@code failedNodeId} failed: try the next node (routed requests) or the same one
     * (fixed), after a back-off if asked.
     */
    private void moveOn(
        final ClientRequest request,
        final int failedNodeId,
        final String reason,
        final long nowNs,
        final boolean backOff)
    {
        request.state = ClientRequest.WAITING;
        request.lastFailure = reason;
        request.waitNodeId = -1;
        if (request.routing != ClientRequest.Routing.FIXED)
        {
            sessions.forgetLeader(failedNodeId);
            final NodeSession failed = sessions.get(failedNodeId);
            request.rotation = null == failed ? request.rotation + 1 : failed.index + 1;
        }
        request.nextAttemptNs = backOff ? nowNs + backoffNs(request.attempts) : nowNs;
    }

    /** 10 ms doubling per attempt up to 1 s, +/-20% so clients retrying together spread out. */
    static long backoffNs(final int attempts)
    {
        final long base = Math.min(BACKOFF_MAX_NS, BACKOFF_MIN_NS << Math.min(Math.max(attempts - 1, 0), 7));
        return base + ThreadLocalRandom.current().nextLong(-base / 5, base / 5 + 1);
    }
}
