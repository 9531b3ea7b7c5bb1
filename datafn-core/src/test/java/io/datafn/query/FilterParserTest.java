package io.datafn.query;

import io.datafn.schema.FieldType;
import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.query.Filter.Op;
import io.datafn.schema.Resource;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

import static io.datafn.query.ParserFixtures.SCHEMA;
import static io.datafn.query.ParserFixtures.assertError;
import static io.datafn.query.ParserFixtures.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link FilterParser}: operator values, their error codes and paths, the folding of constants, the three modes. */
class FilterParserTest {
    private static final Resource TASK = SCHEMA.resource("task");

    private static Filter filter(String singleQuoted) {
        return FilterParser.parse(SCHEMA, TASK, json(singleQuoted), "filters", FilterParser.Mode.QUERY);
    }

    private static void assertFilterError(String filters, ErrorCode code, String path, String message) {
        assertError("{'resource':'task','filters':" + filters + "}", code, path, message);
    }

    @Test
    void operatorValues_wrongShapes() {
        assertFilterError("{'title':{'is_null':'yes'}}", ErrorCode.DFQL_INVALID, "filters.title.is_null",
                "Null predicate must be boolean: filters.title.is_null");
        assertFilterError("{'priority':{'in':5}}", ErrorCode.DFQL_INVALID, "filters.priority.in",
                "Invalid DFQL: filters.priority.in must be an array");
        assertFilterError("{'priority':{'between':[1]}}", ErrorCode.DFQL_INVALID, "filters.priority.between",
                "Invalid DFQL: filters.priority.between must be [low, high]");
        assertFilterError("{'title':{'like':5}}", ErrorCode.DFQL_INVALID, "filters.title.like",
                "Invalid DFQL: filters.title.like must be a string");
        assertFilterError("{'title':{'eq':{'a':1}}}", ErrorCode.DFQL_INVALID, "filters.title.eq", null);
        assertFilterError("{'title':{'like':'" + "x".repeat(201) + "'}}", ErrorCode.DFQL_INVALID, "filters.title.like",
                "LIKE pattern exceeds maximum length (200)");
        filter("{'title':{'like':'" + "x".repeat(200) + "'}}");
    }

    @Test
    void logicalKeys_wrongShapes() {
        assertFilterError("{'$and':{'title':'x'}}", ErrorCode.DFQL_INVALID, "filters.$and", "Invalid DFQL: $and must be an array");
        assertFilterError("{'$or':'x'}", ErrorCode.DFQL_INVALID, "filters.$or", "Invalid DFQL: $or must be an array");
        assertFilterError("{'$or':[5]}", ErrorCode.DFQL_INVALID, "filters.$or[0]", "Invalid DFQL: filters.$or[0] must be object");
        assertFilterError("{'$not':[]}", ErrorCode.DFQL_INVALID, "filters.$not", "Invalid DFQL: filters.$not must be object");
        assertFilterError("5", ErrorCode.DFQL_INVALID, "filters", "Invalid DFQL: filters must be object");
    }

    @Test
    void relationPaths_andQuantifiers() {
        assertFilterError("{'tags':{'$some':{}}}", ErrorCode.DFQL_INVALID, "filters.tags.$some", "Unknown relation quantifier: $some");
        assertFilterError("{'tags':5}", ErrorCode.DFQL_INVALID, "filters.tags", "Relation filter must be object");
        assertFilterError("{'goal.nope':1}", ErrorCode.DFQL_UNKNOWN_FIELD, "filters.goal.nope", "Unknown field: nope on goal");
        assertFilterError("{'nope.label':1}", ErrorCode.DFQL_UNKNOWN_FIELD, "filters.nope.label", "Unknown path segment: nope");
        assertFilterError("{'meta..x':1}", ErrorCode.DFQL_UNKNOWN_FIELD, "filters.meta..x", null);
        assertThat(filter("{'goal.label':'G'}")).isInstanceOf(Filter.Quantified.class);
        assertThat(filter("{'tags':{'$all':{'label':'x'}}}")).isInstanceOf(Filter.Quantified.class);
    }

    @Test
    void aliases_mapToOneOperator() {
        assertThat(op(filter("{'dueAt':{'before':'2026-01-01'}}"))).isEqualTo(Op.LT);
        assertThat(op(filter("{'dueAt':{'$after':'2026-01-01'}}"))).isEqualTo(Op.GT);
        assertThat(op(filter("{'priority':{'nin':[1]}}"))).isEqualTo(Op.NOT_IN);
        assertThat(op(filter("{'priority':{'$not_in':[1]}}"))).isEqualTo(Op.NOT_IN);
        assertThat(op(filter("{'priority':[1,2]}"))).isEqualTo(Op.IN);
        assertThat(op(filter("{'title':null}"))).isEqualTo(Op.IS_NULL);
        assertThat(op(filter("{'title':{'ne':null}}"))).isEqualTo(Op.IS_NOT_NULL);
        assertThat(op(filter("{'title':{'is_null':false}}"))).isEqualTo(Op.IS_NOT_NULL);
        assertThat(op(filter("{'title':{'is_not_empty':false}}"))).isEqualTo(Op.IS_EMPTY);
    }

