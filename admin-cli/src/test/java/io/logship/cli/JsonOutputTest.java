package io.logship.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.logship.cli.json.JsonOutput;
import io.logship.client.AckLevel;
import io.logship.client.AdminResult;
import io.logship.client.ChecksumResult;
import io.logship.client.ClusterMembers;
import io.logship.client.MemberStatus;
import io.logship.client.NodeStatus;
import io.logship.client.ReadResult;
import io.logship.client.TailRecord;
import io.logship.client.WriteResult;
import io.logship.format.RecordType;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The exact text every {@code --json} command prints, field for field: scripts and acceptance tests parse
 * it, so names, order, nesting and value types must not change. ClusterCliTest checks the same commands
 * against real nodes; these pin the text without a cluster.
 */
class JsonOutputTest
{
    private static final ClusterOptions.Node NODE_1 = new ClusterOptions.Node(1, "127.0.0.1", 7001);
    private static final ClusterOptions.Node NODE_2 = new ClusterOptions.Node(2, "127.0.0.1", 7002);
    private static final ClusterOptions.Node UNKNOWN = new ClusterOptions.Node(null, "10.0.0.3", 7003);

    private static NodeStatus status(final int id, final String role, final long logEnd, final long leaderLogEnd)
    {
        return new NodeStatus(id, 4, 1, role, 0, logEnd, logEnd - 1, 90, 89, List.of(), true, 3, leaderLogEnd,
            50, 5000, 0, "");
    }

    @Test
    void shouldPrintStatusWithEveryFieldInOrder()
    {
        final List<StatusCommand.NodeReport> reports = List.of(
            new StatusCommand.NodeReport(NODE_1, status(1, "LEADER", 100, -1), null),
            new StatusCommand.NodeReport(NODE_2, new NodeStatus(2, 4, 1, "FOLLOWER", 0, 80, 79, 79, 78, List.of(),
                true, 3, 100, 50, 5000, 7, "resyncing \"fast\""), null),
            new StatusCommand.NodeReport(UNKNOWN, null, "no reply within 2000 ms"));

        assertThat(render(StatusCommand.toJson(reports))).isEqualTo("{\"nodes\":[" +
            "{\"id\":1,\"address\":\"127.0.0.1:7001\",\"reachable\":true,\"role\":\"LEADER\",\"epoch\":4," +
            "\"leaderId\":1,\"logStartOffset\":0,\"logEndOffset\":100,\"durableEndOffset\":99,\"commitOffset\":90," +
            "\"appliedOffset\":89,\"lag\":0,\"autoFailover\":true,\"elections\":3,\"resync\":{\"remainingRecords\":0," +
            "\"recordsPerSecond\":50,\"bytesPerSecond\":5000,\"etaMs\":-1},\"quarantinedRecords\":0,\"note\":\"\"}," +
            "{\"id\":2,\"address\":\"127.0.0.1:7002\",\"reachable\":true,\"role\":\"FOLLOWER\",\"epoch\":4," +
            "\"leaderId\":1,\"logStartOffset\":0,\"logEndOffset\":80,\"durableEndOffset\":79,\"commitOffset\":79," +
            "\"appliedOffset\":78,\"lag\":20,\"autoFailover\":true,\"elections\":3," +
            "\"resync\":{\"remainingRecords\":20,\"recordsPerSecond\":50,\"bytesPerSecond\":5000,\"etaMs\":400}," +
            "\"quarantinedRecords\":7,\"note\":\"resyncing \\\"fast\\\"\"}," +
            "{\"id\":null,\"address\":\"10.0.0.3:7003\",\"reachable\":false,\"error\":\"no reply within 2000 ms\"}]}");
    }

