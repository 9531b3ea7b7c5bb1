package io.datafn.query;

import io.datafn.error.ErrorCode;
import io.datafn.query.Query.SortTerm;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.datafn.query.ParserFixtures.assertError;
import static io.datafn.query.ParserFixtures.parse;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link QueryParser}: the whole query object, its limits and error codes, paths and messages (reference §4, §8). */
class QueryParserTest {

    @Test
    void body_notAnObject_isInvalidAtRoot() {
        assertError("[1]", ErrorCode.DFQL_INVALID, "$", "Invalid DFQL: expected object or array");
        assertError("'task'", ErrorCode.DFQL_INVALID, "$", "Invalid DFQL: expected object or array");
    }

    @Test
    void resource_missingOrUnknown() {
        assertError("{}", ErrorCode.DFQL_INVALID, "$.resource", "Invalid DFQL: resource must be string");
        assertError("{'resource':5}", ErrorCode.DFQL_INVALID, "$.resource", "Invalid DFQL: resource must be string");
        assertError("{'resource':'nope'}", ErrorCode.DFQL_UNKNOWN_RESOURCE, "resource", "Unknown resource: nope");
    }

    @Test
    void limit_boundsAndTypes() {
        assertThat(parse("{'resource':'task'}").limit()).isEqualTo(100);
        assertThat(parse("{'resource':'task','limit':0}").limit()).isZero();
        assertThat(parse("{'resource':'task','limit':100}").limit()).isEqualTo(100);
        assertError("{'resource':'task','limit':101}", ErrorCode.LIMIT_EXCEEDED, "limit", "Limit exceeded: limit>100");
        assertError("{'resource':'task','limit':-1}", ErrorCode.DFQL_INVALID, "limit", null);
        assertError("{'resource':'task','limit':1.5}", ErrorCode.DFQL_INVALID, "limit", null);
        assertError("{'resource':'task','limit':'10'}", ErrorCode.DFQL_INVALID, "limit", null);
        assertError("{'resource':'task','offset':-2}", ErrorCode.DFQL_INVALID, "offset", null);
    }

    @Test
    void count_mustBeBoolean() {
        assertError("{'resource':'task','count':1}", ErrorCode.DFQL_INVALID, "count", "Invalid DFQL: count must be boolean");
    }

    @Test
    void filter_unknownField_namesTheKey() {
        assertError("{'resource':'task','filters':{'x':1}}", ErrorCode.DFQL_UNKNOWN_FIELD, "filters.x", "Unknown field: filters.x");
    }

    @Test
    void filter_unknownOperator_isUnsupported() {
        assertError("{'resource':'task','filters':{'title':{'wat':1}}}", ErrorCode.DFQL_UNSUPPORTED, "filters.title.wat",
                "Unsupported DFQL feature: filters.title.wat");
        assertError("{'resource':'task','filters':{'$and':[{'title':{'wat':1}}]}}", ErrorCode.DFQL_UNSUPPORTED,
                "filters.$and[0].title.wat", "Unsupported DFQL feature: filters.$and[0].title.wat");
    }

    @Test
    void filter_depthTen_isAcceptedAndEleven_exceedsTheLimit() {
        parse("{'resource':'task','filters':" + nestedNot(10, "{'title':'x'}") + "}");
        assertError("{'resource':'task','filters':" + nestedNot(11, "{'title':'x'}") + "}", ErrorCode.LIMIT_EXCEEDED,
                "filters", "Filter nesting depth exceeds limit (10)");
        assertError("{'resource':'task','filters':" + nestedAnd(11) + "}", ErrorCode.LIMIT_EXCEEDED, "filters",
                "Filter nesting depth exceeds limit (10)");
    }

    @Test
    void filter_relationQuantifier_countsAsOneLevel() {
        parse("{'resource':'task','filters':" + nestedNot(9, "{'tags':{'$any':{'label':'x'}}}") + "}");
        assertError("{'resource':'task','filters':" + nestedNot(10, "{'tags':{'$any':{'label':'x'}}}") + "}",
                ErrorCode.LIMIT_EXCEEDED, "filters", "Filter nesting depth exceeds limit (10)");
    }

