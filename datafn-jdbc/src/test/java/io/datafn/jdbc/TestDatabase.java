package io.datafn.jdbc;

import io.datafn.testing.TestServices;

/** The two databases the store runs on; every test gets a fresh one (PostgreSQL mandatory when {@code CI=true}). */
enum TestDatabase {
    SQLITE, POSTGRES;

    String freshUrl() {
        return this == SQLITE ? TestServices.freshSqliteUrl() : TestServices.freshPostgresUrl();
    }

    Dialect dialect() {
        return this == SQLITE ? Dialect.SQLITE : Dialect.POSTGRES;
    }
}
