package io.datafn.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.Limits;
import io.datafn.json.Json;
import io.datafn.server.QueryOracle.Cond;
import io.datafn.server.QueryOracle.Entry;
import io.datafn.server.QueryOracle.FieldEntry;
import io.datafn.server.QueryOracle.Logic;
import io.datafn.server.QueryOracle.NotEntry;
import io.datafn.server.QueryOracle.Obj;
import io.datafn.server.QueryOracle.OpVal;
import io.datafn.server.QueryOracle.Ops;
import io.datafn.server.QueryOracle.Row;
import io.datafn.server.QueryOracle.Shorthand;
import io.datafn.server.QueryOracle.SortTerm;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Group;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;
import net.jqwik.api.statistics.Statistics;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Property tests of {@code POST query}: random filter trees, sorts, limits, offsets and cursors against a real server
 * (SQLite and PostgreSQL), compared with {@link QueryOracle}, a plain-Java evaluator over the same rows.
 * The data set is generated once from a fixed seed with small value domains, so ties, nulls, empty strings, LIKE
 * wildcards in the data, mixed case and non-ASCII text are frequent.
 */
class QueryPropertyTest {
    static final int MAX_LIMIT = 25;
    /** Nesting of $and/$or/$not in generated filters. */
    static final int FILTER_DEPTH = 3;

    private static final Map<TestDb, TestServer> SERVERS = new EnumMap<>(TestDb.class);

    // ------------------------------------------------------------------------------------------------ the data

    static final List<String> STRINGS = List.of("", "a", "A", "ab", "aB", "Ab", "abc", "ABC", "a%c", "a_c", "abc%",
            "50%", "x_y", "é", "É", "été", "Ａ", "😀", "a😀b", "back\\slash", "b", "B", " a", "a ", "ba");
    static final List<Double> NUMBERS = List.of(-1.5, 0.0, 1.0, 2.0, 2.5, 10.0, 100.0);
    static final List<Long> DATES = List.of(-1L, 0L, millis("2026-01-01T00:00:00Z"), millis("2026-01-02T00:00:00Z"),
            millis("2026-01-02T12:30:00Z"), millis("2026-01-03T00:00:00Z"));
    /** Declared after the value domains it draws from. */
    static final List<Row> ROWS = rows(new Random(20260110L));

    private static long millis(String iso) {
        return Instant.parse(iso).toEpochMilli();
    }

    static List<Row> rows(Random rnd) {
        int count = 40 + rnd.nextInt(21);
        String idChars = "aAbBzZ09_-é";
        Set<String> ids = new LinkedHashSet<>();
        while (ids.size() < count) {
            StringBuilder id = new StringBuilder("item:");
            for (int i = 0; i < 3; i++) {
                id.append(idChars.charAt(rnd.nextInt(idChars.length())));
            }
            ids.add(id.toString());
        }
        List<Row> out = new ArrayList<>();
        for (String id : ids) {
            out.add(new Row(id,
                    rnd.nextInt(5) == 0 ? null : STRINGS.get(rnd.nextInt(STRINGS.size())),
                    rnd.nextInt(5) == 0 ? null : NUMBERS.get(rnd.nextInt(NUMBERS.size())),
                    rnd.nextBoolean(),
                    rnd.nextInt(4) == 0 ? null : DATES.get(rnd.nextInt(DATES.size()))));
        }
        return out;
    }

