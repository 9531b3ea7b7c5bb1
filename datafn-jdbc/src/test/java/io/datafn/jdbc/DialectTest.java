package io.datafn.jdbc;

import org.jooq.SQLDialect;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The named differences between PostgreSQL, MariaDB and SQLite ({@link Dialect}). */
class DialectTest {
    @Test
    void fromUrl_knowsThreeDatabases_andNamesTheUrlItRefuses() {
        assertThat(Dialect.fromUrl("jdbc:postgresql://h:5432/db")).isEqualTo(Dialect.POSTGRES);
        assertThat(Dialect.fromUrl("jdbc:sqlite:data/x.db")).isEqualTo(Dialect.SQLITE);
        assertThat(Dialect.fromUrl("jdbc:mariadb://h:3306/db")).isEqualTo(Dialect.MARIADB);
        assertThat(Dialect.fromUrl("jdbc:mysql://h:3306/db")).isEqualTo(Dialect.MARIADB);
        assertThat(Dialect.MARIADB.jooq()).isEqualTo(SQLDialect.MARIADB);
        assertThatThrownBy(() -> Dialect.fromUrl("jdbc:h2:mem:x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("jdbc:h2:mem:x");
        assertThat(Dialect.POSTGRES.jooq()).isEqualTo(SQLDialect.POSTGRES);
        assertThat(Dialect.SQLITE.jooq()).isEqualTo(SQLDialect.SQLITE);
    }

    @Test
    void likePatterns_haveNoEscapeCharacter() {
        assertThat(Dialect.POSTGRES.likePattern("a\\b%")).isEqualTo("a\\\\b%");   // PostgreSQL escapes with \ by default
        assertThat(Dialect.SQLITE.likePattern("a\\b%")).isEqualTo("a\\b%");
        assertThat(Dialect.MARIADB.likePattern("a\\b%")).isEqualTo("a\\\\b%");    // so does MariaDB
    }

    @Test
    void errorClassification_perDatabase() {
        assertThat(Dialect.POSTGRES.retryable(new SQLException("x", "40P01"))).isTrue();
        assertThat(Dialect.POSTGRES.uniqueViolation(new SQLException("x", "23505"))).isTrue();
        assertThat(Dialect.SQLITE.retryable(new SQLException("busy", null, 5))).isTrue();
        assertThat(Dialect.SQLITE.uniqueViolation(new SQLException("constraint", null, 19))).isTrue();
        assertThat(Dialect.MARIADB.retryable(new SQLException("deadlock", "40001", 1213))).isTrue();
        assertThat(Dialect.MARIADB.retryable(new SQLException("lock wait timeout", "HY000", 1205))).isTrue();
        assertThat(Dialect.MARIADB.uniqueViolation(new SQLException("duplicate", "23000", 1062))).isTrue();
        assertThat(Dialect.MARIADB.uniqueViolation(new SQLException("not null", "23000", 1048))).isFalse();
        assertThat(Dialect.MARIADB.connectionLost(new SQLException("gone", "08000"))).isTrue();
    }

    @Test
    void rowLocks_onlyWhereThereAreConcurrentWriters() {
        assertThat(Dialect.POSTGRES.rowLocks()).isTrue();
        assertThat(Dialect.MARIADB.rowLocks()).isTrue();
        assertThat(Dialect.SQLITE.rowLocks()).isFalse();      // one writer connection
    }
}