    @Test
    void shouldAddTheMemberSetEachNodeHasInEffectToItsStatusEntry()
    {
        final List<StatusCommand.NodeReport> reports = List.of(
            new StatusCommand.NodeReport(NODE_1, status(1, "LEADER", 100, -1), null),
            new StatusCommand.NodeReport(UNKNOWN, null, "no reply within 2000 ms"));
        final ClusterMembers members = new ClusterMembers(1, 4, 1, -1, true, 100, List.of(
            new MemberStatus(1, "127.0.0.1:7001", "voter", 100, -1),
            new MemberStatus(4, "127.0.0.1:7004", "learner", 60, 12)));

        assertThat(render(StatusCommand.toJson(reports, Map.of(1, members)))).endsWith(
            "\"quarantinedRecords\":0,\"note\":\"\",\"configurationOffset\":-1,\"members\":[" +
            "{\"id\":1,\"address\":\"127.0.0.1:7001\",\"role\":\"voter\"}," +
            "{\"id\":4,\"address\":\"127.0.0.1:7004\",\"role\":\"learner\"}]}," +
            "{\"id\":null,\"address\":\"10.0.0.3:7003\",\"reachable\":false,\"error\":\"no reply within 2000 ms\"}]}");
        assertThat(StatusCommand.describeMembers(members)).isEqualTo("1@127.0.0.1:7001 voter, 4@127.0.0.1:7004 learner");
    }

    @Test
    void shouldPrintPutAndDeleteResults()
    {
        final WriteResult result = new WriteResult(41, 3, AckLevel.QUORUM, 2, 3, 2);

        assertThat(render(PutCommand.toJson("put", "colour", result))).isEqualTo("{\"operation\":\"put\"," +
            "\"key\":\"colour\",\"offset\":41,\"epoch\":3,\"ackLevelReached\":\"quorum\",\"leaderId\":2," +
            "\"durability\":{\"written\":3,\"fsynced\":2}}");
        assertThat(render(PutCommand.toJson("delete", "colour", new WriteResult(42, 3, AckLevel.ALL, 2, 3, 3))))
            .isEqualTo("{\"operation\":\"delete\",\"key\":\"colour\",\"offset\":42,\"epoch\":3," +
                "\"ackLevelReached\":\"all\",\"leaderId\":2,\"durability\":{\"written\":3,\"fsynced\":3}}");
    }

    @Test
    void shouldPrintGetFoundAsTextOrBase64AndNotFound()
    {
        final byte[] blue = "blue".getBytes(StandardCharsets.UTF_8);
        final byte[] binary = { (byte)0xff, 0x00 };

        assertThat(render(GetCommand.toJson("colour", new ReadResult(true, blue, 50, 41, 3))))
            .isEqualTo("{\"key\":\"colour\",\"found\":true,\"offset\":41,\"valueCrc32c\":" + Bytes.crc32c(blue) +
                ",\"value\":\"blue\",\"valueEncoding\":\"utf-8\",\"valueLength\":4,\"appliedOffset\":50,\"node\":3}");
        assertThat(render(GetCommand.toJson("bin", new ReadResult(true, binary, 50, 42, 1))))
            .isEqualTo("{\"key\":\"bin\",\"found\":true,\"offset\":42,\"valueCrc32c\":" + Bytes.crc32c(binary) +
                ",\"value\":\"/wA=\",\"valueEncoding\":\"base64\",\"valueLength\":2,\"appliedOffset\":50,\"node\":1}");
        assertThat(render(GetCommand.toJson("nope", new ReadResult(false, null, 50, -1, 1))))
            .isEqualTo("{\"key\":\"nope\",\"found\":false,\"appliedOffset\":50,\"node\":1}");
    }

    @Test
    void shouldPrintTailLinesWithKeyEncodingOnlyForBinaryKeys()
    {
        final byte[] blue = "blue".getBytes(StandardCharsets.UTF_8);
        final byte[] colour = "colour".getBytes(StandardCharsets.UTF_8);
        final byte[] binaryKey = { (byte)0xfe };

        assertThat(render(TailCommand.toJson(new TailRecord(7, RecordType.PUT, colour, blue))))
            .isEqualTo("{\"offset\":7,\"type\":\"PUT\",\"key\":\"colour\",\"valueCrc32c\":" + Bytes.crc32c(blue) +
                ",\"valueLength\":4}");
        assertThat(render(TailCommand.toJson(new TailRecord(8, RecordType.DELETE, binaryKey, new byte[0]))))
            .isEqualTo("{\"offset\":8,\"type\":\"DELETE\",\"key\":\"/g==\",\"keyEncoding\":\"base64\"," +
                "\"valueCrc32c\":0,\"valueLength\":0}");
    }

