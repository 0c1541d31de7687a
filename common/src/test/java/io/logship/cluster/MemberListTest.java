package io.logship.cluster;

import io.logship.LogshipException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MemberListTest
{
    @Test
    void shouldParseIdsHostsAndPortsInOrder()
    {
        final List<MemberList.Entry> entries = MemberList.parse(" 2@10.0.0.2:7001, 1@host-a:7002 ,", "src", true);

        assertThat(entries).containsExactly(
            new MemberList.Entry(2, "10.0.0.2", 7001), new MemberList.Entry(1, "host-a", 7002));
        assertThat(entries.get(0).address()).isEqualTo("10.0.0.2:7001");
    }

    @Test
    void shouldAcceptBareAddressesOnlyWhereIdsAreOptional()
    {
        assertThat(MemberList.parse("127.0.0.1:7001", "--cluster", false))
            .containsExactly(new MemberList.Entry(null, "127.0.0.1", 7001));
        assertThatThrownBy(() -> MemberList.parse("127.0.0.1:7001", "node.conf: logship.cluster.nodes", true))
            .isInstanceOf(LogshipException.class)
            .hasMessage("node.conf: logship.cluster.nodes entry '127.0.0.1:7001' is not id@host:port");
    }

    @Test
    void shouldNameTheSourceAndTheEntryForEveryMalformedEntry()
    {
        assertThatThrownBy(() -> MemberList.parse("1@127.0.0.1", "s", true))
            .hasMessage("s entry '1@127.0.0.1' is not id@host:port");
        assertThatThrownBy(() -> MemberList.parse("x@h:1", "s", true))
            .hasMessage("s entry 'x@h:1' needs a numeric id and port, as in 1@127.0.0.1:7001");
        assertThatThrownBy(() -> MemberList.parse("0@h:1", "s", true))
            .hasMessage("s entry '0@h:1' needs an id ≥ 1 and a port in [1, 65535]");
        assertThatThrownBy(() -> MemberList.parse("1@h:65536", "s", false))
            .hasMessage("s entry '1@h:65536' needs an id ≥ 1 and a port in [1, 65535]");
        assertThatThrownBy(() -> MemberList.parse("@h:1", "s", false))
            .hasMessage("s entry '@h:1' is not host:port or id@host:port");
    }

    @Test
    void shouldRefuseAnIdOrAnAddressListedTwice()
    {
        assertThatThrownBy(() -> MemberList.parse("1@a:1,1@b:2", "s", true)).hasMessage("s lists node 1 twice");
        assertThatThrownBy(() -> MemberList.parse("1@a:1,2@a:1", "s", true)).hasMessage("s lists a:1 twice");
        assertThatThrownBy(() -> MemberList.parse("a:1,a:1", "s", false)).hasMessage("s lists a:1 twice");
    }

    @Test
    void shouldRefuseAnEmptyList()
    {
        assertThatThrownBy(() -> MemberList.parse(" , ", "--cluster", false))
            .isInstanceOf(LogshipException.class)
            .hasMessage("--cluster lists no nodes: expected host:port or id@host:port entries separated by commas");
    }
}
