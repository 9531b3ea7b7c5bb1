package io.datafn.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;

import static io.datafn.server.JsonAssert.assertJson;
import static io.datafn.server.JsonAssert.ids;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * PROTOCOL.md "Dates": date fields and date metadata travel as epoch-millisecond JSON integers on every path that
 * returns data, whether they were written as ISO-8601 strings or numbers; filters and cursors take both. Each test
 * checks the raw response text too, so that a number with a fraction or exponent would fail as well as a string.
 */
@ParameterizedClass
@EnumSource(TestDb.class)
class DatesBlackBoxTest {
    static final String SCHEMA = """
            {"resources":[
              {"name":"goal","version":1,"idPrefix":"goal","fields":[
                {"name":"label","type":"string","required":true},{"name":"deadline","type":"date","nullable":true}]},
              {"name":"task","version":1,"idPrefix":"task","fields":[
                {"name":"label","type":"string","required":true},{"name":"dueAt","type":"date","nullable":true}]},
              {"name":"tag","version":1,"idPrefix":"tag","fields":[{"name":"label","type":"string","required":true}]}],
             "relations":[
              {"from":"task","to":"goal","type":"many-one","relation":"goal","inverse":"tasks","fkField":"goalId"},
              {"from":"task","to":"tag","type":"many-many","relation":"tags","inverse":"tasks",
               "metadata":[{"name":"addedAt","type":"date"}]}]}
            """;
    static final long JAN_01 = 1767225600000L;
    static final long JAN_02 = 1767312000000L;
    static final long JAN_03 = 1767398400000L;
    static final long JAN_10 = 1768003200000L;
    static final String CURSORS = "\"cursors\":{\"task\":\"0\",\"goal\":\"0\",\"join_task_tags_tag\":\"0\"},\"includeJoins\":true";

    @Parameter
    TestDb db;

    TestServer s;

    @BeforeEach
    void start() {
        s = TestServer.start(db, SCHEMA, b -> b.rest(true));
    }

    @AfterEach
    void stop() {
        if (s != null) {
            s.close();
        }
    }

    /** Dates written as ISO strings (goal deadline, t1, the join metadata) and as numbers (t2), and a null (t3). */
    void load() {
        s.mutate("""
                [{"resource":"goal","operation":"insert","id":"goal:g1","record":{"label":"G1","deadline":"2026-01-03"}},
                 {"resource":"task","operation":"insert","id":"task:t1","record":{"label":"T1","dueAt":"2026-01-10T00:00:00Z","goalId":"goal:g1"}},
                 {"resource":"task","operation":"insert","id":"task:t2","record":{"label":"T2","dueAt":1767225600000}},
                 {"resource":"task","operation":"insert","id":"task:t3","record":{"label":"T3","dueAt":null}},
                 {"resource":"tag","operation":"insert","id":"tag:a","record":{"label":"a"}},
                 {"resource":"task","operation":"relate","id":"task:t1","relations":{"tags":{"$ref":"tag:a","addedAt":"2026-01-02"}}}]
                """);
    }

    /** The reply's result, after checking that its raw text carries every {@code fragment} exactly. */
    static JsonNode result(TestServer.Reply r, String... fragments) {
        assertThat(r.status()).as("status of %s", r.body()).isEqualTo(200);
        for (String f : fragments) {
            assertThat(r.raw().body()).contains(f);
        }
        return r.result();
    }

    static String dueAt(long ms) {
        return "\"dueAt\":" + ms;
    }

    @Test
    void query_dateFields_areEpochMillisNumbers() {
        load();
        JsonNode r = result(s.post("query", "{\"resource\":\"task\",\"select\":[\"id\",\"dueAt\"]}"),
                dueAt(JAN_10) + "}", dueAt(JAN_01) + "}", "\"dueAt\":null");
        assertJson(r.get("data"), "[{\"id\":\"task:t1\",\"dueAt\":" + JAN_10 + "},{\"id\":\"task:t2\",\"dueAt\":" + JAN_01
                + "},{\"id\":\"task:t3\",\"dueAt\":null}]");
        assertThat(r.get("data").get(0).get("dueAt").isIntegralNumber()).isTrue();
    }

