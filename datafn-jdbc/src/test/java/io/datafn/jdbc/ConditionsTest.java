package io.datafn.jdbc;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.json.Json;
import io.datafn.query.Filter;
import io.datafn.query.FilterParser;
import io.datafn.schema.Relation;
import io.datafn.schema.Resource;
import org.jooq.Condition;
import org.jooq.Record2;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Conditions}, the one Filter → SQL translator, evaluated by the database itself on both dialects: each filter
 * selects the rows PROTOCOL.md says, and its {@code $not} selects exactly the others (two-valued logic: a null value
 * never makes a row match both or neither).
 */
@ParameterizedClass
@EnumSource(TestDatabase.class)
class ConditionsTest {
    @Parameter
    TestDatabase db;

    StoreFixture f;
    Resource task;

    @BeforeEach
    void rows() {
        f = new StoreFixture(db);
        task = StoreFixture.SCHEMA.resource("task");
        Relation tags = StoreFixture.SCHEMA.relations().stream().filter(r -> r.relation().equals("tags")).findFirst().orElseThrow();
        f.store.write(StoreFixture.NS, tx -> {
            tx.records().insert(task, row("t1", "{'label':'Alpha','priority':5,'done':true,'labels':['a','b'],"
                    + "'meta':{'k':'v','n':2},'code':'A1','dueAt':1000}"));
            tx.records().insert(task, row("t2", "{'label':'beta','priority':null,'done':false,'labels':[],'meta':{'k':null}}"));
            tx.records().insert(task, row("t3", "{'label':'Gamma_1%','priority':2.5,'code':'b2','dueAt':3000}"));
            tx.records().insert(task, row("t4", "{'label':'back\\\\slash','priority':10,'labels':['x'],'meta':{'n':'2'}}"));
            tx.records().insert(StoreFixture.SCHEMA.resource("tag"), row("g1", "{'label':'home'}"));
            tx.records().insert(StoreFixture.SCHEMA.resource("tag"), row("g2", "{'label':'work'}"));
            tx.joins().upsert(tags, "t1", "g1", Json.object());
            tx.joins().upsert(tags, "t1", "g2", Json.object());
            tx.joins().upsert(tags, "t3", "g2", Json.object());
            return null;
        });
    }

    @AfterEach
    void close() {
        f.close();
    }

    private static ObjectNode row(String id, String singleQuoted) {
        ObjectNode r = (ObjectNode) Json.parse(singleQuoted.replace('\'', '"'));
        return r.put("id", id);
    }

    /**
     * The ids the filter selects, checked against its negation: {@code $not} selects exactly the other rows (a row
     * matches or it does not, whatever is null in it).
     */
    private TreeSet<String> where(String filterSingleQuoted) {
        String json = filterSingleQuoted.replace('\'', '"');
        TreeSet<String> selected = selected(json);
        TreeSet<String> negated = selected("{\"$not\":" + json + "}");
        assertThat(negated).as("$not of %s", filterSingleQuoted).doesNotContainAnyElementsOf(selected);
        TreeSet<String> all = new TreeSet<>(selected);
        all.addAll(negated);
        assertThat(all).as("%s and its $not together", filterSingleQuoted).containsExactly("t1", "t2", "t3", "t4");
        return selected;
    }

    /** The rows whose condition is TRUE (NULL, as in a WHERE clause, is not). */
    private TreeSet<String> selected(String json) {
        Filter filter = FilterParser.parse(StoreFixture.SCHEMA, task, Json.parse(json), "filters", FilterParser.Mode.QUERY);
        return f.store.read(StoreFixture.NS, tx -> {
            Condition c = new Conditions(StoreFixture.SCHEMA, db.dialect()).translate(filter, task, "t0", a -> null);
            TreeSet<String> out = new TreeSet<>();
            for (Record2<String, Boolean> r : ((JdbcTx) tx).dsl()
                    .select(DSL.field(DSL.name("t0", "id"), String.class), DSL.field(c))
                    .from(DSL.table(DSL.name("task")).as("t0"))
                    .where(DSL.field(DSL.name("t0", Columns.NS), String.class).eq(StoreFixture.NS)).fetch()) {
                if (Boolean.TRUE.equals(r.value2())) {
                    out.add(r.value1());
                }
            }
            return out;
        });
    }

