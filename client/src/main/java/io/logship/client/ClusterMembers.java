package io.logship.client;

import java.util.List;

/**
 * The cluster configuration one node has in effect (docs/DESIGN.md#membership), as {@code logship member list}
 * prints it.
 *
 * @param nodeId              the node that answered.
 * @param epoch               its epoch.
 * @param leaderId            the leader it knows, -1 if none.
 * @param configurationOffset offset of the log record carrying the configuration, -1 for the seed
 *                            ({@code logship.cluster.nodes}).
 * @param committed           whether that record is known committed on the answering node.
 * @param logEndOffset        the answering node's log end offset (how far a learner has to catch up).
 * @param members             every member, by id.
 */
public record ClusterMembers(int nodeId, int epoch, int leaderId, long configurationOffset, boolean committed,
    long logEndOffset, List<MemberStatus> members)
{
}
