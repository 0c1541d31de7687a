package io.logship.node.pipeline;

/** Names shared by error messages so they point the operator at the setting to change. */
final class NodeLimits
{
    static final String BATCH_MAX_BYTES_NAME = "logship.node.batch.max.bytes";

    private NodeLimits()
    {
    }
}
