package io.datafn.query;

import io.datafn.schema.FieldType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.error.DatafnException;
import io.datafn.json.Json;
import io.datafn.schema.Resource;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.datafn.query.ParserFixtures.PARSER;
import static io.datafn.query.ParserFixtures.SCHEMA;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Whatever JSON a client sends as a query body or a filter, the parsers answer with a {@link DatafnException} (a 4xx
 * envelope) or a parsed value, never with another exception (which would become a 500). The generated JSON is
 * biased towards the query vocabulary so that it reaches deep into the parsers.
 */
class ParserRobustnessPropertyTest {
    private static final List<String> QUERY_KEYS = List.of("resource", "version", "select", "omit", "filters", "sort",
            "limit", "offset", "cursor", "count", "groupBy", "aggregations", "having", "relation", "id", "search",
            "temporal", "metadata");
    private static final List<String> FILTER_KEYS = List.of("id", "label", "title", "priority", "goalId", "isArchived",
            "updatedAt", "dueAt", "labels", "meta", "code", "goal", "tags", "goal.label", "goal.tasks", "tags.label",
            "goal.tasks.label", "meta.color", "meta.a.b", "$and", "$or", "$not");
    private static final List<String> ODD_FILTER_KEYS = List.of("labels.x", "nope", "goal.nope", "$any", "$all",
            "$none", "n", "avg", "goal.", ".label", "tags.$any");
    private static final List<String> OPERATORS = List.of("eq", "$eq", "ne", "gt", "gte", "lt", "lte", "before", "after",
            "like", "ilike", "not_like", "not_ilike", "in", "not_in", "nin", "$nin", "between", "not_between", "is_null",
            "is_not_null", "is_empty", "is_not_empty", "contains", "startsWith", "endsWith", "$any", "$all", "$none", "wat");
    private static final List<String> OTHER_KEYS = List.of("after", "before", "field", "direction", "op", "fn", "query",
            "includeTrashed", "accessMode", "a", "");
    private static final List<String> STRINGS = List.of("", "task", "goal", "tag", "kv", "nope", "id", "label",
            "priority", "dueAt", "meta", "tags", "goal", "goal.*", "tags.#", "tags.*#", "goal.label", "tasks.tags.*", "*",
            "id:asc", "label:desc", "-priority", "priority:up", "-", ":", "count", "sum", "avg", "min", "max", "median",
            "2026-01-02", "2026-01-02T10:00:00Z", "2026-13-45", "2026-01-01T25:61", "2026-01-01T10:00:00+99:00",
            "2026-01-01T10:00+05:30", "%", "_a%", "x".repeat(201), "é😀", "task:1", "*", "asc", "DESC");

    @Property(tries = 1500)
    void queryParser_throwsOnlyDatafnException(@ForAll("queryBodies") JsonNode body) {
        try {
            Query q = PARSER.parse(body);
            if (q.aggregate() == null) {
                // a row query's order is total: id is always among the sort keys
                assertThat(q.sort()).extracting(Query.SortTerm::key).contains("id");
            }
            Statistics.label("outcome").collect("parsed");
        } catch (DatafnException expected) {
            assertThat(expected.code()).isNotNull();
            assertThat(expected.path()).isNotNull();
            Statistics.label("outcome").collect(expected.code());
        }
    }

    @Property(tries = 1500)
    void filterParser_throwsOnlyDatafnException(@ForAll("filterObjects") JsonNode filter,
                                               @ForAll("resources") String resource) {
        Resource res = SCHEMA.resource(resource);
        for (FilterParser.Mode mode : FilterParser.Mode.values()) {
            try {
                if (mode == FilterParser.Mode.HAVING) {
                    FilterParser.parseHaving(SCHEMA, res, filter, Map.of("n", FieldType.NUMBER, "avg", FieldType.NUMBER, "goalId", FieldType.STRING));
                } else {
                    FilterParser.parse(SCHEMA, res, filter, "filters", mode);
                }
            } catch (DatafnException expected) {
                assertThat(expected.code()).isNotNull();
            }
        }
    }

    @Provide
    Arbitrary<String> resources() {
        return Arbitraries.of("task", "goal", "tag");
    }

    @Provide
    Arbitrary<JsonNode> queryBodies() {
        Arbitrary<JsonNode> query = Combinators.combine(
                Arbitraries.of("task", "goal", "nope", "tag", "task").map(s -> (JsonNode) Json.NODES.textNode(s)),
                queryKey().flatMap(k -> valueFor(k).map(v -> Tuple.of(k, v))).list().ofMaxSize(6))
                .as((resource, entries) -> {
                    ObjectNode o = Json.object();
                    o.set("resource", resource);
                    entries.forEach(e -> o.set(e.get1(), e.get2()));
                    return (JsonNode) o;
                });
        return Arbitraries.frequencyOf(Tuple.of(12, query), Tuple.of(1, anyJson(3)));
    }

    @Provide
    Arbitrary<JsonNode> filterObjects() {
        return filter(4);
    }

    /** Keys that fail early in the parser (search, temporal, relation) come seldom, so that most bodies go deep. */
    private static Arbitrary<String> queryKey() {
        return Arbitraries.frequencyOf(
                Tuple.of(12, Arbitraries.of("filters", "sort", "select", "cursor", "groupBy", "aggregations", "having")),
                Tuple.of(4, Arbitraries.of("limit", "offset", "count", "omit")),
                Tuple.of(1, Arbitraries.of(QUERY_KEYS)));
    }

