package io.datafn.jdbc;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.json.Json;
import io.datafn.schema.FieldType;
import org.jooq.JSONB;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;

/** How each field type is stored, bound and read back ({@link Columns}). */
class ColumnsTest {
    private final Columns pg = new Columns(Dialect.POSTGRES);
    private final Columns sqlite = new Columns(Dialect.SQLITE);

    @Test
    void storageKinds() {
        assertThat(pg.kind(FieldType.STRING)).isEqualTo(Dialect.ColumnKind.TEXT);
        assertThat(pg.kind(FieldType.FILE)).isEqualTo(Dialect.ColumnKind.TEXT);
        assertThat(pg.kind(FieldType.NUMBER)).isEqualTo(Dialect.ColumnKind.NUMBER);
        assertThat(pg.kind(FieldType.BOOLEAN)).isEqualTo(Dialect.ColumnKind.BOOLEAN);
        assertThat(pg.kind(FieldType.DATE)).isEqualTo(Dialect.ColumnKind.BIGINT);
        for (FieldType t : new FieldType[]{FieldType.OBJECT, FieldType.ARRAY, FieldType.JSON}) {
            assertThat(pg.kind(t)).isEqualTo(Dialect.ColumnKind.JSON);
        }
    }

    @Test
    void toSql_bindsStorageFormValues() {
        assertThat(pg.toSql(FieldType.STRING, Json.parse("\"x\""))).isEqualTo("x");
        assertThat(pg.toSql(FieldType.NUMBER, Json.parse("3"))).isEqualTo(3.0);
        assertThat(pg.toSql(FieldType.BOOLEAN, Json.parse("true"))).isEqualTo(true);
        assertThat(pg.toSql(FieldType.DATE, Json.parse("1767225600000"))).isEqualTo(1767225600000L);
        // JSON documents are canonical (sorted keys): jsonb on PostgreSQL, text on SQLite
        assertThat(pg.toSql(FieldType.JSON, Json.parse("{\"b\":1,\"a\":[true]}"))).isEqualTo(JSONB.valueOf("{\"a\":[true],\"b\":1}"));
        assertThat(sqlite.toSql(FieldType.OBJECT, Json.parse("{\"b\":1,\"a\":[true]}"))).isEqualTo("{\"a\":[true],\"b\":1}");
        assertThat(sqlite.toSql(FieldType.STRING, Json.NODES.nullNode())).isNull();
        assertThat(sqlite.toSql(FieldType.NUMBER, null)).isNull();
        assertThat(sqlite.toSql(FieldType.JSON, Json.NODES.missingNode())).isNull();
    }

    @Test
    void toWire_readsWhatEitherDriverReturns() {
        assertThat(Columns.toWire(FieldType.NUMBER, 3.0).toString()).isEqualTo("3");     // integral: no fraction
        assertThat(Columns.toWire(FieldType.NUMBER, 2.5).toString()).isEqualTo("2.5");
        assertThat(Columns.toWire(FieldType.BOOLEAN, Boolean.TRUE).booleanValue()).isTrue();
        assertThat(Columns.toWire(FieldType.BOOLEAN, 1).booleanValue()).isTrue();         // SQLite INTEGER
        assertThat(Columns.toWire(FieldType.BOOLEAN, 0).booleanValue()).isFalse();
        assertThat(Columns.toWire(FieldType.DATE, 1767225600000L).toString()).isEqualTo("1767225600000");
        assertThat(Columns.toWire(FieldType.JSON, JSONB.valueOf("{\"a\":1}"))).isEqualTo(Json.parse("{\"a\":1}"));
        assertThat(Columns.toWire(FieldType.ARRAY, "[1,\"x\"]")).isEqualTo(Json.parse("[1,\"x\"]"));
        assertThat(Columns.toWire(FieldType.STRING, null).isNull()).isTrue();
    }

    /** Every type written with {@code insert} reads back in the same wire form, on both databases. */
    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void everyType_roundTripsThroughTheDatabase(TestDatabase db) {
        try (StoreFixture f = new StoreFixture(db)) {
            ObjectNode written = (ObjectNode) Json.parse("{\"id\":\"t1\",\"label\":\"é ✓ \\\"q\\\"\",\"priority\":-2.5,\"done\":false,"
                    + "\"dueAt\":1767225600123,\"labels\":[\"a\",{\"z\":1,\"y\":null}],\"meta\":{\"n\":1e3,\"s\":\"x\"},"
                    + "\"code\":null,\"goalId\":null}");
            ObjectNode read = f.store.write(StoreFixture.NS, tx -> {
                tx.records().insert(StoreFixture.SCHEMA.resource("task"), written);
                return tx.records().read(StoreFixture.SCHEMA.resource("task"), "t1");
            });
            assertThat(Json.canonical(read)).isEqualTo(Json.canonical(written));
        }
    }
}
