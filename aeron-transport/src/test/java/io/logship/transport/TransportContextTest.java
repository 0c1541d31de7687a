package io.logship.transport;

import io.aeron.driver.ThreadingMode;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TransportContextTest
{
    @Test
    void shouldDeriveAPerNodeAeronDirectoryAndDefaultsFor2Cores()
    {
        final TransportContext ctx = new TransportContext().nodeId(3).endpointPort(40100).conclude();
        assertThat(ctx.aeronDirectoryName()).endsWith("logship-3-" + System.getProperty("user.name"));
        assertThat(ctx.threadingMode()).isEqualTo(ThreadingMode.SHARED);
        assertThat(ctx.idleStrategy()).isEqualTo(IdleStrategyKind.BACKOFF);
        assertThat(ctx.localChannel()).isEqualTo("aeron:udp?endpoint=127.0.0.1:40100");
        // A client asks for Aeron's default; a node's config sets SOCKET_RCVBUF_DEFAULT (NodeConfigTest).
        assertThat(ctx.socketRcvbufLength()).isZero();
        assertThat(ctx.authenticationPolicy().requiresTag(2)).isTrue();
        assertThatThrownBy(ctx::conclude).hasMessageContaining("already concluded");
    }

    @Test
    void shouldNameTheBadValueOnConclude()
    {
        assertThatThrownBy(() -> new TransportContext().nodeId(1).termLength(3000).conclude())
            .isInstanceOf(TransportException.class)
            .hasMessage("logship.transport.term.length=3000 is invalid: expected a power of two in [65536, 1073741824]");
        assertThatThrownBy(() -> new TransportContext().nodeId(1).mtuLength(1000).conclude())
            .hasMessageStartingWith("logship.transport.mtu.length=1000 is invalid: expected a multiple of 32");
        assertThatThrownBy(() -> new TransportContext().nodeId(1).socketRcvbufLength(4096).conclude())
            .hasMessage("logship.transport.socket.rcvbuf=4096 is invalid: expected 0 (Aeron's default) or bytes in [65536, " +
                "1073741824]");
        assertThatThrownBy(() -> new TransportContext().nodeId(1).endpointPort(70000).conclude())
            .hasMessageStartingWith("logship.transport.endpoint.port=70000 is invalid");
        assertThatThrownBy(() -> new TransportContext().nodeId(1).publicationRetryLimit(-1).conclude())
            .hasMessageStartingWith("logship.transport.publication.retry.limit=-1 is invalid");
        assertThatThrownBy(() -> new TransportContext().nodeId(-1).aeronDirectoryName(null).conclude())
            .hasMessageStartingWith("logship.transport.aeron.dir=null is invalid");
        assertThatThrownBy(() -> new TransportContext().nodeId(1).threadingMode(io.aeron.driver.ThreadingMode.INVOKER)
            .conclude())
            .hasMessageStartingWith("logship.transport.threading.mode=INVOKER is invalid")
            .hasMessageContaining("needs an owner whose duty thread runs the driver");
        assertThatThrownBy(() -> new TransportContext().nodeId(1).threadingMode(io.aeron.driver.ThreadingMode.INVOKER)
            .invokedByOwner(true).embeddedDriver(false).conclude())
            .hasMessageStartingWith("logship.transport.threading.mode=INVOKER is invalid")
            .hasMessageContaining("needs an embedded driver");
        assertThatThrownBy(() -> IdleStrategyKind.parse("logship.transport.idle.strategy", "spinny"))
            .hasMessageContaining("spinny is not an idle strategy");
    }

    @Test
    void shouldReadTheNodeIdAndSecretFileFromTheNodeConfigKeys()
    {
        // A node id or secret file named once, by the node's own keys, must reach the transport: a second
        // transport-only key could silently disagree with the node's.
        System.setProperty("logship.node.id", "7");
        System.setProperty("logship.cluster.secret.file", "/etc/logship/secret");
        try
        {
            final TransportContext ctx = new TransportContext();
            assertThat(ctx.nodeId()).isEqualTo(7);
            assertThat(ctx.clusterSecretFile()).hasToString("/etc/logship/secret");
        }
        finally
        {
            System.clearProperty("logship.node.id");
            System.clearProperty("logship.cluster.secret.file");
        }
    }
}
