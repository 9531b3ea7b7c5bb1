package io.datafn.jdbc;

import io.datafn.schema.SchemaException;
import org.jooq.Query;
import org.jooq.conf.ParamType;

import java.util.List;

/**
 * What migrating to a schema would do ({@link JdbcStore#planMigration}): the tables and columns it would add and the
 * changes it would refuse, before anything is done. Indexes are not listed: every start creates the missing ones
 * ({@code CREATE INDEX IF NOT EXISTS}).
 *
 * @param fresh     true when the database holds no DataFn tables yet (the system tables are created too)
 * @param additions what would be added, in order
 * @param refusals  the changes that would lose or reinterpret data; a migration with any is refused as a whole
 */
public record MigrationPlan(boolean fresh, List<Step> additions, List<SchemaException.Problem> refusals) {
    public MigrationPlan {
        additions = List.copyOf(additions);
        refusals = List.copyOf(refusals);
    }

    /** One addition: what it is and the statement that makes it. */
    public record Step(String description, Query ddl) {
        /** The statement in this database's SQL, values inlined. */
        public String sql() {
            return ddl.getSQL(ParamType.INLINED);
        }
    }
}
