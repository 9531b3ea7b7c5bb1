package io.datafn.jdbc;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.json.Json;
import io.datafn.schema.Relation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Statements per request, counted by the store's statement listener ({@link JdbcStore#addStatementListener}: jOOQ's statements and the write path's own): a query
 * is one statement for the page, one more for {@code count} and one per relation per nesting level of {@code select}
 * (two for a many-many level that loads records: join rows, then the records), however many rows each level has; a
 * write is the statements pinned below. Transaction control is not counted (SQLite: {@code BEGIN [IMMEDIATE]} and
 * {@code COMMIT}, PostgreSQL: the JDBC commit): one more round trip per unit of work for each.
 */
@ParameterizedClass
@EnumSource(TestDatabase.class)
class StatementCountTest {
    @Parameter
    TestDatabase db;

    StoreFixture f;

    @BeforeEach
    void data() {
        f = new StoreFixture(db);
        Relation tags = StoreFixture.SCHEMA.relations().stream().filter(r -> r.relation().equals("tags")).findFirst().orElseThrow();
        f.store.write(StoreFixture.NS, tx -> {
            for (int g = 1; g <= 30; g++) {
                tx.records().insert(StoreFixture.SCHEMA.resource("goal"), record("goal:" + g, "label", "Goal " + g));
                for (int t = 1; t <= 3; t++) {
                    ObjectNode task = record("task:" + g + "." + t, "label", "Task " + t);
                    task.put("goalId", "goal:" + g);
                    task.put("priority", t);
                    tx.records().insert(StoreFixture.SCHEMA.resource("task"), task);
                    tx.joins().upsert(tags, "task:" + g + "." + t, "tag:" + t, Json.object().put("order", t));
                }
            }
            for (int t = 1; t <= 3; t++) {
                tx.records().insert(StoreFixture.SCHEMA.resource("tag"), record("tag:" + t, "label", "tag " + t));
            }
            return null;
        });
    }

    @AfterEach
    void close() {
        f.close();
    }

    private static ObjectNode record(String id, String field, String value) {
        return Json.object().put("id", id).put(field, value);
    }

    private List<String> query(String json) {
        return f.statementsOf(() -> f.ok("query", json));
    }

    private static void assertStatements(List<String> sql, int expected) {
        assertThat(sql).as("statements:%n%s", String.join("\n", sql)).hasSize(expected);
    }

    @Test
    void rowQuery_isOneStatement_whateverItsFilterSortAndCursor() {
        assertStatements(query("{\"resource\":\"task\"}"), 1);
        // relation paths and quantifiers are joins and subqueries of the same statement
        assertStatements(query("{\"resource\":\"task\",\"filters\":{\"goal.label\":\"Goal 1\",\"tags\":{\"$any\":{\"label\":\"tag 1\"}}},"
                + "\"sort\":[\"goal.label:desc\",\"priority\"],\"limit\":5}"), 1);
        assertStatements(query("{\"resource\":\"task\",\"sort\":[\"-priority\"],\"cursor\":{\"after\":{\"priority\":2,\"id\":\"task:7.2\"}}}"), 1);
    }

    @Test
    void count_isOneMoreStatement() {
        assertStatements(query("{\"resource\":\"task\",\"count\":true}"), 2);
    }

    @Test
    void groupedQuery_isOneStatement() {
        assertStatements(query("{\"resource\":\"task\",\"aggregate\":{\"groupBy\":[\"priority\"],\"aggregations\":"
                + "{\"n\":{\"op\":\"count\"}}}}"), 1);
    }

    @Test
    void expansion_isOneStatementPerRelationPerLevel_notPerRow() {
        // 30 goals with 3 tasks each, every task with a tag: the statement count does not grow with the rows
        assertStatements(query("{\"resource\":\"task\",\"select\":[\"id\",\"goal.label\"]}"), 2);        // many-one
        assertStatements(query("{\"resource\":\"goal\",\"select\":[\"id\",\"tasks\"]}"), 2);             // one-many
        assertStatements(query("{\"resource\":\"tag\",\"select\":[\"id\",\"tasks\"]}"), 2);              // many-many ids: join rows
        assertStatements(query("{\"resource\":\"task\",\"select\":[\"id\",\"tags.label\"]}"), 3);        // join rows + tags
        // goal page, tasks of all goals, join rows of all tasks, tags of all join rows
        assertStatements(query("{\"resource\":\"goal\",\"select\":[\"id\",\"tasks\",\"tasks.tags.label\"]}"), 4);
        // two relations on one level: one statement each
        assertStatements(query("{\"resource\":\"task\",\"select\":[\"id\",\"goal.label\",\"tags\"],\"count\":true}"), 4);
    }