    /** Values shaped like what the key expects, often slightly wrong, sometimes anything at all. */
    private static Arbitrary<JsonNode> valueFor(String key) {
        Arbitrary<JsonNode> shaped = switch (key) {
            case "filters", "having" -> filter(3);
            case "select", "omit", "groupBy", "sort" -> Arbitraries.frequencyOf(
                    Tuple.of(3, text()), Tuple.of(1, object(Arbitraries.of("field", "direction"), text())))
                    .list().ofMaxSize(12).map(ParserRobustnessPropertyTest::array);
            case "cursor" -> object(Arbitraries.of("after", "before"),
                    object(Arbitraries.of("id", "priority", "label", "dueAt", "goal.label", "n"), scalar()));
            case "aggregations" -> object(Arbitraries.of("n", "avg", "a", "id"),
                    object(Arbitraries.of("op", "fn", "field"), text()));
            case "limit", "offset" -> Arbitraries.frequencyOf(Tuple.of(4, Arbitraries.integers().between(0, 100)
                    .map(i -> (JsonNode) Json.NODES.numberNode(i))), Tuple.of(1, scalar()));
            case "count" -> Arbitraries.frequencyOf(Tuple.of(4, Arbitraries.of(true, false)
                    .map(b -> (JsonNode) Json.NODES.booleanNode(b))), Tuple.of(1, scalar()));
            default -> anyJson(2);
        };
        return Arbitraries.frequencyOf(Tuple.of(10, shaped), Tuple.of(1, anyJson(2)));
    }

    private static Arbitrary<JsonNode> filter(int depth) {
        Arbitrary<JsonNode> leaf = Arbitraries.frequencyOf(
                Tuple.of(3, scalar()),
                Tuple.of(1, scalar().list().ofMaxSize(3).map(ParserRobustnessPropertyTest::array)),
                Tuple.of(5, object(Arbitraries.of(OPERATORS), Arbitraries.frequencyOf(
                        Tuple.of(4, scalar()),
                        Tuple.of(2, scalar().list().ofMaxSize(3).map(ParserRobustnessPropertyTest::array)),
                        Tuple.of(1, anyJson(1))))));
        Arbitrary<JsonNode> value = depth == 0 ? leaf : Arbitraries.frequencyOf(
                Tuple.of(5, leaf),
                Tuple.of(2, filter(depth - 1)),
                Tuple.of(2, filter(depth - 1).list().ofMaxSize(3).map(ParserRobustnessPropertyTest::array)),
                Tuple.of(1, object(Arbitraries.of("$any", "$all", "$none", "$some"), filter(depth - 1))
                        ));
        return object(Arbitraries.frequencyOf(Tuple.of(12, Arbitraries.of(FILTER_KEYS)), Tuple.of(1, Arbitraries.of(ODD_FILTER_KEYS))),
                value);
    }

    private static Arbitrary<JsonNode> anyJson(int depth) {
        if (depth == 0) {
            return scalar();
        }
        Arbitrary<String> keys = Arbitraries.oneOf(Arbitraries.of(QUERY_KEYS), Arbitraries.of(FILTER_KEYS), Arbitraries.of(ODD_FILTER_KEYS),
                Arbitraries.of(OPERATORS), Arbitraries.of(OTHER_KEYS));
        return Arbitraries.frequencyOf(
                Tuple.of(4, scalar()),
                Tuple.of(1, anyJson(depth - 1).list().ofMaxSize(4).map(ParserRobustnessPropertyTest::array)),
                Tuple.of(2, object(keys, anyJson(depth - 1))));
    }

    private static Arbitrary<JsonNode> object(Arbitrary<String> keys, Arbitrary<JsonNode> values) {
        return Combinators.combine(keys, values).as(Tuple::of).list().ofMaxSize(4).map(entries -> {
            ObjectNode o = Json.object();
            entries.forEach(e -> o.set(e.get1(), e.get2()));
            return (JsonNode) o;
        });
    }

    private static JsonNode array(List<? extends JsonNode> items) {
        ArrayNode a = Json.array();
        items.forEach(a::add);
        return a;
    }

    private static Arbitrary<JsonNode> text() {
        return Arbitraries.frequencyOf(Tuple.of(4, Arbitraries.of(STRINGS)), Tuple.of(1, Arbitraries.strings().ofMaxLength(8)))
                .map(Json.NODES::textNode);
    }

    private static Arbitrary<JsonNode> scalar() {
        return Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.just(Json.NODES.nullNode())),
                Tuple.of(1, Arbitraries.of(true, false).map(Json.NODES::booleanNode)),
                Tuple.of(2, Arbitraries.integers().between(-3, 120).map(Json.NODES::numberNode)),
                // Jackson reads 1e400 as an infinite double, so infinities do reach the parsers
                Tuple.of(1, Arbitraries.of(1.5, -0.0, 1e300, -1e300, 2.5e-7, 4.9e-324, Double.MAX_VALUE,
                        9.007199254740993e15, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY).map(Json.NODES::numberNode)),
                Tuple.of(1, Arbitraries.of(new BigInteger("123456789012345678901234567890"), BigInteger.TWO.pow(63),
                        BigInteger.TWO.pow(31)).map(Json.NODES::numberNode)),
                Tuple.of(1, Arbitraries.of(new BigDecimal("1e400"), new BigDecimal("-1e-400"), new BigDecimal("100.000"))
                        .map(Json.NODES::numberNode)),
                Tuple.of(4, text()));
    }
}
