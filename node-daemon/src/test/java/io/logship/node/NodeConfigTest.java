package io.logship.node;

import io.aeron.driver.ThreadingMode;
import io.logship.LogshipException;
import io.logship.log.FsyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NodeConfigTest
{
    @TempDir
    Path dir;

    private Path write(final String extra) throws IOException
    {
        final Path file = dir.resolve("node.conf");
        Files.writeString(file, "logship.node.id=2\n" +
            "logship.cluster.nodes=1@127.0.0.1:7001, 2@127.0.0.1:7002,3@127.0.0.1:7003\n" +
            "logship.cluster.secret.file=" + dir.resolve("secret") + "\n" +
            "logship.node.data.dir=" + dir.resolve("data") + "\n" + extra);
        return file;
    }

    @Test
    void shouldLoadAMinimalConfigWithDocumentedDefaults() throws IOException
    {
        final NodeConfig config = NodeConfig.load(write(""));
        assertThat(config.nodeId()).isEqualTo(2);
        assertThat(config.members()).hasSize(3);
        assertThat(config.self().port()).isEqualTo(7002);
        assertThat(config.leaderId()).isEqualTo(1);
        assertThat(config.defaultAckLevel()).isEqualTo("quorum");
        assertThat(config.logConfig().fsyncPolicy()).isEqualTo(FsyncPolicy.ALWAYS);
        assertThat(config.logConfig().directory()).isEqualTo(dir.resolve("data").resolve("log"));
        assertThat(config.ringSize()).isEqualTo(NodeConfig.RING_SIZE_DEFAULT);
        assertThat(config.snapshotFlushBytes()).isEqualTo(256 * 1024);
        // A node's socket carries every peer's streams and the clients': not Aeron's 128 KiB.
        assertThat(config.transportContext().socketRcvbufLength()).isEqualTo(2 * 1024 * 1024);
    }

    @Test
    void shouldNameTheKeyAndValueOfABadSetting() throws IOException
    {
        assertThatThrownBy(() -> NodeConfig.load(write("logship.node.ack.level.default=most\n")))
            .isInstanceOf(LogshipException.class)
            .hasMessageContaining("logship.node.ack.level.default=most is invalid: expected one of leader, quorum, all");
        assertThatThrownBy(() -> NodeConfig.load(write("logship.node.ring.size=1000\n")))
            .hasMessageContaining("logship.node.ring.size=1000 is invalid: expected a power of two");
        assertThatThrownBy(() -> NodeConfig.load(write("logship.log.fsync=sometimes\n")))
            .hasMessageContaining("logship.log.fsync=sometimes is invalid: expected one of always, interval");
        assertThatThrownBy(() -> NodeConfig.load(write("logship.log.segment.bytes=10\n")))
            .hasMessageContaining("logship.log.segment.bytes=10");
        assertThatThrownBy(() -> NodeConfig.load(write("logship.transport.socket.rcvbuf=4096\n")))
            .hasMessageContaining("logship.transport.socket.rcvbuf=4096");
        assertThatThrownBy(() -> NodeConfig.load(write("logship.node.snapshot.flush.bytes=4096\n")))
            .hasMessageContaining("logship.node.snapshot.flush.bytes=4096");
    }

    @Test
    void shouldRefuseABatchLimitLargerThanASegment() throws IOException
    {
        assertThatThrownBy(() -> NodeConfig.load(write("logship.log.segment.bytes=65536\n")))
            .hasMessageContaining("logship.node.batch.max.bytes=524288 is invalid: expected at most " +
                "logship.log.segment.bytes=65536 (a batch must fit in one segment)");
    }

    @Test
    void shouldReadElectionSettingsAndRefuseAnUnsafeLease() throws IOException
    {
        final NodeConfig defaults = NodeConfig.load(write(""));
        assertThat(defaults.electionConfig().autoFailoverEnabled()).isTrue();
        assertThat(defaults.electionConfig().leaseTimeoutMs()).isEqualTo(300);
        assertThat(defaults.electionConfig().electionTimeoutMs()).isEqualTo(400);

        final NodeConfig tuned = NodeConfig.load(write("logship.cluster.failover=manual\n" +
            "logship.cluster.priorities=3:10,1:5\nlogship.node.election.timeout.ms=900\n"));
        assertThat(tuned.electionConfig().autoFailoverEnabled()).isFalse();
        assertThat(tuned.electionConfig().autoFailoverDisabledReason()).contains("disabled by configuration");
        assertThat(tuned.electionConfig().priorities()).containsEntry(3, 10).containsEntry(1, 5).containsEntry(2, 0);
        assertThat(tuned.electionConfig().electionTimeoutMs()).isEqualTo(900);

        // A lease as long as the election timeout would let a deposed leader acknowledge after its successor won.
        assertThatThrownBy(() -> NodeConfig.load(write("logship.node.election.lease.timeout.ms=400\n")))
            .isInstanceOf(LogshipException.class)
            .hasMessageContaining("leaseTimeoutMs=400 is invalid").hasMessageContaining("logship.node.election.*");
        assertThatThrownBy(() -> NodeConfig.load(write("logship.cluster.priorities=7:1\n")))
            .hasMessageContaining("logship.cluster.priorities=7:1 is invalid");
        assertThatThrownBy(() -> NodeConfig.load(write("logship.cluster.failover=sometimes\n")))
            .hasMessageContaining("logship.cluster.failover=sometimes is invalid: expected one of auto, manual");
    }

    @Test
    void shouldRunTheMediaDriverOnItsOwnThreadsUnlessThreadingIsShared() throws IOException
    {
        final NodeConfig defaults = NodeConfig.load(write(""));
        assertThat(defaults.sharedThreading()).isFalse();
        assertThat(defaults.transportContext().threadingMode()).isEqualTo(ThreadingMode.SHARED);

        final NodeConfig dedicated = NodeConfig.load(write("logship.node.threading=dedicated\n" +
            "logship.transport.threading.mode=DEDICATED\n"));
        assertThat(dedicated.sharedThreading()).isFalse();
        assertThat(dedicated.transportContext().threadingMode()).isEqualTo(ThreadingMode.DEDICATED);

        final NodeConfig shared = NodeConfig.load(write("logship.node.threading=Shared\n"));
        assertThat(shared.sharedThreading()).isTrue();
        assertThat(shared.transportContext().threadingMode()).isEqualTo(ThreadingMode.INVOKER);
        assertThat(shared.transportContext().embeddedDriver()).isTrue();
        assertThat(shared.transportContext().invokedByOwner()).isTrue();
    }

    @Test
    void shouldNameTheThreadingKeyWhenItsValueIsBadOrContradicted() throws IOException
    {
        assertThatThrownBy(() -> NodeConfig.load(write("logship.node.threading=pooled\n")))
            .isInstanceOf(LogshipException.class)
            .hasMessageContaining("logship.node.threading=pooled is invalid: expected one of shared, dedicated");
        assertThatThrownBy(() -> NodeConfig.load(write("logship.node.threading=shared\n" +
            "logship.transport.threading.mode=SHARED\n")))
            .hasMessageContaining("logship.node.threading=shared is invalid: expected dedicated when " +
                "logship.transport.threading.mode is set");
        assertThatThrownBy(() -> NodeConfig.load(write("logship.node.threading=shared\n" +
            "logship.transport.embedded.driver=false\n")))
            .hasMessageContaining("logship.node.threading=shared is invalid: expected dedicated with " +
                "logship.transport.embedded.driver=false");
        // The driver's own key still refuses INVOKER: only logship.node.threading=shared sets it up whole.
        assertThatThrownBy(() -> NodeConfig.load(write("logship.transport.threading.mode=INVOKER\n")))
            .hasMessageContaining("logship.transport.threading.mode=INVOKER is invalid");
    }

    /** The network wait needs the driver on the conductor's thread: with its own threads the driver polls its sockets. */
    @Test
    void shouldWaitOnTheNetworkOnlyWhenAskedAndOnlyWithSharedThreading() throws IOException
    {
        assertThat(NodeConfig.load(write("logship.node.threading=shared\n")).networkWait()).isFalse();
        final NodeConfig network = NodeConfig.load(write("logship.node.threading=shared\n" +
            "logship.node.idle.strategy=network\n"));
        assertThat(network.networkWait()).isTrue();
        assertThat(network.idleStrategy()).isEqualTo(io.logship.transport.IdleStrategyKind.BACKOFF);
        assertThatThrownBy(() -> NodeConfig.load(write("logship.node.idle.strategy=network\n")))
            .isInstanceOf(LogshipException.class)
            .hasMessageContaining("logship.node.idle.strategy=network is invalid: expected backoff, busy-spin, yield " +
                "or sleep unless logship.node.threading=shared");
    }

    @Test
    void shouldRefuseUnknownKeysSoATypoIsNotSilentlyIgnored() throws IOException
    {
        assertThatThrownBy(() -> NodeConfig.load(write("logship.node.ack.levle.default=all\n")))
            .hasMessageContaining("unknown key(s) [logship.node.ack.levle.default]");
    }

    @Test
    void shouldRefuseANodeIdOutsideTheCluster() throws IOException
    {
        final Path file = dir.resolve("bad.conf");
        Files.writeString(file, "logship.node.id=9\nlogship.cluster.nodes=1@127.0.0.1:7001\n" +
            "logship.cluster.secret.file=s\nlogship.node.data.dir=d\n");
        assertThatThrownBy(() -> NodeConfig.load(file)).hasMessageContaining("logship.node.id=9 is invalid");
    }

    @Test
    void shouldRefuseAMalformedMemberList() throws IOException
    {
        final Path file = dir.resolve("bad.conf");
        Files.writeString(file, "logship.node.id=1\nlogship.cluster.nodes=1@127.0.0.1\n" +
            "logship.cluster.secret.file=s\nlogship.node.data.dir=d\n");
        assertThatThrownBy(() -> NodeConfig.load(file))
            .hasMessageContaining("logship.cluster.nodes entry '1@127.0.0.1' is not id@host:port");
    }

    @Test
    void shouldNameAMissingRequiredKey() throws IOException
    {
        final Path file = dir.resolve("bad.conf");
        Files.writeString(file, "logship.node.id=1\nlogship.cluster.nodes=1@127.0.0.1:7001\n");
        assertThatThrownBy(() -> NodeConfig.load(file))
            .hasMessageContaining("required key logship.cluster.secret.file is missing");
    }
    @Test
    void shouldStartAJoiningNodeOutsideItsSeedConfigurationAndNeverAsItsBootstrapLeader() throws IOException
    {
        final Path file = dir.resolve("join.conf");
        Files.writeString(file, "logship.node.id=4\n" +
            "logship.cluster.nodes=2@127.0.0.1:7002,3@127.0.0.1:7003,4@127.0.0.1:7004\n" +
            "logship.cluster.join=true\n" +
            "logship.cluster.priorities=4:9\n" +
            "logship.cluster.secret.file=" + dir.resolve("secret") + "\n" +
            "logship.node.data.dir=" + dir.resolve("data") + "\n");
        final NodeConfig config = NodeConfig.load(file);
        assertThat(config.join()).isTrue();
        assertThat(config.leaderId()).as("the lowest id other than its own").isEqualTo(2);
        assertThat(config.electionConfig().selfVoter()).isFalse();
        assertThat(config.electionConfig().priorities()).containsOnlyKeys(2, 3);
        assertThat(config.priority(4)).as("kept for when it is promoted").isEqualTo(9);
        assertThat(LogReplica.seedMembership(config).members()).extracting((m) -> m.id()).containsExactly(2, 3);

        final NodeConfig member = NodeConfig.load(write(""));
        assertThat(member.join()).isFalse();
        assertThat(LogReplica.seedMembership(member).voters()).hasSize(3);
    }

    @Test
    void shouldRefuseAJoiningNodeNamedAsTheBootstrapLeader() throws IOException
    {
        assertThatThrownBy(() -> NodeConfig.load(write("logship.cluster.join=true\nlogship.cluster.leader=2\n")))
            .hasMessageContaining("logship.cluster.leader=2 is invalid");
    }
}
