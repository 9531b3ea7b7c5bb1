package io.datafn.server;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;

import static io.datafn.server.JsonAssert.ids;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Filters on json and array fields and on json sub-paths ({@code "meta.color"}): each operator over rows whose values
 * are objects, scalars, nulls and absent keys, on SQLite and PostgreSQL. A json operand compares with the kind of the
 * value it is given (strict: {@code 5} is not {@code "5"}); negative operators hold on null and absent values.
 */
@ParameterizedClass
@EnumSource(TestDb.class)
class JsonFilterBlackBoxTest {
    static final String DATA = """
            [{"resource":"task","operation":"insert","id":"task:j1","record":{"label":"J1","meta":{"color":"red","n":5,"on":true,"tags":["a","b"],"nested":{"x":1}},"labels":["a","b"]}},
             {"resource":"task","operation":"insert","id":"task:j2","record":{"label":"J2","meta":{"color":"blue","n":2.5,"on":false,"tags":["b"]},"labels":["c"]}},
             {"resource":"task","operation":"insert","id":"task:j3","record":{"label":"J3","meta":{"color":"","n":"5"},"labels":[]}},
             {"resource":"task","operation":"insert","id":"task:j4","record":{"label":"J4","meta":null,"labels":null}},
             {"resource":"task","operation":"insert","id":"task:j5","record":{"label":"J5","meta":"plain","labels":["a",1,{"k":1}]}},
             {"resource":"task","operation":"insert","id":"task:j6","record":{"label":"J6","meta":7}},
             {"resource":"task","operation":"insert","id":"task:j7","record":{"label":"J7","meta":{"color":null,"n":-1,"tags":[]}}}]
            """;

    /** Pairs of a filter (single quotes for double) and the ids it selects ({@code task:} left off). */
    static final List<String> CASES = List.of(
            "{'meta.color':'red'}", "j1",
            "{'meta.color':{'ne':'red'}}", "j2 j3 j4 j5 j6 j7",
            "{'meta.color':['red','blue']}", "j1 j2",
            "{'meta.color':{'nin':['red',null]}}", "j2 j3",
            "{'meta.color':{'gt':'b'}}", "j1 j2",
            "{'meta.color':{'like':'r%'}}", "j1",
            "{'meta.color':{'ilike':'R%'}}", "j1",
            "{'meta.color':{'not_like':'r%'}}", "j2 j3 j4 j5 j6 j7",
            "{'meta.color':{'not_ilike':'R%'}}", "j2 j3 j4 j5 j6 j7",
            "{'meta.color':{'contains':'e'}}", "j1 j2",
            "{'meta.color':{'startsWith':'bl'}}", "j2",
            "{'meta.color':{'endsWith':'ed'}}", "j1",
            "{'meta.color':{'is_null':true}}", "j4 j5 j6 j7",
            "{'meta.color':{'is_null':false}}", "j1 j2 j3",
            "{'meta.color':{'is_empty':true}}", "j3 j4 j5 j6 j7",
            "{'meta.color':{'is_not_empty':true}}", "j1 j2",
            "{'meta.color':''}", "j3",
            "{'meta.color':null}", "j4 j5 j6 j7",
            "{'meta.color':{'lte':'blue'}}", "j2 j3",
            "{'meta.n':5}", "j1",
            "{'meta.n':'5'}", "j3",
            "{'meta.n':{'gt':2}}", "j1 j2",
            "{'meta.n':{'gte':2.5}}", "j1 j2",
            "{'meta.n':{'lt':5}}", "j2 j7",
            "{'meta.n':[5,2.5]}", "j1 j2",
            "{'meta.n':{'ne':5}}", "j2 j3 j4 j5 j6 j7",
            "{'meta.n':{'lt':'6'}}", "j3",
            "{'meta.on':true}", "j1",
            "{'meta.on':{'ne':true}}", "j2 j3 j4 j5 j6 j7",
            "{'meta.on':{'gt':false}}", "j1",
            "{'meta.tags':{'contains':'a'}}", "j1",
            "{'meta.tags':{'contains':['a']}}", "",
            "{'meta.tags':{'is_empty':true}}", "j3 j4 j5 j6 j7",
            "{'meta.tags':['b']}", "",
            "{'meta.tags':{'eq':['b']}}", "j2",
            "{'meta.nested':{'eq':{'x':1}}}", "j1",
            "{'meta.nested':{'ne':{'x':1}}}", "j2 j3 j4 j5 j6 j7",
            "{'meta.nested':{'gt':{'x':1}}}", "",
            "{'meta.nested.x':1}", "j1",
            "{'meta.nested':{'in':[{'x':1},5]}}", "j1",
            "{'meta':'plain'}", "j5",
            "{'meta':7}", "j6",
            "{'meta':{'gt':6}}", "j6",
            "{'meta':{'contains':'la'}}", "j5",
            "{'meta':{'is_null':true}}", "j4",
            "{'meta':{'eq':{'n':2.5,'tags':['b'],'on':false,'color':'blue'}}}", "j2",
            "{'meta':{'like':'pl%'}}", "j5",
            "{'meta':{'ne':7}}", "j1 j2 j3 j4 j5 j7",
            "{'meta':{'in':['plain',7]}}", "j5 j6",
            "{'labels':{'contains':'a'}}", "j1 j5",
            "{'labels':{'contains':1}}", "j5",
            "{'labels':{'contains':{'k':1}}}", "j5",
            "{'labels':{'contains':'x'}}", "",
            "{'labels':{'is_empty':true}}", "j3 j4 j6 j7",
            "{'labels':{'is_null':true}}", "j4 j6 j7",
            "{'labels':{'eq':['c']}}", "j2",
            "{'labels':[['c'],['a','b']]}", "j1 j2",
            "{'labels':{'ne':['c']}}", "j1 j3 j4 j5 j6 j7",
            "{'labels':{'is_not_empty':true}}", "j1 j2 j5",
            "{'labels':{'not_in':[['c']]}}", "j1 j3 j4 j5 j6 j7");

    @Parameter
    TestDb db;

    TestServer s;

    @BeforeEach
    void start() {
        s = TestServer.start(db, Fixtures.F1_SCHEMA);
        s.mutate(DATA);
    }

    @AfterEach
    void stop() {
        if (s != null) {
            s.close();
        }
    }

    @Test
    void everyOperator_onJsonArrayAndSubPathOperands() {
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < CASES.size(); i += 2) {
            String filter = CASES.get(i);
            List<String> expected = new ArrayList<>();
            for (String id : CASES.get(i + 1).split(" ")) {
                if (!id.isEmpty()) {
                    expected.add("task:" + id);
                }
            }
            String body = "{'resource':'task','select':['id'],'filters':" + filter + "}";
            List<String> got = ids(s.query(body.replace('\'', '"')));
            if (!got.equals(expected)) {
                wrong.add(filter + " selected " + got + ", expected " + expected);
            }
        }
        assertThat(wrong).isEmpty();
    }
}