    /** The server for {@code db}, started and loaded on first use; both databases get the same rows. */
    static synchronized TestServer server(TestDb db) {
        TestServer s = SERVERS.get(db);
        if (s == null) {
            s = TestServer.start(db, QueryOracle.SCHEMA, b -> b.limits(Limits.defaults().withMaxLimit(MAX_LIMIT)));
            SERVERS.put(db, s);
            ArrayNode batch = Json.array();
            Random rnd = new Random(7);
            for (Row r : ROWS) {
                ObjectNode rec = Json.object();
                if (r.s() != null || rnd.nextBoolean()) {
                    rec.put("s", r.s());
                }
                if (r.n() != null || rnd.nextBoolean()) {
                    rec.put("n", r.n());
                }
                rec.put("b", r.b());
                if (r.d() == null) {
                    if (rnd.nextBoolean()) {
                        rec.putNull("d");
                    }
                } else if (rnd.nextBoolean()) {
                    rec.put("d", r.d());
                } else {
                    rec.put("d", QueryOracle.isoMillis(r.d()));
                }
                batch.addObject().put("resource", "item").put("operation", "insert").put("id", r.id()).set("record", rec);
            }
            s.mutate(Json.text(batch));
            JsonNode all = s.query("{\"resource\":\"item\",\"limit\":" + MAX_LIMIT + ",\"count\":true}");
            assertThat(all.path("count").asInt()).isEqualTo(ROWS.size());
        }
        return s;
    }

    @AfterContainer
    static synchronized void stopServers() {
        SERVERS.values().forEach(TestServer::close);
        SERVERS.clear();
    }

    /** Skips the PostgreSQL group when it is unreachable, except on CI (where starting the server then fails). */
    public static final class PostgresOrSkip implements SkipExecutionHook {
        @Override
        public SkipResult shouldBeSkipped(LifecycleContext context) {
            if (TestDb.postgresReachable() || "true".equals(System.getenv("CI"))) {
                return SkipResult.doNotSkip();
            }
            return SkipResult.skip("PostgreSQL not reachable at " + TestDb.PG_URL);
        }
    }

    @Group
    class OnSqlite extends QueryProperties {
        @Override
        TestDb db() {
            return TestDb.SQLITE;
        }
    }

    @Group
    @AddLifecycleHook(PostgresOrSkip.class)
    class OnPostgres extends QueryProperties {
        @Override
        TestDb db() {
            return TestDb.POSTGRES;
        }
    }

    /** Skips the MariaDB group when it is unreachable, except on CI (where starting the server then fails). */
    public static final class MariadbOrSkip implements SkipExecutionHook {
        @Override
        public SkipResult shouldBeSkipped(LifecycleContext context) {
            if (io.datafn.testing.TestServices.mariadbReachable() || "true".equals(System.getenv("CI"))) {
                return SkipResult.doNotSkip();
            }
            return SkipResult.skip("MariaDB not reachable at " + io.datafn.testing.TestServices.MARIADB_URL);
        }
    }

    @Group
    @AddLifecycleHook(MariadbOrSkip.class)
    class OnMariadb extends QueryProperties {
        @Override
        TestDb db() {
            return TestDb.MARIADB;
        }
    }

    // ------------------------------------------------------------------------------------------- the properties

    abstract static class QueryProperties {
        abstract TestDb db();

        JsonNode query(ObjectNode q) {
            return server(db()).query(Json.text(q));
        }

        /** (a) One page of a filtered, sorted query: exactly the evaluator's rows, values and nextCursor. */
        @Property(tries = 200)
        void filterAndSort_returnTheEvaluatorsPage(@ForAll("filters") Obj filter, @ForAll("sorts") List<SortTerm> sort,
                                                  @ForAll("limits") Integer limit, @ForAll("offsets") int offset) {
            ObjectNode q = request(filter, sort);
            if (limit != null) {
                q.put("limit", limit);
            }
            if (offset > 0) {
                q.put("offset", offset);
            }
            List<Row> all = QueryOracle.evaluate(ROWS, filter, sort);
            int lim = limit == null ? MAX_LIMIT : limit;
            List<Row> page = all.subList(Math.min(offset, all.size()), Math.min(offset + lim, all.size()));
            Statistics.label("matching rows").collect(all.isEmpty() ? "none" : all.size() == ROWS.size() ? "all" : "some");
            Statistics.label("matching rows").coverage(c -> c.check("some").percentage(p -> p >= 30));

            JsonNode result = query(q);
            assertThat(wireRows(result.path("data"))).as("data of %s", q).containsExactlyElementsOf(wireRows(page));
            JsonNode next = offset + lim < all.size() && !page.isEmpty()
                    ? QueryOracle.cursorOf(page.get(page.size() - 1), sort) : null;
            assertCursor(result, next, q);
            assertThat(result.has("count")).as("count key without count:true, %s", q).isFalse();
        }

