package io.logship.node.pipeline;

import io.logship.cluster.ClusterKeys;

/** Names shared by error messages so they point the operator at the setting to change. */
final class NodeLimits
{
    static final String BATCH_MAX_BYTES_NAME = ClusterKeys.BATCH_MAX_BYTES;

    private NodeLimits()
    {
    }
}
