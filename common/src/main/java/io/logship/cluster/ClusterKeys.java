package io.logship.cluster;

/**
 * The configuration keys that more than one module reads: the node ({@code NodeConfig}) and the operator CLI
 * ({@code logship --config FILE}, {@code logship local init}) both read a node's config file, so the names live
 * here once instead of being retyped as strings in each. Keys only one module reads stay with that module's
 * configuration class. All keys share the {@code logship.} namespace (docs/STYLE.md).
 */
public final class ClusterKeys
{
    /** This node's id: one of the ids in {@link #CLUSTER_NODES}. */
    public static final String NODE_ID = "logship.node.id";
    /** The members as {@code id@host:port,...}: parsed by {@link MemberList#parse}. */
    public static final String CLUSTER_NODES = "logship.cluster.nodes";
    /**
     * {@code true} on a node joining a running cluster: its own entry of {@link #CLUSTER_NODES} is not part of its
     * seed configuration, so it starts as a non-member (never stands, grants no vote) and learns the member set from
     * the MEMBERS records it replicates once the leader added it ({@code logship member add}). Default false.
     */
    public static final String CLUSTER_JOIN = "logship.cluster.join";
    /** The file holding the cluster's shared HMAC secret. */
    public static final String SECRET_FILE = "logship.cluster.secret.file";
    /** The node's data directory (log, store, state, quarantine). */
    public static final String DATA_DIR = "logship.node.data.dir";
    /** The largest batch a node accepts, in bytes; named by both the node's error messages and the client. */
    public static final String BATCH_MAX_BYTES = "logship.node.batch.max.bytes";

    private ClusterKeys()
    {
    }
}