        /** (b) Following nextCursor page by page visits every matching row exactly once, in order. */
        @Property(tries = 60)
        void paging_visitsEveryMatchingRowOnceInOrder(@ForAll("filters") Obj filter, @ForAll("sorts") List<SortTerm> sort,
                                                     @ForAll @IntRange(min = 1, max = 7) int pageSize) {
            List<Row> all = QueryOracle.evaluate(ROWS, filter, sort);
            List<String> seen = new ArrayList<>();
            JsonNode cursor = null;
            int requests = 0;
            do {
                ObjectNode q = request(filter, sort).put("limit", pageSize);
                if (cursor != null) {
                    q.putObject("cursor").set("after", cursor);
                }
                List<Row> expectedPage = all.subList(seen.size(), Math.min(seen.size() + pageSize, all.size()));
                JsonNode result = query(q);
                List<String> ids = JsonAssert.ids(result);
                assertThat(ids).as("page %d of %s", requests, q).containsExactlyElementsOf(idsOf(expectedPage));
                seen.addAll(ids);
                JsonNode expectedNext = seen.size() < all.size()
                        ? QueryOracle.cursorOf(expectedPage.get(expectedPage.size() - 1), sort) : null;
                assertCursor(result, expectedNext, q);
                cursor = result.get("nextCursor");
                requests++;
            } while (cursor != null && !cursor.isNull());
            assertThat(seen).containsExactlyElementsOf(idsOf(all));
            assertThat(requests).isEqualTo(Math.max(1, (all.size() + pageSize - 1) / pageSize));
        }

        /**
         * (c) A cursor built from any boundary (a stored row or made-up values, nulls included): {@code after} gives
         * the first rows strictly after it, {@code before} the rows just before it in normal order.
         */
        @Property(tries = 150)
        void cursor_afterAndBeforeAnyBoundary(@ForAll("filters") Obj filter, @ForAll("sorts") List<SortTerm> sort,
                                             @ForAll("boundaries") Row boundary, @ForAll boolean before,
                                             @ForAll("smallLimits") Integer pageLimit, @ForAll boolean datesAsMillis) {
            int limit = pageLimit == null ? MAX_LIMIT : pageLimit;
            List<SortTerm> eff = QueryOracle.effectiveSort(sort);
            ObjectNode bound = QueryOracle.cursorOf(boundary, sort);
            if (datesAsMillis && boundary.d() != null && bound.has("d")) {
                bound.put("d", boundary.d());
            }
            ObjectNode q = request(filter, sort);
            if (pageLimit != null) {
                q.put("limit", pageLimit);
            }
            q.putObject("cursor").set(before ? "before" : "after", bound);

            Comparator<List<Object>> order = QueryOracle.keyOrder(eff);
            List<Object> b = QueryOracle.key(boundary, eff);
            List<Row> side = new ArrayList<>();
            for (Row r : QueryOracle.evaluate(ROWS, filter, sort)) {
                int c = order.compare(QueryOracle.key(r, eff), b);
                if (before ? c < 0 : c > 0) {
                    side.add(r);
                }
            }
            List<Row> page;
            JsonNode next;
            if (before) {
                page = side.subList(Math.max(0, side.size() - limit), side.size());
                // reference §4.6: a before page's nextCursor is its last row whenever it has rows
                next = page.isEmpty() ? null : QueryOracle.cursorOf(page.get(page.size() - 1), sort);
            } else {
                page = side.subList(0, Math.min(limit, side.size()));
                next = side.size() > limit && !page.isEmpty() ? QueryOracle.cursorOf(page.get(page.size() - 1), sort) : null;
            }
            JsonNode result = query(q);
            assertThat(JsonAssert.ids(result)).as("ids of %s", q).containsExactlyElementsOf(idsOf(page));
            assertCursor(result, next, q);
        }

