package io.datafn.server;

import io.datafn.testing.TestServices;

/**
 * The databases every black-box test runs on. PostgreSQL tests run when it is reachable and are mandatory when
 * {@code CI=true}; each server gets its own PostgreSQL schema (or SQLite file), so tests never share tables. The
 * services themselves are {@link TestServices} (core test-jar), shared with the other modules' tests.
 */
public enum TestDb {
    SQLITE, POSTGRES;

    /** Base URL of the test PostgreSQL database; override with DATAFN_TEST_PG_URL. */
    public static final String PG_URL = TestServices.PG_URL;

    public static boolean postgresReachable() {
        return TestServices.postgresReachable();
    }

    /** Skips the calling test when PostgreSQL is down, except on CI where that is a failure. */
    public void assumeAvailable() {
        if (this == POSTGRES) {
            TestServices.assumePostgres();
        }
    }

    /** A fresh, empty database: a new SQLite file, or a new PostgreSQL schema. */
    public String freshUrl() {
        return this == SQLITE ? TestServices.freshSqliteUrl() : TestServices.freshPostgresUrl();
    }
}
