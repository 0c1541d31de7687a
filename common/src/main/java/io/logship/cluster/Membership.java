package io.logship.cluster;

import io.logship.LogshipException;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * One cluster configuration: the members, each a voter or a learner (docs/DESIGN.md#membership). Immutable and
 * thread-safe; a change makes a new instance. The change methods enforce the single-server rules: one voter
 * added, promoted or removed at a time, a learner promoted only once caught up, and never a change after which
 * the voters the leader hears from would not be a majority. Each refusal is a {@link LogshipException} (ERROR)
 * whose message an operator can act on.
 */
public final class Membership
{
    private final List<Member> members;
    private final List<Member> voters;
    private final List<Member> learners;

    /**
     * @param members the members, in any order; listed by id from then on.
     * @throws LogshipException (ERROR) for an id below 1, an id or address listed twice, or no voter.
     */
    public Membership(final Collection<Member> members)
    {
        final List<Member> sorted = new ArrayList<>(members);
        sorted.sort(Comparator.comparingInt(Member::id));
        final List<Member> voterList = new ArrayList<>();
        final List<Member> learnerList = new ArrayList<>();
        for (int i = 0; i < sorted.size(); i++)
        {
            final Member member = sorted.get(i);
            if (member.id() < 1 || member.port() < 1 || member.port() > 65535 || null == member.role())
            {
                throw refused("member " + member + " needs an id ≥ 1, a port in [1, 65535] and a role");
            }
            for (int j = 0; j < i; j++)
            {
                final Member other = sorted.get(j);
                if (other.id() == member.id() || other.address().equals(member.address()))
                {
                    throw refused("members " + other + " and " + member + " share an id or an address");
                }
            }
            (member.voter() ? voterList : learnerList).add(member);
        }
        if (voterList.isEmpty())
        {
            throw refused("a configuration needs at least one voter, got " + sorted);
        }
        this.members = Collections.unmodifiableList(sorted);
        this.voters = Collections.unmodifiableList(voterList);
        this.learners = Collections.unmodifiableList(learnerList);
    }

    /** The first configuration: every entry of {@code logship.cluster.nodes} a voter. */
    public static Membership seed(final List<MemberList.Entry> entries)
    {
        final List<Member> seeded = new ArrayList<>();
        for (final MemberList.Entry entry : entries)
        {
            if (null == entry.id())
            {
                throw refused("seed entry " + entry + " has no id: expected id@host:port");
            }
            seeded.add(new Member(entry.id(), entry.host(), entry.port(), MemberRole.VOTER));
        }
        return new Membership(seeded);
    }

    /** Every member, by id. */
    public List<Member> members()
    {
        return members;
    }

    public List<Member> voters()
    {
        return voters;
    }

    public List<Member> learners()
    {
        return learners;
    }

    /** The member with {@code id}, or {@code null}. */
    public Member member(final int id)
    {
        for (final Member member : members)
        {
            if (member.id() == id)
            {
                return member;
            }
        }
        return null;
    }

    public boolean isVoter(final int id)
    {
        final Member member = member(id);
        return null != member && member.voter();
    }

    /** Voters needed for a majority: {@code voters / 2 + 1}. */
    public int majority()
    {
        return voters.size() / 2 + 1;
    }

    /** Whether the voters among {@code ids} make a majority; learners and strangers in {@code ids} count for nothing. */
    public boolean isMajority(final Collection<Integer> ids)
    {
        int count = 0;
        for (final Member voter : voters)
        {
            if (ids.contains(voter.id()))
            {
                count++;
            }
        }
        return count >= majority();
    }

    /**
     * Adds a learner: the voters, and so every majority, stay as they are.
     *
     * @throws LogshipException (ERROR) if the id or the address is already a member's.
     */
    public Membership withLearner(final int id, final String host, final int port)
    {
        final Member added = new Member(id, host, port, MemberRole.LEARNER);
        for (final Member member : members)
        {
            if (member.id() == id || member.address().equals(added.address()))
            {
                throw refused("cannot add " + added + ": " + member + " already has that " +
                    (member.id() == id ? "id" : "address"));
            }
        }
        final List<Member> next = new ArrayList<>(members);
        next.add(added);
        return new Membership(next);
    }

    /**
     * Makes learner {@code id} a voter.
     *
     * @param heldEndOffset      the end of the learner's log as it last acked, -1 if unknown.
     * @param leaderEndOffset    the leader's log end offset.
     * @param maxLagRecords      how far behind the learner may be and still be promoted.
     * @param reachableVoters    ids the leader heard from within its lease timeout, itself included.
     * @throws LogshipException (ERROR) if {@code id} is no learner, lags by more than {@code maxLagRecords}, or
     *                          the reachable voters and the learner would not be a majority of the new voters.
     */
    public Membership promoted(final int id, final long heldEndOffset, final long leaderEndOffset,
        final long maxLagRecords, final Set<Integer> reachableVoters)
    {
        final Member learner = member(id);
        if (null == learner)
        {
            throw refused("cannot promote node " + id + ": it is not a member (members " + members + ")");
        }
        if (learner.voter())
        {
            throw refused("cannot promote node " + id + ": it is already a voter");
        }
        final long lag = heldEndOffset < 0 ? Long.MAX_VALUE : leaderEndOffset - heldEndOffset;
        if (lag > maxLagRecords)
        {
            throw refused("cannot promote node " + id + " yet: it holds the log up to offset " + heldEndOffset +
                ", the leader's ends at " + leaderEndOffset + " (at most " + maxLagRecords +
                " records behind allowed); wait until 'logship member list' shows it caught up");
        }
        final Membership next = replaced(learner, learner.withRole(MemberRole.VOTER));
        return requireReachableMajority("promote node " + id, next, reachableVoters, id);
    }

    /**
     * Removes member {@code id}.
     *
     * @param leaderId        the leader making the change: it never removes itself.
     * @param reachableVoters ids the leader heard from within its lease timeout, itself included.
     * @throws LogshipException (ERROR) if {@code id} is no member, is the leader, is the last voter, or (for a
     *                          voter) the reachable voters would not be a majority of the remaining voters.
     */
    public Membership without(final int id, final int leaderId, final Set<Integer> reachableVoters)
    {
        final Member removed = member(id);
        if (null == removed)
        {
            throw refused("cannot remove node " + id + ": it is not a member (members " + members + ")");
        }
        if (id == leaderId)
        {
            throw refused("cannot remove node " + id + ": it is the leader; move the leadership first with " +
                "'logship promote OTHER_ID', then remove it");
        }
        final List<Member> next = new ArrayList<>(members);
        next.remove(removed);
        // A learner's removal changes no majority, so it cannot lose one.
        return removed.voter() ? requireReachableMajority("remove node " + id, new Membership(next), reachableVoters, -1) :
            new Membership(next);
    }

    /** Whether {@code next} differs from this configuration by at most one voter added or removed. */
    public boolean isSingleServerChangeTo(final Membership next)
    {
        final int added = count(next.voters, (member) -> !isVoter(member.id()));
        final int removed = count(voters, (member) -> !next.isVoter(member.id()));
        return added + removed <= 1;
    }

    private Membership replaced(final Member old, final Member replacement)
    {
        final List<Member> next = new ArrayList<>(members);
        next.set(next.indexOf(old), replacement);
        return new Membership(next);
    }

    private static Membership requireReachableMajority(final String change, final Membership next,
        final Set<Integer> reachableVoters, final int alsoReachable)
    {
        final List<Integer> reachable = new ArrayList<>(reachableVoters);
        reachable.add(alsoReachable);
        if (!next.isMajority(reachable))
        {
            final List<Integer> reachableNext = new ArrayList<>();
            for (final Member voter : next.voters)
            {
                if (reachable.contains(voter.id()))
                {
                    reachableNext.add(voter.id());
                }
            }
            throw refused("cannot " + change + ": it would leave no majority reachable (voters after the change " +
                ids(next.voters) + " need " + next.majority() + ", the leader hears from " + reachableNext + ")");
        }
        return next;
    }

    private static int count(final List<Member> list, final Predicate<Member> predicate)
    {
        int count = 0;
        for (final Member member : list)
        {
            if (predicate.test(member))
            {
                count++;
            }
        }
        return count;
    }

    private static List<Integer> ids(final List<Member> list)
    {
        final List<Integer> ids = new ArrayList<>();
        for (final Member member : list)
        {
            ids.add(member.id());
        }
        return ids;
    }

    private static LogshipException refused(final String message)
    {
        return new LogshipException(message, LogshipException.Category.ERROR);
    }

    @Override
    public boolean equals(final Object other)
    {
        return other instanceof Membership && ((Membership)other).members.equals(members);
    }

    @Override
    public int hashCode()
    {
        return members.hashCode();
    }

    /** {@code 1@host:port,2@host:port,4@host:port (learner)}. */
    @Override
    public String toString()
    {
        return members.toString();
    }
}
