package io.logship.cli;

/**
 * Names inside a node's data directory ({@code logship.node.data.dir}), as the node lays it out (node-daemon's
 * {@code Node} and {@code NodeConfig}): the offline commands (snapshot restore, reinit) work on them.
 */
final class DataDirectory
{
    static final String LOG = "log";
    static final String STORE = "store";
    static final String SNAPSHOTS = "snapshots";
    static final String NODE_STATE = "node-state";
    /** The log directory's lock file, held by a running node (log-store's LogDirectoryLock). */
    static final String LOG_LOCK = ".lock";

    private DataDirectory()
    {
    }
}