    @Test
    void mistypedValues_foldToTheConstantOfTheOperator() {
        // strict equality: 5 is never "5"; positive operators are false, negative ones true
        assertThat(filter("{'priority':'5'}")).isEqualTo(new Filter.Const(false));
        assertThat(filter("{'priority':{'ne':'5'}}")).isEqualTo(new Filter.Const(true));
        assertThat(filter("{'priority':{'like':'5%'}}")).isEqualTo(new Filter.Const(false));
        assertThat(filter("{'priority':{'not_like':'5%'}}")).isEqualTo(new Filter.Const(true));
        assertThat(filter("{'priority':{'in':['5',true]}}")).isEqualTo(new Filter.Const(false));
        assertThat(filter("{'priority':{'not_in':[]}}")).isEqualTo(new Filter.Const(true));
        assertThat(filter("{'priority':{'between':[1,null]}}")).isEqualTo(new Filter.Const(false));
        assertThat(filter("{'priority':{'not_between':[null,1]}}")).isEqualTo(new Filter.Const(true));
        assertThat(filter("{'$or':[]}")).isEqualTo(new Filter.Const(false));
        assertThat(filter("{'$and':[]}")).isEqualTo(new Filter.Const(true));
        assertThat(filter("{}")).isEqualTo(new Filter.Const(true));
    }

    /**
     * A null in an {@code in} list means "is null", as {@code eq: null} does, and {@code not_in} is its complement.
     * It used to reach SQL as {@code col IN (x, NULL)}, which is unknown (so false) for every row that is not x:
     * {@code not_in: [1, null]} then missed the rows with priority 2 (found by QueryPropertyTest).
     */
    @Test
    void inListWithNull_splitsIntoANullTest() {
        Filter in = filter("{'priority':{'in':[1,null]}}");
        assertThat(in).isInstanceOf(Filter.Or.class);
        assertThat(((Filter.Or) in).items()).extracting(FilterParserTest::op).containsExactly(Op.IS_NULL, Op.IN);
        assertThat(((Filter.Compare) ((Filter.Or) in).items().get(1)).values()).hasSize(1);

        Filter notIn = filter("{'priority':{'not_in':[1,null]}}");
        assertThat(notIn).isInstanceOf(Filter.And.class);
        assertThat(((Filter.And) notIn).items()).extracting(FilterParserTest::op).containsExactly(Op.IS_NOT_NULL, Op.NOT_IN);

        assertThat(op(filter("{'dueAt':[null]}"))).isEqualTo(Op.IS_NULL);
        assertThat(op(filter("{'dueAt':{'nin':[null,'nope']}}"))).isEqualTo(Op.IS_NOT_NULL);
    }

    @Test
    void values_areNormalisedToTheColumnType() {
        Filter.Compare c = (Filter.Compare) filter("{'dueAt':{'gte':'2026-01-02T02:00:00+02:00'}}");
        assertThat(((Value.Instant) c.value()).epochMillis()).isEqualTo(1_767_312_000_000L);
        c = (Filter.Compare) filter("{'priority':{'between':[1,2.5]}}");
        assertThat(((Value.Number) c.values().get(1)).value()).isEqualTo(2.5);
    }

    /** Each operand type gets its own {@link Value} variant, in storage form; a json operand keeps the value's kind. */
    @Test
    void values_areTypedByTheOperand() {
        assertThat(value("{'title':'x'}")).isEqualTo(new Value.Text("x"));
        assertThat(value("{'id':{'startsWith':'task:'}}")).isEqualTo(new Value.Text("task:"));
        assertThat(value("{'priority':3}")).isEqualTo(new Value.Number(3));
        assertThat(value("{'priority':{'lte':-0.5}}")).isEqualTo(new Value.Number(-0.5));
        assertThat(value("{'isArchived':{'ne':true}}")).isEqualTo(new Value.Bool(true));
        assertThat(value("{'dueAt':1767312000000.9}")).isEqualTo(new Value.Instant(1_767_312_000_000L));
        assertThat(value("{'dueAt':{'after':'2026-01-02T00:00'}}")).isEqualTo(new Value.Instant(1_767_312_000_000L));
        assertThat(value("{'title':{'like':'a%'}}")).isEqualTo(new Value.Text("a%"));

        assertThat(value("{'meta.color':'red'}")).isEqualTo(new Value.Text("red"));
        assertThat(value("{'meta.n':{'gt':2}}")).isEqualTo(new Value.Number(2));
        assertThat(value("{'meta.on':false}")).isEqualTo(new Value.Bool(false));
        assertThat(value("{'meta.at':'2026-01-02'}")).isEqualTo(new Value.Text("2026-01-02"));
        assertThat(value("{'meta':{'eq':{'b':1.0,'a':[true,null]}}}")).isEqualTo(new Value.Json("{\"a\":[true,null],\"b\":1}"));
        assertThat(value("{'labels':{'contains':'x'}}")).isEqualTo(new Value.Text("x"));
        assertThat(value("{'labels':{'contains':{'k':[1]}}}")).isEqualTo(new Value.Json("{\"k\":[1]}"));
    }

