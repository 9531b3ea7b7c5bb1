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
        assertThat(((Filter.Compare) ((Filter.Or) in).items().get(1)).value()).hasSize(1);

        Filter notIn = filter("{'priority':{'not_in':[1,null]}}");
        assertThat(notIn).isInstanceOf(Filter.And.class);
        assertThat(((Filter.And) notIn).items()).extracting(FilterParserTest::op).containsExactly(Op.IS_NOT_NULL, Op.NOT_IN);

        assertThat(op(filter("{'dueAt':[null]}"))).isEqualTo(Op.IS_NULL);
        assertThat(op(filter("{'dueAt':{'nin':[null,'nope']}}"))).isEqualTo(Op.IS_NOT_NULL);
    }

    @Test
    void values_areNormalisedToTheColumnType() {
        Filter.Compare c = (Filter.Compare) filter("{'dueAt':{'gte':'2026-01-02T02:00:00+02:00'}}");
        assertThat(c.value().asLong()).isEqualTo(1_767_312_000_000L);
        c = (Filter.Compare) filter("{'priority':{'between':[1,2.5]}}");
        assertThat(c.value().get(1).asDouble()).isEqualTo(2.5);
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

    private static Op op(Filter f) {
        return ((Filter.Compare) f).op();
    }
}
