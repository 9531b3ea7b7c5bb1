package io.datafn.jdbc;

import io.datafn.testing.TestServices;

/** The databases the store runs on; every test gets a fresh one (PostgreSQL and MariaDB mandatory when {@code CI=true}). */
enum TestDatabase {
    SQLITE, POSTGRES, MARIADB;

    String freshUrl() {
        return switch (this) {
            case SQLITE -> TestServices.freshSqliteUrl();
            case POSTGRES -> TestServices.freshPostgresUrl();
            case MARIADB -> TestServices.freshMariadbUrl();
        };
    }

    Dialect dialect() {
        return Dialect.valueOf(name());
    }
}