    @Test
    void shouldPrintPromoteAndDemoteAnswers()
    {
        assertThat(render(PromoteCommand.toJson("promote", new AdminResult(2, 5, 2, "switchover started"))))
            .isEqualTo("{\"operation\":\"promote\",\"node\":2,\"epoch\":5,\"leaderId\":2," +
                "\"message\":\"switchover started\"}");
        assertThat(render(PromoteCommand.toJson("demote", new AdminResult(1, 5, -1, ""))))
            .isEqualTo("{\"operation\":\"demote\",\"node\":1,\"epoch\":5,\"leaderId\":-1,\"message\":\"\"}");
        assertThat(render(PromoteCommand.promotedJson(2, 6, 37, "node 2 leads epoch 6 after 37 ms")))
            .isEqualTo("{\"operation\":\"promoted\",\"node\":2,\"epoch\":6,\"leaderId\":2,\"pauseMs\":37," +
                "\"message\":\"node 2 leads epoch 6 after 37 ms\"}");
    }

    @Test
    void shouldPrintVerifyReportWithAnswersAndFailures()
    {
        final VerifyCommand.Report report = new VerifyCommand.Report(0, 1001, List.of(
            new VerifyCommand.NodeChecksum(NODE_1, new ChecksumResult(1, 0, 1001, 42, 44302, 218114467L), null),
            new VerifyCommand.NodeChecksum(NODE_2, new ChecksumResult(2, 0, 1001, 42, 44302, 3000000000L), null),
            new VerifyCommand.NodeChecksum(UNKNOWN, null, "no reply within 2000 ms")),
            List.of("node 2 (127.0.0.1:7002) differs", "node ? (10.0.0.3:7003) did not answer status: no reply " +
                "within 2000 ms"));

        assertThat(render(report.toJson())).isEqualTo("{\"ok\":false,\"fromOffset\":0,\"toOffset\":1001,\"nodes\":[" +
            "{\"id\":1,\"address\":\"127.0.0.1:7001\",\"ok\":true,\"fromOffset\":0,\"toOffset\":1001," +
            "\"batchCount\":42,\"byteCount\":44302,\"crc32c\":218114467}," +
            "{\"id\":2,\"address\":\"127.0.0.1:7002\",\"ok\":false,\"fromOffset\":0,\"toOffset\":1001," +
            "\"batchCount\":42,\"byteCount\":44302,\"crc32c\":3000000000}," +
            "{\"id\":null,\"address\":\"10.0.0.3:7003\",\"ok\":false,\"error\":\"no reply within 2000 ms\"}]," +
            "\"failures\":[\"node 2 (127.0.0.1:7002) differs\",\"node ? (10.0.0.3:7003) did not answer status: " +
            "no reply within 2000 ms\"]}");
        assertThat(render(new VerifyCommand.Report(5, 5, List.of(), List.of()).toJson()))
            .isEqualTo("{\"ok\":true,\"fromOffset\":5,\"toOffset\":5,\"nodes\":[],\"failures\":[]}");
    }

    @Test
    void shouldEscapeStringsSoTheyParseBackUnchanged() throws Exception
    {
        final String tricky = "a\"b\\c\nd\te\u0001\u001f/é\u2028😀";
        final ObjectNode json = JsonOutput.object().put("k", tricky).putNull("n");
        json.putArray("l").add(1).add("x");

        final String text = JsonOutput.write(json);

        assertThat(text).doesNotContain("\n").startsWith("{\"k\":\"a\\\"b\\\\c\\nd\\te\\u0001")
            .endsWith(",\"n\":null,\"l\":[1,\"x\"]}");
        final JsonNode parsed = new ObjectMapper().readTree(text);
        assertThat(parsed.get("k").asText()).isEqualTo(tricky);
        assertThat(parsed.get("n").isNull()).isTrue();
    }

    @Test
    void shouldWriteNumbersThatAreNotNumbersAsNull()
    {
        assertThat(JsonOutput.decimal(Double.NaN, 1).isNull()).isTrue();
        assertThat(JsonOutput.decimal(Double.POSITIVE_INFINITY, 3).isNull()).isTrue();
        assertThat(render(JsonOutput.object().set("v", JsonOutput.decimal(2.25, 1)))).isEqualTo("{\"v\":2.3}");
        assertThat(render(JsonOutput.object().set("v", JsonOutput.decimal(100, 3)))).isEqualTo("{\"v\":100.000}");
    }

    private static String render(final JsonNode json)
    {
        return JsonOutput.write(json);
    }
}