    @Test
    void filter_twentyKeys_areAcceptedAndTwentyOne_areTooMany() {
        parse("{'resource':'task','filters':" + keys(20) + "}");
        assertError("{'resource':'task','filters':" + keys(21) + "}", ErrorCode.DFQL_INVALID, "filters",
                "Filter keys exceed limit: 21 (max 20)");
        assertError("{'resource':'task','filters':{'$and':[" + keys(21) + "]}}", ErrorCode.DFQL_INVALID, "filters",
                "Filter keys exceed limit: 21 (max 20)");
    }

    @Test
    void select_fiftyTokens_areAcceptedAndFiftyOne_areTooMany() {
        parse("{'resource':'task','select':" + tokens(50, "'label'") + "}");
        assertError("{'resource':'task','select':" + tokens(51, "'label'") + "}", ErrorCode.DFQL_INVALID, "select",
                "Select exceeds limit: 51 tokens (max 50)");
    }

    @Test
    void select_unknownNames() {
        assertError("{'resource':'task','select':['id','nope']}", ErrorCode.DFQL_UNKNOWN_FIELD, "select[1]", "Unknown field: select[1]");
        assertError("{'resource':'task','select':['nope.*']}", ErrorCode.DFQL_UNKNOWN_RELATION, "select[0]", "Unknown relation: select[0]");
        assertError("{'resource':'task','select':['goal.#']}", ErrorCode.DFQL_UNSUPPORTED, "select[0]", null);
        assertError("{'resource':'task','select':'id'}", ErrorCode.DFQL_INVALID, "select", "Invalid DFQL: select must be an array");
    }

    @Test
    void select_relationDepthFive_isAcceptedAndSix_exceedsTheLimit() {
        parse("{'resource':'task','select':['tags.tasks.tags.tasks.tags.label']}");
        assertError("{'resource':'task','select':['tags.tasks.tags.tasks.tags.tasks.label']}", ErrorCode.LIMIT_EXCEEDED,
                "select", "Relation nesting depth exceeds limit (5)");
        // directives do not count (PROTOCOL.md "Limits counting")
        parse("{'resource':'task','select':['tags.tasks.tags.tasks.tags.*']}");
    }

    @Test
    void omit_unknownField() {
        assertError("{'resource':'task','omit':['label','nope']}", ErrorCode.DFQL_UNKNOWN_FIELD, "omit[1]", "Unknown field: omit[1]");
    }

    @Test
    void sort_tenTermsAreAcceptedAndElevenAreTooMany() {
        parse("{'resource':'task','sort':" + tokens(10, "'label'") + "}");
        assertError("{'resource':'task','sort':" + tokens(11, "'label'") + "}", ErrorCode.DFQL_INVALID, "sort",
                "Sort fields exceed limit: 11 (max 10)");
    }

    @Test
    void sort_badFormat() {
        for (String term : List.of("'label:up'", "5", "''", "'-'", "{'field':1}", "{'direction':'asc'}",
                "{'field':'label','direction':'sideways'}", "null", "['label']")) {
            assertError("{'resource':'task','sort':['id'," + term + "]}", ErrorCode.DFQL_INVALID, "sort[1]",
                    "Invalid sort format: sort[1]");
        }
        assertError("{'resource':'task','sort':{'field':'label'}}", ErrorCode.DFQL_INVALID, "sort", "Invalid DFQL: sort must be an array");
    }

    @Test
    void sort_unknownFieldOrToManyPath() {
        assertError("{'resource':'task','sort':['nope']}", ErrorCode.DFQL_UNKNOWN_FIELD, "sort[0]", "Unknown field: sort[0]");
        assertError("{'resource':'task','sort':['tags.label']}", ErrorCode.DFQL_UNKNOWN_FIELD, "sort[0]", "Unknown field: sort[0]");
    }

    @Test
    void sort_formsAndImplicitIdTieBreaker() {
        Query q = parse("{'resource':'task','sort':['label','priority:desc','-dueAt',{'field':'title','direction':'DESC'},'goal.label:ASC']}");
        List<String> keys = new ArrayList<>();
        List<Boolean> desc = new ArrayList<>();
        for (SortTerm t : q.sort()) {
            keys.add(t.key());
            desc.add(t.descending());
        }
        assertThat(keys).containsExactly("label", "priority", "dueAt", "title", "goal.label", "id");
        assertThat(desc).containsExactly(false, true, true, true, false, false);
        assertThat(parse("{'resource':'task','sort':['-id','label']}").sort()).hasSize(2);
    }

