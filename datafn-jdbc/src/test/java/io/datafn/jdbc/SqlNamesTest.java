package io.datafn.jdbc;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Table and index names ({@link SqlNames}): PostgreSQL's 63-byte identifier limit, quoting. */
class SqlNamesTest {
    @Test
    void shortNames_stayAsTheyAre() {
        String name = "x".repeat(63);
        assertThat(SqlNames.fit(name)).isEqualTo(name);
        assertThat(SqlNames.index("task", "u", "code")).isEqualTo("task__u_code");
        assertThat(SqlNames.index("task", "i", "a", "b")).isEqualTo("task__i_a_b");
    }

    @Test
    void longNames_endInAStableHash_andStayDistinct() {
        String a = "datafn_j_" + "r".repeat(60) + "_a";
        String b = "datafn_j_" + "r".repeat(60) + "_b";
        assertThat(SqlNames.fit(a)).hasSize(63).startsWith(a.substring(0, 50) + "_").isEqualTo(SqlNames.fit(a));
        assertThat(SqlNames.fit(a)).isNotEqualTo(SqlNames.fit(b));
    }
}