    @Test
    void filter_dates_acceptIsoStringsAndEpochMillis() {
        load();
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"dueAt\":{\"gt\":1767225600000}}}"))).containsExactly("task:t1");
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"dueAt\":{\"gt\":\"2026-01-01\"}}}"))).containsExactly("task:t1");
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"dueAt\":{\"gte\":\"2026-01-01T00:00:00.000Z\"}}}")))
                .containsExactly("task:t1", "task:t2");
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"dueAt\":" + JAN_10 + "}}"))).containsExactly("task:t1");
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"dueAt\":{\"between\":[\"2026-01-01\"," + JAN_02 + "]}}}")))
                .containsExactly("task:t2");
    }

    @Test
    void cursor_onADateSortTerm_isANumberAndSendingItBackContinuesTheListing() {
        load();
        JsonNode r = result(s.post("query", "{\"resource\":\"task\",\"select\":[\"id\"],\"sort\":[\"dueAt:asc\"],\"limit\":1}"),
                "\"nextCursor\":{\"dueAt\":" + JAN_01 + ",\"id\":\"task:t2\"}");
        assertJson(r.get("data"), "[{\"id\":\"task:t2\"}]");
        JsonNode next = r.get("nextCursor");
        r = s.query("{\"resource\":\"task\",\"select\":[\"id\"],\"sort\":[\"dueAt:asc\"],\"limit\":1,\"cursor\":{\"after\":" + next + "}}");
        assertJson(r, "{\"data\":[{\"id\":\"task:t1\"}],\"nextCursor\":{\"dueAt\":" + JAN_10 + ",\"id\":\"task:t1\"}}");
        r = s.query("{\"resource\":\"task\",\"select\":[\"id\"],\"sort\":[\"dueAt:asc\"],\"limit\":5,\"cursor\":{\"after\":" + r.get("nextCursor") + "}}");
        assertJson(r, "{\"data\":[{\"id\":\"task:t3\"}],\"nextCursor\":null}");
        // an ISO string for the same boundary still works
        r = s.query("{\"resource\":\"task\",\"select\":[\"id\"],\"sort\":[\"dueAt:asc\"],\"limit\":5,"
                + "\"cursor\":{\"after\":{\"dueAt\":\"2026-01-01\",\"id\":\"task:t2\"}}}");
        assertThat(ids(r)).containsExactly("task:t1", "task:t3");
        r = s.query("{\"resource\":\"task\",\"select\":[\"id\"],\"sort\":[\"dueAt:asc\"],\"limit\":5,"
                + "\"cursor\":{\"before\":{\"dueAt\":" + JAN_10 + ",\"id\":\"task:t1\"}}}");
        assertJson(r, "{\"data\":[{\"id\":\"task:t2\"}],\"nextCursor\":{\"dueAt\":" + JAN_01 + ",\"id\":\"task:t2\"}}");
    }

    @Test
    void expansion_relatedRecordsWithDateFields_carryNumbers() {
        load();
        JsonNode r = result(s.post("query", "{\"resource\":\"task\",\"select\":[\"id\",\"goal.*\"],\"filters\":{\"id\":\"task:t1\"}}"),
                "\"deadline\":" + JAN_03);
        assertJson(r.get("data"), "[{\"id\":\"task:t1\",\"goal\":{\"id\":\"goal:g1\",\"label\":\"G1\",\"deadline\":" + JAN_03 + "}}]");
        r = result(s.post("query", "{\"resource\":\"goal\",\"select\":[\"id\",\"tasks.*\"]}"), dueAt(JAN_10));
        assertJson(r.get("data"), "[{\"id\":\"goal:g1\",\"tasks\":[{\"id\":\"task:t1\",\"label\":\"T1\",\"dueAt\":" + JAN_10
                + ",\"goalId\":\"goal:g1\"}]}]");
        r = result(s.post("query", "{\"resource\":\"tag\",\"select\":[\"id\",\"tasks.dueAt\"]}"), dueAt(JAN_10));
        assertJson(r.get("data"), "[{\"id\":\"tag:a\",\"tasks\":[{\"id\":\"task:t1\",\"dueAt\":" + JAN_10 + "}]}]");
    }

    @Test
    void manyManyMetadata_dates_areNumbersInJoinRowsAndRelationMetadata() {
        load();
        JsonNode r = result(s.post("query", "{\"resource\":\"task\",\"select\":[\"id\",\"tags.#\"],\"filters\":{\"id\":\"task:t1\"}}"),
                "\"addedAt\":" + JAN_02 + "}");
        assertJson(r.get("data").get(0).get("tags"), "[{\"id\":\"task:t1:tag:a\",\"from\":\"task:t1\",\"to\":\"tag:a\",\"addedAt\":" + JAN_02 + "}]");
        r = result(s.post("query", "{\"resource\":\"task\",\"select\":[\"id\",\"tags.*#\"],\"filters\":{\"id\":\"task:t1\"}}"),
                "\"$relation_metadata\":{\"addedAt\":" + JAN_02 + "}");
        assertJson(r.get("data").get(0).get("tags"), "[{\"id\":\"tag:a\",\"label\":\"a\",\"$relation_metadata\":{\"addedAt\":" + JAN_02 + "}}]");
    }

    @Test
    void groupBy_onADateField_keysAndMinMaxAreNumbersAndGroupCursorsRoundTrip() {
        load();
        JsonNode r = result(s.post("query", "{\"resource\":\"task\",\"groupBy\":[\"dueAt\"],\"aggregations\":{\"n\":{\"fn\":\"count\"}},"
                + "\"sort\":[\"dueAt:asc\"],\"limit\":1}"), "{\"dueAt\":" + JAN_01 + ",\"n\":1}", "\"nextCursor\":{\"dueAt\":" + JAN_01 + "}");
        r = s.query("{\"resource\":\"task\",\"groupBy\":[\"dueAt\"],\"aggregations\":{\"n\":{\"fn\":\"count\"}},"
                + "\"sort\":[\"dueAt:asc\"],\"limit\":5,\"cursor\":{\"after\":" + r.get("nextCursor") + "}}");
        assertJson(r, "{\"groups\":[{\"dueAt\":" + JAN_10 + ",\"n\":1},{\"dueAt\":null,\"n\":1}],\"nextCursor\":null}");
        r = result(s.post("query", "{\"resource\":\"task\",\"aggregations\":{\"first\":{\"fn\":\"min\",\"field\":\"dueAt\"},"
                + "\"last\":{\"fn\":\"max\",\"field\":\"dueAt\"}}}"), "\"first\":" + JAN_01, "\"last\":" + JAN_10);
        assertJson(r, "{\"groups\":[{\"first\":" + JAN_01 + ",\"last\":" + JAN_10 + "}],\"nextCursor\":null}");
    }

    @Test
    void having_onADateKeyOrDateAggregate_takesIsoStringsAndEpochMillis() {
        load();
        String byDay = "{\"resource\":\"task\",\"groupBy\":[\"dueAt\"],\"aggregations\":{\"n\":{\"fn\":\"count\"}},"
                + "\"sort\":[\"dueAt:asc\"],\"having\":";
        assertJson(s.query(byDay + "{\"dueAt\":{\"gt\":\"2026-01-01\"}}}"),
                "{\"groups\":[{\"dueAt\":" + JAN_10 + ",\"n\":1}],\"nextCursor\":null}");
        assertJson(s.query(byDay + "{\"dueAt\":{\"between\":[" + JAN_01 + ",\"2026-01-10T00:00:00Z\"]}}}"),
                "{\"groups\":[{\"dueAt\":" + JAN_01 + ",\"n\":1},{\"dueAt\":" + JAN_10 + ",\"n\":1}],\"nextCursor\":null}");
        assertJson(s.query(byDay + "{\"dueAt\":{\"ne\":" + JAN_01 + "}}}"),
                "{\"groups\":[{\"dueAt\":" + JAN_10 + ",\"n\":1},{\"dueAt\":null,\"n\":1}],\"nextCursor\":null}");
        String last = "{\"resource\":\"task\",\"aggregations\":{\"last\":{\"fn\":\"max\",\"field\":\"dueAt\"}},\"having\":";
        assertJson(s.query(last + "{\"last\":{\"gte\":\"2026-01-10\"}}}"),
                "{\"groups\":[{\"last\":" + JAN_10 + "}],\"nextCursor\":null}");
        assertJson(s.query(last + "{\"last\":{\"lt\":" + JAN_10 + "}}}"), "{\"groups\":[],\"nextCursor\":null}");
    }

    @Test
    void clone_rowsAndJoinRows_carryNumbers() {
        load();
        JsonNode r = result(s.post("clone", "{\"tables\":[\"task\",\"goal\"],\"includeJoins\":true}"),
                dueAt(JAN_10), dueAt(JAN_01), "\"deadline\":" + JAN_03, "\"addedAt\":" + JAN_02);
        assertJson(r.get("data").get("task"), "[{\"id\":\"task:t1\",\"label\":\"T1\",\"dueAt\":" + JAN_10 + ",\"goalId\":\"goal:g1\"},"
                + "{\"id\":\"task:t2\",\"label\":\"T2\",\"dueAt\":" + JAN_01 + ",\"goalId\":null},"
                + "{\"id\":\"task:t3\",\"label\":\"T3\",\"dueAt\":null,\"goalId\":null}]");
        assertJson(r.get("joins").get("join_task_tags_tag"), "[{\"id\":\"task:t1:tag:a\",\"from\":\"task:t1\",\"to\":\"tag:a\",\"addedAt\":" + JAN_02 + "}]");
    }

    @Test
    void pull_recordsMergedAndJoins_carryNumbers() {
        load();
        JsonNode r = result(s.post("pull", "{\"clientId\":\"c1\"," + CURSORS + "}"),
                dueAt(JAN_10), dueAt(JAN_01), "\"deadline\":" + JAN_03, "\"addedAt\":" + JAN_02);
        assertJson(r.get("records").get("goal"), "[{\"id\":\"goal:g1\",\"label\":\"G1\",\"deadline\":" + JAN_03 + "}]");
        assertJson(r.get("records").get("task").get(1), "{\"id\":\"task:t2\",\"label\":\"T2\",\"dueAt\":" + JAN_01 + ",\"goalId\":null}");
        assertJson(r.get("joins").get("join_task_tags_tag").get("upsert"),
                "[{\"id\":\"task:t1:tag:a\",\"from\":\"task:t1\",\"to\":\"tag:a\",\"addedAt\":" + JAN_02 + "}]");
        String after = r.get("cursors").get("task").asText();
        s.mutate("{\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:t3\",\"record\":{\"dueAt\":\"2026-01-03\"}}");
        r = result(s.post("pull", "{\"cursors\":{\"task\":\"" + after + "\"}}"), dueAt(JAN_03));
        assertJson(r.get("merged"), "{\"task\":[{\"id\":\"task:t3\",\"dueAt\":" + JAN_03 + "}]}");
        r = result(s.post("pull", "{\"cursor\":\"0\",\"limit\":100}"), dueAt(JAN_10), dueAt(JAN_03));
        assertThat(r.get("changes").get(1).get("record").get("dueAt").asLong()).isEqualTo(JAN_10);
    }

    @Test
    void pushThenPull_isoDatesPushed_comeBackAsNumbers() {
        TestServer.Reply push = s.post("push", "{\"clientId\":\"c1\",\"mutations\":["
                + "{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:p1\",\"record\":{\"label\":\"P\",\"dueAt\":\"2026-01-10\"},"
                + "\"clientId\":\"c1\",\"mutationId\":\"m1\"},"
                + "{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:p\",\"record\":{\"label\":\"p\"},\"clientId\":\"c1\",\"mutationId\":\"m2\"},"
                + "{\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:p1\",\"relations\":{\"tags\":{\"$ref\":\"tag:p\","
                + "\"addedAt\":\"2026-01-02T00:00:00.000Z\"}},\"clientId\":\"c1\",\"mutationId\":\"m3\"}]}");
        assertThat(push.status()).as("push %s", push.body()).isEqualTo(200);
        JsonNode r = result(s.post("pull", "{" + CURSORS + "}"), dueAt(JAN_10), "\"addedAt\":" + JAN_02);
        assertJson(r.get("records").get("task"), "[{\"id\":\"task:p1\",\"label\":\"P\",\"dueAt\":" + JAN_10 + ",\"goalId\":null}]");
    }

    @Test
    void transact_queryStep_returnsNumbers() {
        JsonNode r = result(s.post("transact", """
                {"transactionId":"tx-d","atomic":true,"steps":[
                  {"mutation":{"resource":"task","operation":"insert","id":"task:x","mutationId":"m-x","record":{"label":"X","dueAt":"2026-01-10"}}},
                  {"query":{"resource":"task","select":["id","dueAt"],"filters":{"id":"task:x"}}}]}"""), dueAt(JAN_10));
        assertJson(r.get("results").get(1).get("result"), "{\"data\":[{\"id\":\"task:x\",\"dueAt\":" + JAN_10 + "}],\"nextCursor\":null}");
    }

    @Test
    void restGet_returnsNumbers() {
        load();
        String q = URLEncoder.encode("{\"select\":[\"id\",\"dueAt\"],\"filters\":{\"id\":\"task:t1\"}}", StandardCharsets.UTF_8);
        TestServer.Reply r = s.send(HttpRequest.newBuilder(URI.create(s.url + "/datafn/resources/task?q=" + q)).GET().build());
        assertJson(result(r, dueAt(JAN_10)), "{\"data\":[{\"id\":\"task:t1\",\"dueAt\":" + JAN_10 + "}],\"nextCursor\":null}");
    }

    @Test
    void pull_legacyChangeImagesWithIsoDates_comeBackAsNumbers() throws SQLException {
        // change rows as the previous version wrote them: ISO-8601 strings in date fields and date metadata
        try (Connection c = DriverManager.getConnection(s.jdbcUrl);
             PreparedStatement ps = c.prepareStatement("INSERT INTO datafn_changes (ns, seq, resource, record_id, op, record, created_at)"
                     + " VALUES ('datafn', ?, ?, ?, ?, ?, 0)")) {
            Object[][] rows = {
                    {1L, "task", "task:old", "insert", "{\"id\":\"task:old\",\"label\":\"Old\",\"dueAt\":\"2026-01-10T00:00:00.000Z\",\"goalId\":null}"},
                    {2L, "task", "task:m", "merge", "{\"id\":\"task:m\",\"dueAt\":\"2026-01-01T00:00:00.000Z\"}"},
                    {3L, "join_task_tags_tag", "task:old:tag:a", "upsert",
                            "{\"id\":\"task:old:tag:a\",\"from\":\"task:old\",\"to\":\"tag:a\",\"addedAt\":\"2026-01-02T00:00:00.000Z\"}"},
                    {4L, "goal", "goal:old", "replace", "{\"id\":\"goal:old\",\"label\":\"G\",\"deadline\":null}"}};
            for (Object[] row : rows) {
                for (int i = 0; i < row.length; i++) {
                    ps.setObject(i + 1, row[i]);
                }
                ps.executeUpdate();
            }
        }
        JsonNode r = result(s.post("pull", "{" + CURSORS + "}"), dueAt(JAN_10), dueAt(JAN_01), "\"addedAt\":" + JAN_02);
        assertJson(r.get("records"), "{\"task\":[{\"id\":\"task:old\",\"label\":\"Old\",\"dueAt\":" + JAN_10 + ",\"goalId\":null}],"
                + "\"goal\":[{\"id\":\"goal:old\",\"label\":\"G\",\"deadline\":null}]}");
        assertJson(r.get("merged"), "{\"task\":[{\"id\":\"task:m\",\"dueAt\":" + JAN_01 + "}]}");
        assertJson(r.get("joins").get("join_task_tags_tag").get("upsert"),
                "[{\"id\":\"task:old:tag:a\",\"from\":\"task:old\",\"to\":\"tag:a\",\"addedAt\":" + JAN_02 + "}]");
        TestServer.Reply global = s.post("pull", "{\"cursor\":\"0\"}");
        assertThat(result(global, dueAt(JAN_10), dueAt(JAN_01), "\"addedAt\":" + JAN_02).get("changes")).hasSize(4);
        assertThat(global.raw().body()).doesNotContain("T00:00:00");
    }
}