    @Test
    void cursor_missingAKey_namesIt() {
        assertError("{'resource':'task','sort':['priority'],'cursor':{'after':{'priority':1}}}", ErrorCode.DFQL_INVALID,
                "cursor.after.id", "Invalid DFQL: cursor.after is missing 'id' (send back the nextCursor of the same sort)");
        assertError("{'resource':'task','sort':['priority'],'cursor':{'before':{'id':'task:1'}}}", ErrorCode.DFQL_INVALID,
                "cursor.before.priority", null);
    }

    @Test
    void cursor_shapeAndValueTypes() {
        assertError("{'resource':'task','cursor':{'after':{'id':'a'},'before':{'id':'b'}}}", ErrorCode.DFQL_INVALID, "cursor", null);
        assertError("{'resource':'task','cursor':{'after':'task:1'}}", ErrorCode.DFQL_INVALID, "cursor.after",
                "Invalid DFQL: cursor.after must be object");
        assertError("{'resource':'task','cursor':5}", ErrorCode.DFQL_INVALID, "cursor", "Invalid DFQL: cursor must be object");
        assertError("{'resource':'task','sort':['priority'],'cursor':{'after':{'priority':'high','id':'x'}}}",
                ErrorCode.DFQL_INVALID, "cursor.after.priority", null);
        Query q = parse("{'resource':'task','sort':['dueAt'],'cursor':{'after':{'dueAt':'2026-01-02','id':'task:1'}}}");
        assertThat(((Value.Instant) q.cursor().values().get("dueAt")).epochMillis()).isEqualTo(1_767_312_000_000L);
        assertThat(q.cursor().before()).isFalse();
        assertThat(parse("{'resource':'task','cursor':{'after':null}}").cursor()).isNull();
    }

    /** Cursor values are normalised once, here, to the sort term's type; the store only binds them. */
    @Test
    void cursor_valuesAreTypedOrderedAndUnmodifiable() {
        Query q = parse("{'resource':'task','sort':['-priority','title','dueAt','isArchived'],"
                + "'cursor':{'before':{'id':'task:1','isArchived':true,'dueAt':1767312000000,'title':null,'priority':2}}}");
        assertThat(q.cursor().before()).isTrue();
        assertThat(q.cursor().values()).containsExactly(
                java.util.Map.entry("priority", new Value.Number(2)), java.util.Map.entry("title", Value.NULL),
                java.util.Map.entry("dueAt", new Value.Instant(1_767_312_000_000L)),
                java.util.Map.entry("isArchived", new Value.Bool(true)), java.util.Map.entry("id", new Value.Text("task:1")));
        assertThatThrownBy(() -> q.cursor().values().put("id", new Value.Text("x")))
                .isInstanceOf(UnsupportedOperationException.class);
        Query grouped = parse("{'resource':'task','groupBy':['dueAt'],'aggregations':{'n':{'op':'count'}},"
                + "'cursor':{'after':{'dueAt':'2026-01-02'}}}");
        assertThat(grouped.cursor().values()).containsExactly(java.util.Map.entry("dueAt", new Value.Instant(1_767_312_000_000L)));
    }

