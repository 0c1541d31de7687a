package io.logship.client;

import io.logship.LogshipException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.util.Collections;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Where nodes send their answers: derived from the route to the cluster unless set (see ClientConfig#responseHost). */
class ClientConfigResponseHostTest
{
    @AfterEach
    void clearProperty()
    {
        System.clearProperty(ClientConfig.RESPONSE_HOST_PROP);
    }

    @Test
    void shouldAnswerOnLoopbackForAClusterOnLoopback()
    {
        final ClientConfig config = new ClientConfig().node(1, "127.0.0.1", 7001).conclude();

        assertThat(config.responseHost()).isEqualTo("127.0.0.1");
    }

    @Test
    void shouldUseTheSourceAddressOfTheRouteToTheFirstNode() throws Exception
    {
        // A non-loopback address of this host: the route to it leaves from it, as the route to a node on another
        // host leaves from the interface facing that host.
        final InetAddress own = Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
            .flatMap((nif) -> Collections.list(nif.getInetAddresses()).stream())
            .filter((a) -> a instanceof java.net.Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress())
            .findFirst().orElse(null);
        org.junit.jupiter.api.Assumptions.assumeTrue(null != own, "this host has no non-loopback IPv4 address");

        final ClientConfig config = new ClientConfig().node(2, own.getHostAddress(), 7002).node(3, "127.0.0.1", 7003)
            .conclude();

        assertThat(config.responseHost()).isEqualTo(own.getHostAddress());
    }

    @Test
    void shouldPreferTheSystemPropertyThenAnExplicitSetting()
    {
        System.setProperty(ClientConfig.RESPONSE_HOST_PROP, "127.0.0.2");

        assertThat(new ClientConfig().node(1, "127.0.0.1", 7001).conclude().responseHost()).isEqualTo("127.0.0.2");
        assertThat(new ClientConfig().node(1, "127.0.0.1", 7001).responseHost("127.0.0.3").conclude().responseHost())
            .isEqualTo("127.0.0.3");
    }

    @Test
    void shouldNameTheNodeWhenItsHostDoesNotResolve()
    {
        assertThatThrownBy(() -> new ClientConfig().node(1, "no-such-host.invalid", 7001).conclude())
            .isInstanceOf(LogshipException.class)
            .hasMessageContaining("responseHost")
            .hasMessageContaining("no-such-host.invalid:7001")
            .hasMessageContaining(ClientConfig.RESPONSE_HOST_PROP);
    }
}
