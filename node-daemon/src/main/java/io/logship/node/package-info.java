/**
 * The logship node: one conductor thread ({@link io.logship.node.NodeAgent}) and its collaborators, one package
 * per job (ingress, egress, write, leader, follower, election, dedup, read, admin, status, fault).
 *
 * <h2>Vocabulary</h2>
 * <ul>
 *   <li><b>offset</b>: a record number in the log. The first record of a log is offset 0; "log end offset" is
 *   the offset the next record gets; "commit offset" and "applied offset" are exclusive (offsets below are
 *   committed, applied).</li>
 *   <li><b>position</b>: a byte position, in a buffer, a message or a file. Message handlers receive the
 *   message's {@code position} in the buffer; a batch's position in a read buffer is where its bytes start.</li>
 *   <li><b>epoch</b>: a leader's term; every batch carries the epoch of the leader that wrote it.</li>
 * </ul>
 * A parameter that counts bytes is never called an offset.
 */
package io.logship.node;
