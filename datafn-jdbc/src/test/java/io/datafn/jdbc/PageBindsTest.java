package io.datafn.jdbc;

import io.datafn.Limits;
import io.datafn.json.Json;
import io.datafn.query.Query;
import io.datafn.query.QueryParser;
import io.datafn.search.SearchService;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Arbitrary;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link PageBinds}: for every query it covers, on every dialect, the bind values it computes from the parsed query
 * are jOOQ's bind values of the page statement's tree, in their order (what {@link Statements#rows} binds to the
 * shape's cached SQL without building that tree). {@link StatementsTest} checks the answers on a database.
 */
class PageBindsTest {
    private static final QueryParser PARSER = new QueryParser(StoreFixture.SCHEMA, Limits.defaults(),
            new SearchService(StoreFixture.SCHEMA, null, null, Limits.defaults()));

    @Provide
    Arbitrary<StatementsTest.Template> templates() {
        return new StatementsTest().templates();
    }

    private static void assertSameBinds(String json) {
        Query q = PARSER.parse(Json.parse(json));
        for (Dialect d : Dialect.values()) {
            DSLContext ctx = DSL.using(d.jooq());
            QueryRunner runner = new QueryRunner(new Statements(new Statements.Cache(), null, ctx), StoreFixture.SCHEMA, d, null);
            List<Object> computed = PageBinds.of(d, new Columns(d), StoreFixture.NS, q);
            if (computed != null) {
                assertThat(computed).as("%s on %s", json, d).isEqualTo(ctx.extractBindValues(runner.pageStatement(StoreFixture.NS, q)));
            }
        }
    }

    @Property(tries = 500)
    void computedBinds_areJooqsBindsOfThePageStatement(@ForAll("templates") StatementsTest.Template t, @ForAll long seed) {
        assertSameBinds(t.query(seed));
    }

    @Test
    void theBenchmarkQueries_areCovered_andTheUncoveredAreNot() {
        String plain = "{\"resource\":\"task\",\"filters\":{\"label\":\"c3\",\"priority\":{\"gte\":50}},\"sort\":[\"-priority\"],\"limit\":20}";
        String paged = "{\"resource\":\"task\",\"filters\":{\"label\":\"c3\",\"priority\":{\"gte\":50}},\"sort\":[\"-priority\"],"
                + "\"limit\":20,\"cursor\":{\"after\":{\"priority\":70,\"id\":\"task:000042\"}}}";
        for (String json : List.of(plain, paged)) {
            assertSameBinds(json);
            assertThat(PageBinds.of(Dialect.POSTGRES, new Columns(Dialect.POSTGRES), "ns", PARSER.parse(Json.parse(json)))).isNotNull();
        }
        // a relation quantifier, a JSON path, a text operator: jOOQ's tree gives the binds
        for (String filter : List.of("{\"tags\":{\"$any\":{\"label\":\"a\"}}}", "{\"meta.k\":1}", "{\"label\":{\"contains\":\"a\"}}")) {
            Query q = PARSER.parse(Json.parse("{\"resource\":\"task\",\"filters\":" + filter + "}"));
            assertThat(PageBinds.of(Dialect.POSTGRES, new Columns(Dialect.POSTGRES), "ns", q)).as(filter).isNull();
        }
    }
}