    /*
     * A single insert through POST mutation, as the DataFn client sends it (with clientId and mutationId):
     *   PostgreSQL (4)                                        SQLite (5)
     *   insert into datafn_idempotency ... on conflict        insert into datafn_idempotency ... on conflict
     *     do nothing (claims the key)                           do nothing (claims the key)
     *   insert into task ... on conflict do nothing           insert into task ... on conflict do nothing
     *   update datafn_idempotency set payload, result         update datafn_idempotency set payload, result
     *   with s as (upsert datafn_seq returning value)         insert into datafn_seq ... on conflict ... returning value
     *     insert into datafn_changes select ... from s        insert into datafn_changes ...
     * plus the commit (and BEGIN IMMEDIATE on SQLite). Without the idempotency key the first and third go.
     * MariaDB (6): the seq upsert is read back with a select (no RETURNING on an upsert), so the seq takes two
     * statements. (Before the key was claimed by its insert, a lock statement and a select came first: 5, 5 and 7.)
     */
    @Test
    void insertMutation_statementsPinned() {
        List<String> keyed = f.statementsOf(() -> f.ok("mutation", "{\"resource\":\"task\",\"operation\":\"insert\","
                + "\"id\":\"task:new\",\"record\":{\"label\":\"x\",\"goalId\":\"goal:1\"},\"clientId\":\"c1\",\"mutationId\":\"m1\"}"));
        assertStatements(keyed, switch (db) {
            case POSTGRES -> 4;
            case SQLITE -> 5;
            case MARIADB -> 6;
        });
        assertThat(keyed.get(keyed.size() - 1)).containsIgnoringCase("datafn_changes");

        List<String> plain = f.statementsOf(() -> f.ok("mutation", "{\"resource\":\"task\",\"operation\":\"insert\","
                + "\"id\":\"task:new2\",\"record\":{\"label\":\"x\"}}"));
        assertStatements(plain, switch (db) {
            case POSTGRES -> 2;
            case SQLITE -> 3;
            case MARIADB -> 4;
        });
    }

    /**
     * A push of one insert, the sync write path: the same statements as the keyed mutation above (the key claimed by
     * a multi-row insert of one row, the record insert sent at the end of the work, no savepoint).
     */
    @Test
    void pushOfOneInsert_statementsPinned() {
        List<String> sql = f.statementsOf(() -> f.ok("push", "{\"clientId\":\"c1\",\"mutations\":[{\"resource\":\"task\","
                + "\"operation\":\"insert\",\"id\":\"task:pushed\",\"record\":{\"label\":\"x\"},\"clientId\":\"c1\",\"mutationId\":\"p1\"}]}"));
        assertStatements(sql, switch (db) {
            case POSTGRES -> 4;
            case SQLITE -> 5;
            case MARIADB -> 6;
        });
    }

    /**
     * A push of 100 inserts (the batch a client sends): its keys claimed in one statement, its record inserts in
     * one multi-row statement, its 100 key saves in one JDBC batch (one round trip, 100 statements to the server),
     * then the seq and change rows as for one insert; no savepoints. Before, each mutation took a savepoint, its own
     * claim, insert and save (over 400 round trips).
     */
    @Test
    void pushOf100Inserts_isAFewRoundTrips() {
        StringBuilder body = new StringBuilder("{\"clientId\":\"c1\",\"mutations\":[");
        for (int i = 0; i < 100; i++) {
            body.append(i == 0 ? "" : ",").append("{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:b")
                    .append(i).append("\",\"record\":{\"label\":\"x\",\"priority\":").append(i)
                    .append("},\"clientId\":\"c1\",\"mutationId\":\"b").append(i).append("\"}");
        }
        List<String> sql = f.statementsOf(() -> f.ok("push", body.append("]}").toString()));
        List<String> saves = sql.stream().filter(q -> q.toLowerCase().startsWith("update")).toList();
        assertThat(saves).hasSize(100).allMatch(q -> q.contains("datafn_idempotency"));
        List<String> others = sql.stream().filter(q -> !q.toLowerCase().startsWith("update")).toList();
        assertStatements(others, switch (db) {
            case POSTGRES -> 3; // claim, records, seq + changes
            case SQLITE -> 4;   // claim, records, seq, changes
            case MARIADB -> 5;  // claim, records, seq upsert, its select, changes
        });
        assertThat(others.get(0)).containsIgnoringCase("datafn_idempotency");
        assertThat(others.get(1)).startsWithIgnoringCase("insert").containsIgnoringCase("task");
    }
}
