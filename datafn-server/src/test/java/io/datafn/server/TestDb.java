package io.datafn.server;

import io.datafn.testing.Database;
import io.datafn.testing.TestServices;

/**
 * The databases every black-box test runs on. PostgreSQL and MariaDB tests run when the server is reachable and are
 * mandatory when {@code CI=true}; each server gets its own PostgreSQL schema, MariaDB database or SQLite file, so tests
 * never share tables. The
 * services themselves are {@link TestServices} (core test-jar), shared with the other modules' tests.
 */
public enum TestDb {
    SQLITE, POSTGRES, MARIADB;

    /** Base URL of the test PostgreSQL database; override with DATAFN_TEST_PG_URL. */
    public static final String PG_URL = TestServices.PG_URL;

    public static boolean postgresReachable() {
        return TestServices.postgresReachable();
    }

    /** Skips the calling test when PostgreSQL is down, except on CI where that is a failure. */
    public void assumeAvailable() {
        switch (this) {
            case POSTGRES -> TestServices.assumePostgres();
            case MARIADB -> TestServices.assumeMariadb();
            default -> { }
        }
    }

    /** An identifier quoted for this database's SQL (tests that write SQL by hand). */
    public String quote(String name) {
        return this == MARIADB ? "`" + name + "`" : "\"" + name + "\"";
    }

    /** A fresh, empty database: a new SQLite file, PostgreSQL schema or MariaDB database. */
    public String freshUrl() {
        return Database.valueOf(name()).freshUrl();
    }
}
