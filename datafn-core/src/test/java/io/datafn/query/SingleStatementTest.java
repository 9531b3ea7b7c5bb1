package io.datafn.query;

import org.junit.jupiter.api.Test;

import static io.datafn.query.ParserFixtures.parse;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Query#singleStatement}: which queries {@code QueryService} reads with {@code Store.readSingle} (no
 * transaction around them where the store allows) and which need one snapshot for several statements.
 */
class SingleStatementTest {
    @Test
    void plainAndGroupedQueries_areOneStatement_relationPathsInFiltersAndSortsToo() {
        assertThat(parse("{'resource':'task'}").singleStatement()).isTrue();
        assertThat(parse("{'resource':'task','filters':{'goal.label':'x','tags':{'$any':{'label':'a'}}},"
                + "'sort':['goal.label'],'cursor':{'after':{'goal.label':'x','id':'task:1'}}}").singleStatement()).isTrue();
        assertThat(parse("{'resource':'task','aggregate':{'groupBy':['priority'],'aggregations':{'n':{'op':'count'}}}}")
                .singleStatement()).isTrue();
    }

    @Test
    void countAndRelatedData_needMoreStatements() {
        assertThat(parse("{'resource':'task','count':true}").singleStatement()).isFalse();
        assertThat(parse("{'resource':'task','select':['id','goal.label']}").singleStatement()).isFalse();
        assertThat(parse("{'resource':'goal','select':['*','tasks']}").singleStatement()).isFalse();
    }
}
