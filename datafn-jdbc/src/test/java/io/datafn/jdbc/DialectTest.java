package io.datafn.jdbc;

import org.jooq.SQLDialect;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The named differences between PostgreSQL and SQLite ({@link Dialect}). */
class DialectTest {
    @Test
    void fromUrl_knowsTwoDatabases_andNamesTheUrlItRefuses() {
        assertThat(Dialect.fromUrl("jdbc:postgresql://h:5432/db")).isEqualTo(Dialect.POSTGRES);
        assertThat(Dialect.fromUrl("jdbc:sqlite:data/x.db")).isEqualTo(Dialect.SQLITE);
        assertThatThrownBy(() -> Dialect.fromUrl("jdbc:h2:mem:x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("jdbc:h2:mem:x");
        assertThat(Dialect.POSTGRES.jooq()).isEqualTo(SQLDialect.POSTGRES);
        assertThat(Dialect.SQLITE.jooq()).isEqualTo(SQLDialect.SQLITE);
    }

    @Test
    void likePatterns_haveNoEscapeCharacter() {
        assertThat(Dialect.POSTGRES.likePattern("a\\b%")).isEqualTo("a\\\\b%");   // PostgreSQL escapes with \ by default
        assertThat(Dialect.SQLITE.likePattern("a\\b%")).isEqualTo("a\\b%");
    }

    @Test
    void rowLocks_onlyWhereThereAreConcurrentWriters() {
        assertThat(Dialect.POSTGRES.rowLocks()).isTrue();
        assertThat(Dialect.SQLITE.rowLocks()).isFalse();      // one writer connection
    }
}