    @Test
    void comparisons_andTheirNegations_countNullAsNotMatching() {
        assertThat(where("{'priority':{'gt':3}}")).containsExactly("t1", "t4");
        assertThat(where("{'$not':{'priority':{'gt':3}}}")).containsExactly("t2", "t3");
        assertThat(where("{'priority':{'ne':5}}")).containsExactly("t2", "t3", "t4");
        assertThat(where("{'priority':{'not_in':[5,10]}}")).containsExactly("t2", "t3");
        assertThat(where("{'priority':{'between':[2,6]}}")).containsExactly("t1", "t3");
        assertThat(where("{'priority':{'not_between':[2,6]}}")).containsExactly("t2", "t4");
        assertThat(where("{'done':true}")).containsExactly("t1");
        assertThat(where("{'$not':{'done':true}}")).containsExactly("t2", "t3", "t4");
        assertThat(where("{'code':{'is_null':true}}")).containsExactly("t2", "t4");
        assertThat(where("{'dueAt':{'before':2000}}")).containsExactly("t1");
        assertThat(where("{'dueAt':{'after':2000}}")).containsExactly("t3");
    }

    @Test
    void logicalOperators_nest() {
        assertThat(where("{'$or':[{'priority':{'lt':3}},{'done':true}]}")).containsExactly("t1", "t3");
        assertThat(where("{'$not':{'$or':[{'priority':{'lt':3}},{'done':true}]}}")).containsExactly("t2", "t4");
        assertThat(where("{'$and':[{'priority':{'gt':1}},{'$not':{'code':{'is_null':true}}}]}")).containsExactly("t1", "t3");
    }

    @Test
    void textOperators_areCaseSensitive_andHaveNoEscapeCharacter() {
        assertThat(where("{'label':{'like':'A%'}}")).containsExactly("t1");
        assertThat(where("{'label':{'like':'%a'}}")).containsExactly("t1", "t2");
        assertThat(where("{'label':{'ilike':'ALPHA'}}")).containsExactly("t1");
        assertThat(where("{'label':{'like':'Gamma_1_'}}")).containsExactly("t3");        // _ matches one character
        assertThat(where("{'label':{'like':'back\\\\%'}}")).containsExactly("t4");     // a backslash is a backslash
        assertThat(where("{'code':{'not_like':'A%'}}")).containsExactly("t2", "t3", "t4");
        assertThat(where("{'label':{'contains':'amm'}}")).containsExactly("t3");
        assertThat(where("{'label':{'startsWith':'be'}}")).containsExactly("t2");
        assertThat(where("{'label':{'endsWith':'1%'}}")).containsExactly("t3");
        assertThat(where("{'code':{'startsWith':''}}")).containsExactly("t1", "t3");
    }

    @Test
    void jsonValues_compareByJsonType() {
        assertThat(where("{'labels':{'contains':'a'}}")).containsExactly("t1");
        assertThat(where("{'$not':{'labels':{'contains':'a'}}}")).containsExactly("t2", "t3", "t4");
        assertThat(where("{'meta.n':2}")).containsExactly("t1");                             // the number, not "2"
        assertThat(where("{'meta.n':'2'}")).containsExactly("t4");
        assertThat(where("{'meta.n':{'gt':1}}")).containsExactly("t1");
        assertThat(where("{'meta.k':{'is_null':true}}")).containsExactly("t2", "t3", "t4");
        assertThat(where("{'labels':{'is_empty':true}}")).containsExactly("t2", "t3");
        assertThat(where("{'meta':{'eq':{'n':2,'k':'v'}}}")).containsExactly("t1");
    }

    @Test
    void quantifiers_overARelation_treatNoRelatedRowsAsDefined() {
        assertThat(where("{'tags':{'$any':{'label':'work'}}}")).containsExactly("t1", "t3");
        assertThat(where("{'tags':{'$all':{'label':'work'}}}")).containsExactly("t3");        // no tags: not "all"
        assertThat(where("{'tags':{'$none':{'label':'work'}}}")).containsExactly("t2", "t4");
    }
}