    @Test
    void listValues_areTypedAndInOrder() {
        assertThat(values("{'priority':[2,1.5]}")).containsExactly(new Value.Number(2), new Value.Number(1.5));
        assertThat(values("{'priority':{'in':[1,'1',true]}}")).containsExactly(new Value.Number(1));
        assertThat(values("{'dueAt':{'between':['2026-01-02',1767312000001]}}"))
                .containsExactly(new Value.Instant(1_767_312_000_000L), new Value.Instant(1_767_312_000_001L));
        assertThat(values("{'meta.tag':{'nin':['a',{'x':1},2]}}"))
                .containsExactly(new Value.Text("a"), new Value.Json("{\"x\":1}"), new Value.Number(2));
        assertThat(values("{'title':{'is_null':true}}")).isEmpty();
        assertThatThrownBy(() -> values("{'priority':[1,2]}").add(new Value.Number(3)))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void values_inCanonicalJson() {
        assertThat(new Value.Text("a\"b").json()).isEqualTo("\"a\\\"b\"");
        assertThat(new Value.Number(1).json()).isEqualTo("1");
        assertThat(new Value.Number(2.5).json()).isEqualTo("2.5");
        assertThat(new Value.Bool(true).json()).isEqualTo("true");
        assertThat(new Value.Instant(5).json()).isEqualTo("5");
        assertThat(new Value.Json("[1]").json()).isEqualTo("[1]");
        assertThat(Value.NULL.json()).isEqualTo("null");
        assertThat(Value.of(json("{'b':[{'d':1,'c':2}],'a':'x'}"))).isEqualTo(new Value.Json("{\"a\":\"x\",\"b\":[{\"c\":2,\"d\":1}]}"));
        assertThat(Value.of(FieldType.NUMBER, json("'1'"))).isNull();
        assertThat(Value.of(FieldType.OBJECT, json("[1]"))).isNull();
        assertThat(Value.of(FieldType.DATE, json("null"))).isEqualTo(Value.NULL);
    }

    @Test
    void compare_checksItsValues() {
        Operand.FieldRef priority = Operand.FieldRef.of("priority", FieldType.NUMBER);
        assertThatThrownBy(() -> new Filter.Compare(priority, Op.IN, java.util.List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Filter.Compare(priority, Op.BETWEEN, new Value.Number(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Filter.Compare(priority, Op.EQ, Value.NULL))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Filter.Compare(priority, Op.IS_NULL, new Value.Number(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void guardMode_readsRowFieldsOnly() {
        JsonNode node = json("{'$and':[{'title':'x'}]}");
        assertThatThrownBy(() -> FilterParser.parse(SCHEMA, TASK, node, "$.if", FilterParser.Mode.GUARD))
                .isInstanceOfSatisfying(DatafnException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.DFQL_UNKNOWN_FIELD);
                    assertThat(e.path()).isEqualTo("$.if.$and");
                });
        JsonNode rel = json("{'goal.label':'x'}");
        assertThatThrownBy(() -> FilterParser.parse(SCHEMA, TASK, rel, "$.if", FilterParser.Mode.GUARD))
                .isInstanceOf(DatafnException.class);
        assertThat(FilterParser.parse(SCHEMA, TASK, json("{'title':{'ne':'x'}}"), "$.if", FilterParser.Mode.GUARD))
                .isInstanceOf(Filter.Compare.class);
    }

    @Test
    void havingMode_readsAliasesOnly() {
        assertThat(FilterParser.parseHaving(SCHEMA, TASK, json("{'n':{'gt':1},'$or':[{'goalId':null}]}"), Map.of("n", FieldType.NUMBER, "goalId", FieldType.STRING)))
                .isInstanceOf(Filter.And.class);
        assertThatThrownBy(() -> FilterParser.parseHaving(SCHEMA, TASK, json("{'title':1}"), Map.of("n", FieldType.NUMBER)))
                .isInstanceOfSatisfying(DatafnException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.DFQL_UNKNOWN_FIELD);
                    assertThat(e.path()).isEqualTo("having.title");
                    assertThat(e.getMessage()).isEqualTo("Unknown field in having: title");
                });
    }

    private static Value value(String filter) {
        return ((Filter.Compare) filter(filter)).value();
    }

    private static java.util.List<Value> values(String filter) {
        return ((Filter.Compare) filter(filter)).values();
    }

    private static Op op(Filter f) {
        return ((Filter.Compare) f).op();
    }
}
