package io.datafn.jdbc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.json.Json;
import io.datafn.schema.Resource;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Statements}: the SQL text of a query shape is rendered once and reused with other bind values. A query run
 * after another of its shape (its text from the cache) runs the same SQL text and answers the same as when it is
 * rendered afresh, and queries of different shapes never share a text.
 */
class StatementsTest {
    private static final String[] TEXTS = {"", "a", "Al", "beta", "%", "Gamma_1%", "back\\\\slash", "x"};
    private static final double[] NUMBERS = {0, 2, 2.5, 5, 10, -1};
    private static final long[] DATES = {0, 1000, 2000, 3000};

    StoreFixture f;

    @BeforeProperty
    void data() {
        f = new StoreFixture(TestDatabase.SQLITE);
        Resource task = StoreFixture.SCHEMA.resource("task");
        f.store.write(StoreFixture.NS, tx -> {
            Random rnd = new Random(7);
            for (int i = 1; i <= 40; i++) {
                ObjectNode r = Json.object().put("id", "t" + i);
                r.put("label", TEXTS[rnd.nextInt(TEXTS.length)] + (i % 3 == 0 ? "" : "z" + i));
                if (i % 5 != 0) {
                    r.put("priority", NUMBERS[rnd.nextInt(NUMBERS.length)]);
                }
                if (i % 4 != 0) {
                    r.put("done", rnd.nextBoolean());
                }
                if (i % 3 != 0) {
                    r.put("dueAt", DATES[rnd.nextInt(DATES.length)]);
                }
                ObjectNode meta = r.putObject("meta");
                if (rnd.nextBoolean()) {
                    meta.put("k", TEXTS[rnd.nextInt(TEXTS.length)]);
                } else {
                    meta.put("k", NUMBERS[rnd.nextInt(NUMBERS.length)]);
                }
                r.putArray("labels").add(TEXTS[rnd.nextInt(TEXTS.length)]);
                tx.records().insert(task, r);
            }
            return null;
        });
    }

    @AfterProperty
    @AfterEach
    void close() {
        if (f != null) {
            f.close();
            f = null;
        }
    }

    /** A query template: its structure fixed, its values drawn from {@code seed}. */
    record Template(List<Integer> conditions, int combine, int sort, boolean desc, int limit, int offset, int cursor) {
        String query(long seed) {
            Random r = new Random(seed);
            List<String> parts = new ArrayList<>();
            for (int c : conditions) {
                parts.add(condition(c, r));
            }
            String filter = switch (combine) {
                case 0 -> "{\"$and\":[" + String.join(",", parts) + "]}";
                case 1 -> "{\"$or\":[" + String.join(",", parts) + "]}";
                default -> "{\"$not\":{\"$and\":[" + String.join(",", parts) + "]}}";
            };
            String field = new String[]{"priority", "label", "dueAt", "done"}[sort];
            String q = "{\"resource\":\"task\",\"filters\":" + filter + ",\"sort\":[\"" + (desc ? "-" : "") + field
                    + "\"],\"limit\":" + limit + (offset > 0 ? ",\"offset\":" + offset : "");
            if (cursor > 0) {
                String boundary = switch (sort) {
                    case 0 -> r.nextInt(4) == 0 ? "null" : Double.toString(NUMBERS[r.nextInt(NUMBERS.length)]);
                    case 1 -> Json.NODES.textNode(TEXTS[r.nextInt(TEXTS.length)]).toString();
                    case 2 -> r.nextInt(4) == 0 ? "null" : Long.toString(DATES[r.nextInt(DATES.length)]);
                    default -> r.nextInt(4) == 0 ? "null" : Boolean.toString(r.nextBoolean());
                };
                q += ",\"cursor\":{\"" + (cursor == 1 ? "after" : "before") + "\":{\"" + field + "\":" + boundary
                        + ",\"id\":\"t" + (1 + r.nextInt(40)) + "\"}}";
            }
            return q + "}";
        }

        private static String text(Random r) {
            return Json.NODES.textNode(TEXTS[r.nextInt(TEXTS.length)]).toString();
        }

        private static String number(Random r) {
            return Json.number(NUMBERS[r.nextInt(NUMBERS.length)]).toString();
        }