    @Test
    void aggregations_keepTheirOrderAndAreUnmodifiable() {
        Query q = parse("{'resource':'task','aggregations':{'z':{'op':'count'},'a':{'op':'max','field':'priority'},"
                + "'m':{'op':'min','field':'dueAt'}}}");
        assertThat(q.aggregate().aggregations().keySet()).containsExactly("z", "a", "m");
        assertThatThrownBy(() -> q.aggregate().aggregations().remove("z")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void aggregations_twentyAreAcceptedAndTwentyOne_areTooMany() {
        parse("{'resource':'task','aggregations':" + aggregations(20) + "}");
        assertError("{'resource':'task','aggregations':" + aggregations(21) + "}", ErrorCode.DFQL_INVALID, "aggregations",
                "Aggregations exceed limit: 21 (max 20)");
    }

    @Test
    void aggregations_definitionErrors() {
        assertError("{'resource':'task','aggregations':{'a':{'op':'median','field':'priority'}}}", ErrorCode.DFQL_INVALID,
                "aggregations.a.op", "Invalid aggregation operator: median");
        assertError("{'resource':'task','aggregations':{'a':{'fn':'median'}}}", ErrorCode.DFQL_INVALID, "aggregations.a.fn",
                "Invalid aggregation operator: median");
        assertError("{'resource':'task','aggregations':{'a':{'op':'sum','field':'label'}}}", ErrorCode.DFQL_INVALID,
                "aggregations.a.field", null);
        assertError("{'resource':'task','aggregations':{'a':{'op':'sum'}}}", ErrorCode.DFQL_INVALID, "aggregations.a.field",
                "Aggregation field must be string");
        assertError("{'resource':'task','aggregations':{'a':{'op':'max','field':'nope'}}}", ErrorCode.DFQL_UNKNOWN_FIELD,
                "aggregations.a.field", "Unknown field: nope");
        assertError("{'resource':'task','aggregations':{'a':5}}", ErrorCode.DFQL_INVALID, "aggregations.a", "Invalid aggregation definition");
        assertError("{'resource':'task','aggregations':[]}", ErrorCode.DFQL_INVALID, "aggregations",
                "Invalid DFQL: aggregations must be an object");
    }

    @Test
    void groupBy_andHavingErrors() {
        assertError("{'resource':'task','groupBy':'goalId'}", ErrorCode.DFQL_INVALID, "groupBy", "Invalid DFQL: groupBy must be an array");
        assertError("{'resource':'task','groupBy':[1]}", ErrorCode.DFQL_INVALID, "groupBy[0]", "Invalid DFQL: groupBy element must be string");
        assertError("{'resource':'task','groupBy':['nope']}", ErrorCode.DFQL_UNKNOWN_FIELD, "groupBy[0]", "Unknown field: groupBy[0]");
        assertError("{'resource':'task','having':{'n':1}}", ErrorCode.DFQL_INVALID, "having", null);
        assertError("{'resource':'task','groupBy':['goalId'],'aggregations':{'n':{'fn':'count'}},'having':{'x':{'gt':1}}}",
                ErrorCode.DFQL_UNKNOWN_FIELD, "having.x", "Unknown field in having: x");
        assertError("{'resource':'task','groupBy':['goalId'],'select':['goal.*']}", ErrorCode.DFQL_UNSUPPORTED, "select[0]",
                "Relation expansion not allowed with groupBy");
    }

    @Test
    void relationQuery_errors() {
        assertError("{'resource':'task','relation':'nope','id':'task:1'}", ErrorCode.DFQL_UNKNOWN_RELATION, "$.relation",
                "Unknown relation: nope");
        assertError("{'resource':'task','relation':'tags'}", ErrorCode.DFQL_INVALID, "$.id", null);
        assertError("{'resource':'task','relation':'tags','id':'task:1','cursor':{'after':{'id':'x'}}}", ErrorCode.DFQL_UNSUPPORTED,
                "$.cursor", "Unsupported DFQL feature for relation query: cursor");
    }

    @Test
    void search_withoutProvider_isUnsupported() {
        assertError("{'resource':'task','search':{'query':'x'}}", ErrorCode.DFQL_UNSUPPORTED, "search", null);
    }

    // ------------------------------------------------------------------------------------------------ builders

    private static String nestedNot(int levels, String inner) {
        String f = inner;
        for (int i = 0; i < levels; i++) {
            f = "{'$not':" + f + "}";
        }
        return f;
    }

    private static String nestedAnd(int levels) {
        String f = "{'title':'x'}";
        for (int i = 0; i < levels; i++) {
            f = "{'$and':[" + f + "]}";
        }
        return f;
    }

    /** {@code n} distinct valid filter keys: the task's fields, then json sub-paths of {@code meta}. */
    private static String keys(int n) {
        List<String> names = new ArrayList<>(List.of("id", "label", "title", "priority", "goalId", "isArchived",
                "updatedAt", "dueAt", "labels", "meta", "code"));
        for (int i = 0; names.size() < n; i++) {
            names.add("meta.k" + i);
        }
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ",").append("'").append(names.get(i)).append("':{'is_null':false}");
        }
        return sb.append('}').toString();
    }

    private static String tokens(int n, String token) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ",").append(token);
        }
        return sb.append(']').toString();
    }

    private static String aggregations(int n) {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ",").append("'a").append(i).append("':{'op':'count'}");
        }
        return sb.append('}').toString();
    }
}