        /** (d) {@code count:true} is the number of matching rows, whatever the page. */
        @Property(tries = 60)
        void count_isTheNumberOfMatchingRows(@ForAll("filters") Obj filter, @ForAll("sorts") List<SortTerm> sort,
                                             @ForAll("limits") Integer limit, @ForAll("offsets") int offset) {
            ObjectNode q = request(filter, sort).put("count", true);
            if (limit != null) {
                q.put("limit", limit);
            }
            q.put("offset", offset);
            List<Row> all = QueryOracle.evaluate(ROWS, filter, sort);
            JsonNode result = query(q);
            assertThat(result.path("count").isIntegralNumber()).as("count of %s: %s", q, result).isTrue();
            assertThat(result.path("count").asInt()).as("count of %s", q).isEqualTo(all.size());
            int lim = limit == null ? MAX_LIMIT : limit;
            assertThat(JsonAssert.ids(result)).as("ids of %s", q)
                    .containsExactlyElementsOf(idsOf(all.subList(Math.min(offset, all.size()), Math.min(offset + lim, all.size()))));
        }

        // ------------------------------------------------------------------------- shrunk counterexamples

        /**
         * Found by (a), (b) and (c): a null in an {@code in} list reached SQL as {@code d IN (NULL)}, which is
         * unknown for every row, so {@code {"d":[null]}} matched nothing and {@code not_in: [1, null]} missed every
         * row that is not 1. A null in the list means "is null" (as {@code eq: null}); {@code not_in} is the complement.
         */
        @Example
        void inListWithNull_matchesNullRows_andNotInIsItsComplement() {
            assertThat(JsonAssert.ids(query(Json.object().put("resource", "item")
                    .set("filters", Json.parse("{\"d\":[null]}")))))
                    .isNotEmpty().containsExactlyElementsOf(expectedIds(r -> r.d() == null));
            assertThat(JsonAssert.ids(query(Json.object().put("resource", "item")
                    .set("filters", Json.parse("{\"n\":{\"not_in\":[1,null]}}")))))
                    .isNotEmpty().containsExactlyElementsOf(expectedIds(r -> r.n() != null && r.n() != 1.0));
            assertThat(JsonAssert.ids(query(Json.object().put("resource", "item")
                    .set("filters", Json.parse("{\"$not\":{\"s\":[null]}}")))))
                    .isNotEmpty().containsExactlyElementsOf(expectedIds(r -> r.s() != null));
        }

        /** The ids of the stored rows matching {@code p}, in id order, at most one default page. */
        private List<String> expectedIds(Predicate<Row> p) {
            List<String> out = new ArrayList<>();
            ROWS.stream().filter(p).map(Row::id).sorted(QueryOracle::compareCodePoints).limit(MAX_LIMIT).forEach(out::add);
            return out;
        }

        // -------------------------------------------------------------------------------------- generators

        @Provide
        Arbitrary<Obj> filters() {
            return QueryPropertyTest.filterObject(FILTER_DEPTH);
        }

        @Provide
        Arbitrary<List<SortTerm>> sorts() {
            return Combinators.combine(Arbitraries.of(QueryOracle.FIELDS.keySet()), Arbitraries.of(true, false),
                            Arbitraries.integers().between(0, 5)).as(SortTerm::new)
                    .list().ofMaxSize(3);
        }

        @Provide
        Arbitrary<Integer> limits() {
            return Arbitraries.integers().between(0, MAX_LIMIT).injectNull(0.3);
        }

        @Provide
        Arbitrary<Integer> smallLimits() {
            return Arbitraries.integers().between(0, 7).injectNull(0.15);
        }

