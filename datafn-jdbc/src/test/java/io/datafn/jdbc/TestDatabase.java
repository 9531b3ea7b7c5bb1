package io.datafn.jdbc;

import io.datafn.testing.Database;

/** The databases the store runs on; every test gets a fresh one (PostgreSQL and MariaDB mandatory when {@code CI=true}). */
enum TestDatabase {
    SQLITE, POSTGRES, MARIADB;

    String freshUrl() {
        return Database.valueOf(name()).freshUrl();
    }

    Dialect dialect() {
        return Dialect.valueOf(name());
    }
}
