package io.datafn.jdbc;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.json.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.sql.Connection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link JdbcStore#readSingle}: one statement outside a transaction where the dialect allows it (PostgreSQL, SQLite),
 * a second statement refused there; the read pool's connections back in their transaction mode afterwards, so that
 * {@link JdbcStore#read} still reads one snapshot; MariaDB's single reads stay in a transaction.
 */
@ParameterizedClass
@EnumSource(TestDatabase.class)
class SingleStatementReadTest {
    @Parameter
    TestDatabase db;

    StoreFixture f;

    @BeforeEach
    void open() {
        f = new StoreFixture(db);
        f.ok("mutation", "{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:1\",\"record\":{\"label\":\"a\",\"priority\":2}}");
    }

    @AfterEach
    void close() {
        f.close();
    }

    private static boolean autoCommit(JdbcTx tx) {
        return tx.dsl().connectionResult(Connection::getAutoCommit);
    }

    @Test
    void oneStatement_runsInAutoCommitModeWhereTheDialectAllows_andAnswersAsARead() {
        String sql = "select count(*) from " + SqlNames.table(StoreFixture.SCHEMA.resource("task"));
        Object single = f.store.readSingle(StoreFixture.NS, tx -> ((JdbcTx) tx).dsl().fetchValue(sql));
        Object read = f.store.read(StoreFixture.NS, tx -> ((JdbcTx) tx).dsl().fetchValue(sql));
        assertThat(String.valueOf(single)).isEqualTo(String.valueOf(read)).isEqualTo("1");
        if (db == TestDatabase.POSTGRES) {
            boolean auto = f.store.readSingle(StoreFixture.NS, tx -> autoCommit((JdbcTx) tx));
            assertThat(auto).isTrue();
        }
    }

    @Test
    void secondStatement_isRefusedOutsideATransaction_andTheConnectionsStayUsable() {
        for (int i = 0; i < 12; i++) { // more than the pool's connections: every one of them has been through it
            if (db.dialect().autoCommitSingle()) {
                assertThatThrownBy(() -> f.store.<Object>readSingle(StoreFixture.NS, tx -> {
                    ((JdbcTx) tx).dsl().fetchValue("select 1");
                    return ((JdbcTx) tx).dsl().fetchValue("select 2");
                })).isInstanceOf(IllegalStateException.class).hasMessageContaining("second statement");
            } else {
                Object two = f.store.readSingle(StoreFixture.NS, tx -> {
                    ((JdbcTx) tx).dsl().fetchValue("select 1");
                    return ((JdbcTx) tx).dsl().fetchValue("select 2");
                });
                assertThat(String.valueOf(two)).isEqualTo("2");
            }
            // the failed single read left no connection in auto-commit mode: reads are still transactions
            if (db != TestDatabase.SQLITE) { // SQLite's connections are in auto-commit mode, the dialect BEGINs
                boolean auto = f.store.read(StoreFixture.NS, tx -> autoCommit((JdbcTx) tx));
                assertThat(auto).isFalse();
            }
            com.fasterxml.jackson.databind.node.ObjectNode task = f.store.readSingle(StoreFixture.NS,
                    tx -> tx.records().read(StoreFixture.SCHEMA.resource("task"), "task:1"));
            assertThat(task).isNotNull();
        }
    }

    @Test
    void queries_answerTheSame_singleOrInATransaction() {
        // a single-statement query (readSingle), then the same with count and related data (a read transaction)
        JsonNode single = f.ok("query", "{\"resource\":\"task\",\"sort\":[\"-priority\"]}");
        JsonNode counted = f.ok("query", "{\"resource\":\"task\",\"sort\":[\"-priority\"],\"count\":true,"
                + "\"select\":[\"*\",\"goal.label\"]}");
        assertThat(single.get("data").get(0).get("label")).isEqualTo(Json.NODES.textNode("a"));
        assertThat(counted.get("count").asLong()).isEqualTo(1);
        assertThat(counted.get("data").get(0).get("label")).isEqualTo(single.get("data").get(0).get("label"));
    }
}