        @Provide
        Arbitrary<Integer> offsets() {
            return Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.just(0)), Tuple.of(1, Arbitraries.integers().between(1, 12)));
        }

        @Provide
        Arbitrary<Row> boundaries() {
            Arbitrary<Row> made = Combinators.combine(
                    Arbitraries.of(ids()),
                    Arbitraries.of(strings()).injectNull(0.2),
                    Arbitraries.of(numbers()).injectNull(0.2),
                    Arbitraries.of(true, false),
                    Arbitraries.of(dates()).injectNull(0.2)).as(Row::new);
            return Arbitraries.oneOf(Arbitraries.of(ROWS), made);
        }
    }

    // ------------------------------------------------------------------------------------ filter generators

    static List<String> ids() {
        // made-up ids first: jqwik's edge cases are the first and last elements
        List<String> out = new ArrayList<>(List.of("", "item:", "item:a", "item:~", "itemA"));
        ROWS.forEach(r -> out.add(r.id()));
        return out;
    }

    static List<String> strings() {
        List<String> out = new ArrayList<>(List.of("aa", "zz", "~", "ÿ", "a%", "%"));
        out.addAll(STRINGS);
        return out;
    }

    static List<Double> numbers() {
        List<Double> out = new ArrayList<>(List.of(1.25, -3.0, 1000.0));
        out.addAll(NUMBERS);
        return out;
    }

    static List<Long> dates() {
        List<Long> out = new ArrayList<>(List.of(millis("2025-12-31T00:00:00Z"), millis("2026-01-02T12:00:00Z")));
        out.addAll(DATES);
        return out;
    }

    static final List<String> VALUE_OPERATORS = List.of("eq", "$eq", "ne", "$ne", "gt", "$gt", "gte", "$gte", "lt",
            "$lt", "lte", "$lte", "before", "$before", "after", "$after", "in", "$in", "not_in", "$not_in", "nin", "$nin",
            "between", "$between", "not_between", "$not_between", "is_null", "$is_null", "is_not_null", "$is_not_null",
            "is_empty", "$is_empty", "is_not_empty", "$is_not_empty");
    static final List<String> TEXT_OPERATORS = List.of("like", "$like", "ilike", "$ilike", "not_like", "$not_like",
            "not_ilike", "$not_ilike", "contains", "$contains", "startsWith", "$startsWith", "endsWith", "$endsWith");

    static Arbitrary<Obj> filterObject(int depth) {
        Arbitrary<Entry> field = Arbitraries.of(List.of("s", "id", "n", "b", "d", "n", "d", "s"))
                .flatMap(f -> condition(f).map(c -> (Entry) new FieldEntry(f, c)));
        Arbitrary<Entry> entry = field;
        if (depth > 0) {
            Arbitrary<Obj> inner = filterObject(depth - 1);
            entry = Arbitraries.frequencyOf(
                    Tuple.of(6, field),
                    Tuple.of(1, inner.list().ofMaxSize(3).map(l -> (Entry) new Logic(false, l))),
                    Tuple.of(2, inner.list().ofMaxSize(3).map(l -> (Entry) new Logic(true, l))),
                    Tuple.of(2, inner.map(o -> (Entry) new NotEntry(o))));
        }
        // an empty object (always true) only at the top, where it stands for "no filter"
        return entry.list().ofMinSize(depth == FILTER_DEPTH ? 0 : 1).ofMaxSize(3)
                .withSizeDistribution(RandomDistribution.biased()).uniqueElements(Entry::key).map(Obj::new);
    }

    static Arbitrary<Cond> condition(String field) {
        // text operators on other types are constants (false, or true for the negative ones): seldom worth a try
        int textWeight = QueryOracle.FIELDS.get(field) == QueryOracle.Type.STRING ? 8 : 1;
        Arbitrary<OpVal> op = Arbitraries.frequencyOf(Tuple.of(12, Arbitraries.of(VALUE_OPERATORS)),
                        Tuple.of(textWeight, Arbitraries.of(TEXT_OPERATORS)))
                .flatMap(name -> operand(field, QueryOracle.canonicalOp(name)).map(v -> new OpVal(name, v)));
        return Arbitraries.frequencyOf(
                Tuple.of(2, equalityValue(field).map(v -> (Cond) new Shorthand(v))),
                Tuple.of(1, inList(field).map(v -> (Cond) new Shorthand(v))),
                Tuple.of(6, op.map(o -> (Cond) new Ops(List.of(o)))),
                Tuple.of(2, op.list().ofSize(2).uniqueElements(OpVal::name).map(l -> (Cond) new Ops(l))),
                Tuple.of(1, Arbitraries.just((Cond) new Ops(List.of()))));
    }

    static Arbitrary<JsonNode> operand(String field, String op) {
        return switch (op) {
            case "eq", "ne" -> equalityValue(field);
            case "gt", "gte", "lt", "lte" -> orderedValue(field);
            case "in", "not_in" -> inList(field);
            case "between", "not_between" -> orderedValue(field).list().ofSize(2).map(l -> (JsonNode) Json.array().addAll(l));
            case "like", "not_like" -> Arbitraries.oneOf(
                    Arbitraries.of("%", "_", "a", "A", "b", "c", "é", "😀", "\\", " ", "%%", "5").list().ofMaxSize(4)
                            .map(l -> String.join("", l)),
                    patternFrom(Arbitraries.of(field.equals("id") ? ids() : STRINGS))).map(Json.NODES::textNode);
            // ASCII letters only: PostgreSQL and SQLite lower() agree with Java there
            case "ilike", "not_ilike" -> Arbitraries.oneOf(
                    Arbitraries.of("%", "_", "a", "A", "b", "B", "c", "C", "x", "Y").list().ofMaxSize(4)
                            .map(l -> String.join("", l)),
                    patternFrom(Arbitraries.of("a", "A", "ab", "aB", "Ab", "abc", "ABC", "b", "B", "ba", "BA", "aBC")))
                    .map(Json.NODES::textNode);
            case "contains", "startsWith", "endsWith" -> Arbitraries.frequencyOf(
                    Tuple.of(4, Arbitraries.of("", "a", "A", "b", "c", "%", "_", "é", "😀", "\\", " ", "ab", "bc", "a%", "a_")),
                    Tuple.of(2, Arbitraries.of(STRINGS)),
                    Tuple.of(1, Arbitraries.of(ids()))).map(s -> (JsonNode) Json.NODES.textNode(s));
            case "is_null", "is_not_null", "is_empty", "is_not_empty" -> Arbitraries.of(true, false).map(Json.NODES::booleanNode);
            default -> throw new IllegalArgumentException(op);
        };
    }

    /** A LIKE pattern made from a value: itself, a prefix or suffix with {@code %}, or one character as {@code _}. */
    static Arbitrary<String> patternFrom(Arbitrary<String> values) {
        return Combinators.combine(values, Arbitraries.integers().between(0, 4), Arbitraries.integers().between(0, 5))
                .as((v, mode, at) -> {
                    int[] cps = v.codePoints().toArray();
                    int i = cps.length == 0 ? 0 : at % cps.length;
                    String head = new String(cps, 0, i);
                    String tail = new String(cps, i, cps.length - i);
                    return switch (mode) {
                        case 0 -> v;
                        case 1 -> head + "%";
                        case 2 -> "%" + tail;
                        case 3 -> cps.length == 0 ? "_" : head + "_" + new String(cps, i + 1, cps.length - i - 1);
                        default -> "%" + (cps.length == 0 ? "" : new String(cps, i, 1)) + "%";
                    };
                });
    }

    /** A value of the field's type, sometimes null, sometimes of another type (strict equality never matches it). */
    static Arbitrary<JsonNode> equalityValue(String field) {
        return Arbitraries.frequencyOf(Tuple.of(8, typedValue(field)), Tuple.of(1, Arbitraries.just(Json.NODES.nullNode())),
                Tuple.of(1, mismatchedValue(field)));
    }

    static Arbitrary<JsonNode> orderedValue(String field) {
        return Arbitraries.frequencyOf(Tuple.of(12, typedValue(field)), Tuple.of(1, Arbitraries.just(Json.NODES.nullNode())));
    }

    static Arbitrary<JsonNode> inList(String field) {
        return equalityValue(field).list().ofMaxSize(4).map(l -> (JsonNode) Json.array().addAll(l));
    }

    static Arbitrary<JsonNode> typedValue(String field) {
        return switch (field) {
            case "id" -> Arbitraries.of(ids()).map(Json.NODES::textNode);
            case "s" -> Arbitraries.of(strings()).map(Json.NODES::textNode);
            case "n" -> Arbitraries.of(numbers()).map(n -> Json.number(n));
            case "b" -> Arbitraries.of(true, false).map(Json.NODES::booleanNode);
            default -> Arbitraries.of(dates()).flatMap(QueryPropertyTest::dateForms);
        };
    }

    /** The spellings of one instant that a date filter accepts. */
    static Arbitrary<JsonNode> dateForms(long ms) {
        Instant t = Instant.ofEpochMilli(ms);
        List<JsonNode> forms = new ArrayList<>();
        forms.add(Json.NODES.numberNode(ms));
        forms.add(Json.NODES.textNode(t.toString()));
        forms.add(Json.NODES.textNode(QueryOracle.isoMillis(ms)));
        forms.add(Json.NODES.textNode(t.atOffset(ZoneOffset.ofHours(2)).toString()));
        if (ms % 86_400_000L == 0) {
            forms.add(Json.NODES.textNode(t.toString().substring(0, 10)));
        }
        return Arbitraries.of(forms);
    }

    static Arbitrary<JsonNode> mismatchedValue(String field) {
        return switch (field) {
            case "id", "s" -> Arbitraries.of(Json.NODES.numberNode(1), Json.NODES.booleanNode(true));
            case "n" -> Arbitraries.of(Json.NODES.textNode("2"), Json.NODES.booleanNode(false));
            case "b" -> Arbitraries.of(Json.NODES.textNode("true"), Json.NODES.numberNode(1));
            default -> Arbitraries.of(Json.NODES.textNode("not a date"), Json.NODES.booleanNode(true));
        };
    }

    // ---------------------------------------------------------------------------------------------- helpers

    static ObjectNode request(Obj filter, List<SortTerm> sort) {
        ObjectNode q = Json.object().put("resource", "item");
        if (!filter.entries().isEmpty()) {
            q.set("filters", filter.json());
        }
        if (!sort.isEmpty()) {
            ArrayNode s = q.putArray("sort");
            sort.forEach(t -> s.add(t.json()));
        }
        return q;
    }

    static List<String> idsOf(List<Row> rows) {
        List<String> out = new ArrayList<>();
        rows.forEach(r -> out.add(r.id()));
        return out;
    }

    static List<String> wireRows(List<Row> rows) {
        List<String> out = new ArrayList<>();
        rows.forEach(r -> out.add(Json.canonical(r.wire())));
        return out;
    }

    static List<String> wireRows(JsonNode data) {
        List<String> out = new ArrayList<>();
        data.forEach(r -> out.add(Json.canonical(r)));
        return out;
    }

    static void assertCursor(JsonNode result, JsonNode expected, JsonNode q) {
        assertThat(result.has("nextCursor")).as("nextCursor key of %s", q).isTrue();
        assertThat(Json.canonical(result.get("nextCursor"))).as("nextCursor of %s", q)
                .isEqualTo(expected == null ? "null" : Json.canonical(expected));
    }
}
