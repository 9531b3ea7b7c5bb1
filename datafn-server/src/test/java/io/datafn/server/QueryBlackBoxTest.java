package io.datafn.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import static io.datafn.server.JsonAssert.assertJson;
import static io.datafn.server.JsonAssert.ids;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code POST /datafn/query} over fixture F1, on SQLite and PostgreSQL. */
@ParameterizedClass
@EnumSource(TestDb.class)
class QueryBlackBoxTest {
    static TestServer s;

    @Parameter
    TestDb db;

    @BeforeEach
    void start() {
        if (s == null) {
            s = TestServer.start(db, Fixtures.F1_SCHEMA);
            Fixtures.loadF1(s);
        }
    }

    @AfterParameterizedClassInvocation
    static void stop() {
        if (s != null) {
            s.close();
            s = null;
        }
    }

    @Test
    void select_listedFields_returnsThemWithId() {
        assertJson(s.query("{\"resource\":\"goal\",\"version\":1,\"select\":[\"id\",\"label\"],\"filters\":{\"id\":\"goal:g1\"}}"),
                "{\"data\":[{\"id\":\"goal:g1\",\"label\":\"Goal 1\"}],\"nextCursor\":null}");
    }

    @Test
    void filter_withoutSort_ordersById() {
        assertThat(ids(s.query("{\"resource\":\"task\",\"select\":[\"id\"],\"filters\":{\"isArchived\":false}}")))
                .containsExactly("task:t1", "task:t2", "task:t3");
    }

    @Test
    void select_manyOneExpansion_returnsTheWholeTarget() {
        JsonNode r = s.query("{\"resource\":\"task\",\"select\":[\"id\",\"label\",\"goal.*\"],\"filters\":{\"isArchived\":false},\"sort\":[\"id:asc\"]}");
        assertJson(r.path("data").get(0), "{\"id\":\"task:t1\",\"label\":\"Task 1\",\"goal\":{\"id\":\"goal:g1\",\"label\":\"Goal 1\",\"status\":\"open\",\"isArchived\":false}}");
    }

    @Test
    void select_relationForms_idsRecordsJoinRowsAndMetadata() {
        JsonNode r = s.query("{\"resource\":\"task\",\"select\":[\"id\",\"tags\",\"goal\"],\"filters\":{\"id\":\"task:t1\"}}");
        assertJson(r.path("data"), "[{\"id\":\"task:t1\",\"tags\":[\"tag:home\",\"tag:urgent\"],\"goal\":\"goal:g1\"}]");
        r = s.query("{\"resource\":\"task\",\"select\":[\"id\",\"tags.#\"],\"filters\":{\"id\":\"task:t1\"}}");
        assertJson(r.path("data").get(0).path("tags"), "[{\"id\":\"task:t1:tag:home\",\"from\":\"task:t1\",\"to\":\"tag:home\",\"order\":1,\"addedAt\":1767312000000},"
                + "{\"id\":\"task:t1:tag:urgent\",\"from\":\"task:t1\",\"to\":\"tag:urgent\",\"order\":2,\"addedAt\":1767312000000}]");
        r = s.query("{\"resource\":\"task\",\"select\":[\"id\",\"tags.*#\"],\"filters\":{\"id\":\"task:t1\"}}");
        assertJson(r.path("data").get(0).path("tags"), "[{\"id\":\"tag:home\",\"label\":\"home\",\"$relation_metadata\":{\"order\":1,\"addedAt\":1767312000000}},"
                + "{\"id\":\"tag:urgent\",\"label\":\"urgent\",\"$relation_metadata\":{\"order\":2,\"addedAt\":1767312000000}}]");
    }

    @Test
    void select_inverseAndNested_expands() { // the statements per level are counted by datafn-jdbc's StatementCountTest
        JsonNode r = s.query("{\"resource\":\"goal\",\"select\":[\"id\",\"tasks\",\"tasks.tags.label\"],\"filters\":{\"id\":\"goal:g1\"}}");
        assertJson(r.path("data"), "[{\"id\":\"goal:g1\",\"tasks\":[{\"id\":\"task:t1\",\"tags\":[{\"id\":\"tag:home\",\"label\":\"home\"},{\"id\":\"tag:urgent\",\"label\":\"urgent\"}]},{\"id\":\"task:t2\",\"tags\":[]}]}]");
        r = s.query("{\"resource\":\"tag\",\"select\":[\"id\",\"tasks\"],\"filters\":{\"id\":\"tag:urgent\"}}");
        assertJson(r.path("data"), "[{\"id\":\"tag:urgent\",\"tasks\":[\"task:t3\",\"task:t1\"]}]");
    }