        /** One condition; some draw a value of another kind, or a list of another length, from the seed. */
        private static String condition(int c, Random r) {
            String[] textOps = {"eq", "ne", "startsWith", "endsWith", "contains", "like", "ilike", "not_like", "not_ilike"};
            String[] numberOps = {"eq", "ne", "gt", "gte", "lt", "lte"};
            return switch (c) {
                case 0 -> "{\"label\":{\"" + textOps[r.nextInt(textOps.length)] + "\":" + text(r) + "}}";
                case 1 -> "{\"priority\":{\"" + numberOps[r.nextInt(numberOps.length)] + "\":" + number(r) + "}}";
                case 2 -> "{\"priority\":{\"between\":[" + number(r) + "," + number(r) + "]}}";
                case 3 -> "{\"label\":{\"in\":[" + text(r) + (r.nextBoolean() ? "," + text(r) : "") + "]}}";
                case 4 -> "{\"done\":" + r.nextBoolean() + "}";
                case 5 -> "{\"dueAt\":{\"gte\":" + DATES[r.nextInt(DATES.length)] + "}}";
                case 6 -> "{\"meta.k\":" + (r.nextBoolean() ? text(r) : number(r)) + "}";
                case 7 -> "{\"labels\":{\"contains\":" + text(r) + "}}";
                case 8 -> "{\"priority\":{\"is_null\":" + r.nextBoolean() + "}}";
                default -> "{\"priority\":{\"not_in\":[" + number(r) + (r.nextBoolean() ? "," + number(r) : "") + "]}}";
            };
        }
    }

    @Provide
    Arbitrary<Template> templates() {
        return Combinators.combine(Arbitraries.integers().between(0, 9).list().ofMinSize(1).ofMaxSize(3),
                Arbitraries.integers().between(0, 2), Arbitraries.integers().between(0, 3), Arbitraries.of(true, false),
                Arbitraries.integers().between(0, 25), Arbitraries.of(0, 0, 3), Arbitraries.integers().between(0, 2))
                .as(Template::new);
    }

    /** The statement a query runs and its answer. */
    private record Run(List<String> sql, JsonNode answer) {
    }

    private Run run(String query) {
        JsonNode[] answer = new JsonNode[1];
        List<String> sql = f.statementsOf(() -> answer[0] = f.ok("query", query));
        return new Run(sql, answer[0]);
    }

    @Property(tries = 300)
    void aQueryAfterAnotherOfItsShape_runsTheSqlAndAnswersAsWhenRenderedAfresh(
            @ForAll("templates") Template t, @ForAll long first, @ForAll long second,
            @ForAll("templates") Template other, @ForAll long third) {
        run(t.query(first));
        run(other.query(third)); // another shape (mostly) cached in between
        Run cached = run(t.query(second));
        f.store.statements().clear();
        Run fresh = run(t.query(second));
        assertThat(cached).as("%s after %s", t.query(second), t.query(first)).isEqualTo(fresh);
    }

    @Test
    void oneShape_isRenderedOnce_andOtherShapesHaveTheirOwnText() {
        f = new StoreFixture(TestDatabase.SQLITE);
        f.store.statements().clear(); // the fixture's own writes cached their shapes
        Run a = run("{\"resource\":\"task\",\"filters\":{\"priority\":{\"gte\":1}},\"sort\":[\"-priority\"],\"limit\":20}");
        Run b = run("{\"resource\":\"task\",\"filters\":{\"priority\":{\"gte\":7}},\"sort\":[\"-priority\"],\"limit\":20}");
        assertThat(f.store.statements().cached()).isEqualTo(1);
        assertThat(b.sql()).isEqualTo(a.sql());
        Run c = run("{\"resource\":\"task\",\"filters\":{\"priority\":{\"gt\":1}},\"sort\":[\"-priority\"],\"limit\":20}");
        Run d = run("{\"resource\":\"task\",\"filters\":{\"label\":{\"startsWith\":\"\"}},\"sort\":[\"-priority\"],\"limit\":20}");
        Run e = run("{\"resource\":\"task\",\"filters\":{\"label\":{\"startsWith\":\"a\"}},\"sort\":[\"-priority\"],\"limit\":20}");
        assertThat(f.store.statements().cached()).isEqualTo(4);
        assertThat(List.of(a.sql(), c.sql(), d.sql(), e.sql())).doesNotHaveDuplicates();
    }
}