    @Test
    void filter_relationPathAndQuantifiers() {
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"goal.label\":\"Goal 1\"}}"))).containsExactly("task:t1", "task:t2");
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"tags\":{\"$all\":{\"label\":{\"in\":[\"urgent\",\"home\"]}}}}}")))
                .containsExactly("task:t1", "task:t3");
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"tags\":{\"$any\":{\"label\":\"home\"}}}}"))).containsExactly("task:t1");
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"tags\":{\"$none\":{\"label\":\"urgent\"}}}}"))).containsExactly("task:t2", "task:t4");
        assertThat(ids(s.query("{\"resource\":\"goal\",\"filters\":{\"tasks\":{\"$any\":{\"priority\":{\"gte\":10}}}}}"))).containsExactly("goal:g2");
    }

    @Test
    void filter_comparisonOperators() {
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"priority\":{\"gt\":3}}}"))).containsExactly("task:t1", "task:t4");
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"priority\":{\"gte\":3,\"lt\":10}}}"))).containsExactly("task:t1", "task:t3");
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"priority\":{\"lte\":2}}}"))).containsExactly("task:t2");
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"priority\":{\"ne\":5}}}"))).containsExactly("task:t2", "task:t3", "task:t4");
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"priority\":{\"between\":[2,3]}}}"))).containsExactly("task:t2", "task:t3");
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"priority\":{\"not_between\":[2,3]}}}"))).containsExactly("task:t1", "task:t4");
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"priority\":{\"in\":[2,10]}}}"))).containsExactly("task:t2", "task:t4");
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"priority\":[2,10]}}"))).containsExactly("task:t2", "task:t4");
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"priority\":{\"nin\":[2,10]}}}"))).containsExactly("task:t1", "task:t3");
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"priority\":{\"not_in\":[2,10]}}}"))).containsExactly("task:t1", "task:t3");
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"priority\":{\"$nin\":[2,10]}}}"))).containsExactly("task:t1", "task:t3");
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"updatedAt\":{\"before\":\"2026-01-12\"}}}"))).containsExactly("task:t1", "task:t2");
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"updatedAt\":{\"after\":\"2026-01-12\"}}}"))).containsExactly("task:t4");
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"priority\":\"5\"}}"))).isEmpty();
    }

    @Test
    void filter_stringOperators_areCaseSensitiveExceptIlike() {
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"label\":{\"like\":\"Task%\"}}}"))).hasSize(4);
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"label\":{\"like\":\"task%\"}}}"))).isEmpty();
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"label\":{\"ilike\":\"task _\"}}}"))).hasSize(4);
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"label\":{\"not_like\":\"%1\"}}}"))).containsExactly("task:t2", "task:t3", "task:t4");
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"label\":{\"not_ilike\":\"%K 1\"}}}"))).containsExactly("task:t2", "task:t3", "task:t4");
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"label\":{\"contains\":\"sk 2\"}}}"))).containsExactly("task:t2");
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"label\":{\"contains\":\"SK\"}}}"))).isEmpty();
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"label\":{\"startsWith\":\"Task 3\"}}}"))).containsExactly("task:t3");
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"label\":{\"endsWith\":\" 4\"}}}"))).containsExactly("task:t4");
    }

    @Test
    void filter_nullsUseTwoValuedLogic() {
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"title\":{\"is_null\":true}}}"))).hasSize(4);
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"title\":{\"is_not_null\":true}}}"))).isEmpty();
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"title\":{\"ne\":\"x\"}}}"))).hasSize(4);
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"title\":{\"eq\":\"x\"}}}"))).isEmpty();
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"$not\":{\"title\":\"x\"}}}"))).hasSize(4);
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"title\":{\"is_empty\":true}}}"))).hasSize(4);
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"title\":{\"not_in\":[\"x\"]}}}"))).hasSize(4);
    }

    @Test
    void filter_logicalGroups() {
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"$and\":[{\"isArchived\":false},{\"$or\":[{\"priority\":{\"gte\":5}},{\"goalId\":{\"eq\":\"goal:g2\"}}]}]}}")))
                .containsExactly("task:t1", "task:t3");
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"$not\":{\"$or\":[{\"priority\":5},{\"priority\":2}]}}}")))
                .containsExactly("task:t3", "task:t4");
    }

    @Test
    void sort_formsAndDirections() {
        assertThat(ids(s.query("{\"resource\":\"task\",\"sort\":[\"-priority\"]}"))).containsExactly("task:t4", "task:t1", "task:t3", "task:t2");
        assertThat(ids(s.query("{\"resource\":\"task\",\"sort\":[\"priority:desc\"]}"))).containsExactly("task:t4", "task:t1", "task:t3", "task:t2");
        assertThat(ids(s.query("{\"resource\":\"task\",\"sort\":[{\"field\":\"priority\",\"direction\":\"asc\"}]}"))).containsExactly("task:t2", "task:t3", "task:t1", "task:t4");
        assertThat(ids(s.query("{\"resource\":\"task\",\"sort\":[\"goalId\",\"-id\"]}"))).containsExactly("task:t2", "task:t1", "task:t4", "task:t3");
    }

    @Test
    void paging_limitCountAndCursor() {
        JsonNode r = s.query("{\"resource\":\"task\",\"select\":[\"id\"],\"sort\":[\"id:asc\"],\"limit\":1,\"count\":true}");
        assertJson(r, "{\"data\":[{\"id\":\"task:t1\"}],\"nextCursor\":{\"id\":\"task:t1\"},\"count\":4}");
        r = s.query("{\"resource\":\"task\",\"select\":[\"id\"],\"limit\":3,\"cursor\":{\"after\":{\"id\":\"task:t1\"}}}");
        assertJson(r, "{\"data\":[{\"id\":\"task:t2\"},{\"id\":\"task:t3\"},{\"id\":\"task:t4\"}],\"nextCursor\":null}");
        r = s.query("{\"resource\":\"task\",\"select\":[\"id\"],\"limit\":2,\"cursor\":{\"after\":{\"id\":\"task:t4\"}}}");
        assertJson(r, "{\"data\":[],\"nextCursor\":null}");
        r = s.query("{\"resource\":\"task\",\"select\":[\"id\",\"label\"],\"sort\":[\"label:asc\",\"id:asc\"],\"limit\":1,\"cursor\":{\"before\":{\"label\":\"Task 2\",\"id\":\"task:t2\"}}}");
        assertJson(r, "{\"data\":[{\"id\":\"task:t1\",\"label\":\"Task 1\"}],\"nextCursor\":{\"label\":\"Task 1\",\"id\":\"task:t1\"}}");
        r = s.query("{\"resource\":\"task\",\"select\":[\"id\"],\"limit\":0}");
        assertJson(r, "{\"data\":[],\"nextCursor\":null}");
        r = s.query("{\"resource\":\"task\",\"select\":[\"id\"],\"offset\":3}");
        assertJson(r, "{\"data\":[{\"id\":\"task:t4\"}],\"nextCursor\":null}");
    }

    @Test
    void paging_cursorWithoutIdTerm_continuesWithImplicitTieBreaker() {
        JsonNode r = s.query("{\"resource\":\"task\",\"select\":[\"id\"],\"sort\":[\"goalId:desc\"],\"limit\":1}");
        assertJson(r, "{\"data\":[{\"id\":\"task:t3\"}],\"nextCursor\":{\"goalId\":\"goal:g2\",\"id\":\"task:t3\"}}");
        r = s.query("{\"resource\":\"task\",\"select\":[\"id\"],\"sort\":[\"goalId:desc\"],\"limit\":2,\"cursor\":{\"after\":{\"goalId\":\"goal:g2\",\"id\":\"task:t3\"}}}");
        assertJson(r, "{\"data\":[{\"id\":\"task:t4\"},{\"id\":\"task:t1\"}],\"nextCursor\":{\"goalId\":\"goal:g1\",\"id\":\"task:t1\"}}");
    }

    @Test
    void aggregations_groupByWithOpOrFnAndHaving() {
        assertJson(s.query("{\"resource\":\"goal\",\"filters\":{\"isArchived\":false},\"groupBy\":[\"status\"],\"aggregations\":{\"count\":{\"op\":\"count\",\"field\":\"*\"}},\"sort\":[\"status:asc\"]}"),
                "{\"groups\":[{\"status\":\"open\",\"count\":1},{\"status\":\"paused\",\"count\":1}],\"nextCursor\":null}");
        assertJson(s.query("{\"resource\":\"task\",\"groupBy\":[\"goalId\"],\"aggregations\":{\"n\":{\"fn\":\"count\"},\"avg\":{\"fn\":\"avg\",\"field\":\"priority\"},\"max\":{\"fn\":\"max\",\"field\":\"priority\"}},\"having\":{\"n\":{\"gt\":1}},\"sort\":[\"-avg\"]}"),
                "{\"groups\":[{\"goalId\":\"goal:g2\",\"n\":2,\"avg\":6.5,\"max\":10},{\"goalId\":\"goal:g1\",\"n\":2,\"avg\":3.5,\"max\":5}],\"nextCursor\":null}");
        assertJson(s.query("{\"resource\":\"task\",\"aggregations\":{\"n\":{\"fn\":\"count\"},\"sum\":{\"fn\":\"sum\",\"field\":\"priority\"}}}"),
                "{\"groups\":[{\"n\":4,\"sum\":20}],\"nextCursor\":null}");
        assertJson(s.query("{\"resource\":\"task\",\"filters\":{\"priority\":{\"gt\":100}},\"aggregations\":{\"n\":{\"fn\":\"count\"},\"sum\":{\"fn\":\"sum\",\"field\":\"priority\"},\"min\":{\"fn\":\"min\",\"field\":\"label\"}}}"),
                "{\"groups\":[{\"n\":0,\"sum\":null,\"min\":null}],\"nextCursor\":null}");
        assertJson(s.query("{\"resource\":\"task\",\"groupBy\":[\"goal.label\"],\"aggregations\":{\"n\":{\"fn\":\"count\"}}}"),
                "{\"groups\":[{\"goal.label\":\"Goal 1\",\"n\":2},{\"goal.label\":\"Goal 2\",\"n\":2}],\"nextCursor\":null}");
    }

    @Test
    void aggregations_pageThroughGroupsWithCursor() {
        JsonNode r = s.query("{\"resource\":\"task\",\"groupBy\":[\"goalId\"],\"aggregations\":{\"n\":{\"fn\":\"count\"}},\"limit\":1}");
        assertJson(r, "{\"groups\":[{\"goalId\":\"goal:g1\",\"n\":2}],\"nextCursor\":{\"goalId\":\"goal:g1\"}}");
        r = s.query("{\"resource\":\"task\",\"groupBy\":[\"goalId\"],\"aggregations\":{\"n\":{\"fn\":\"count\"}},\"limit\":1,\"cursor\":{\"after\":{\"goalId\":\"goal:g1\"}}}");
        assertJson(r, "{\"groups\":[{\"goalId\":\"goal:g2\",\"n\":2}],\"nextCursor\":null}");
    }

    @Test
    void aggregations_havingAndGroupCursorCompareAsTheAliasType() {
        assertJson(s.query("{\"resource\":\"task\",\"groupBy\":[\"goalId\"],\"aggregations\":{\"n\":{\"fn\":\"count\"}},\"having\":{\"n\":{\"gt\":\"1\"}}}"),
                "{\"groups\":[],\"nextCursor\":null}");
        assertJson(s.query("{\"resource\":\"task\",\"groupBy\":[\"goalId\"],\"aggregations\":{\"n\":{\"fn\":\"count\"}},\"having\":{\"goalId\":{\"ne\":5}}}"),
                "{\"groups\":[{\"goalId\":\"goal:g1\",\"n\":2},{\"goalId\":\"goal:g2\",\"n\":2}],\"nextCursor\":null}");
        TestServer.Reply r = s.post("query", "{\"resource\":\"task\",\"groupBy\":[\"goalId\"],\"aggregations\":{\"n\":{\"fn\":\"count\"}},\"cursor\":{\"after\":{\"goalId\":5}}}");
        JsonAssert.assertError(r, 400, "DFQL_INVALID", "Invalid DFQL: cursor.after.goalId expects a string value", "cursor.after.goalId");
    }

    @Test
    void batch_returnsResultsInOrder() {
        JsonNode r = s.query("[{\"resource\":\"goal\",\"select\":[\"id\"],\"limit\":1},{\"resource\":\"tag\",\"select\":[\"id\"]}]");
        assertThat(r.isArray()).isTrue();
        assertThat(r.get(0).path("data").get(0).path("id").asText()).isEqualTo("goal:g1");
        assertThat(r.get(1).path("data").size()).isEqualTo(2);
    }

    @Test
    void omit_removesFieldsButNeverId() {
        JsonNode row = s.query("{\"resource\":\"goal\",\"omit\":[\"status\",\"id\"],\"filters\":{\"id\":\"goal:g1\"}}").path("data").get(0);
        assertJson(row, "{\"id\":\"goal:g1\",\"label\":\"Goal 1\",\"isArchived\":false}");
    }

    @Test
    void relationQuery_returnsRelatedRecordsOfOneAnchor() {
        assertThat(ids(s.query("{\"resource\":\"task\",\"relation\":\"tags\",\"id\":\"task:t1\"}"))).containsExactly("tag:home", "tag:urgent");
        assertThat(ids(s.query("{\"resource\":\"goal\",\"relation\":\"tasks\",\"id\":\"goal:g2\",\"filters\":{\"isArchived\":false}}"))).containsExactly("task:t3");
    }
}
