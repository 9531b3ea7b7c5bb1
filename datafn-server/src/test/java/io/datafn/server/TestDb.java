package io.datafn.server;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The databases every black-box test runs on. PostgreSQL tests run when it is reachable and are mandatory when
 * {@code CI=true}; each server gets its own PostgreSQL schema (or SQLite file), so tests never share tables.
 */
public enum TestDb {
    SQLITE, POSTGRES;

    /** Base URL of the test PostgreSQL database; override with DATAFN_TEST_PG_URL. */
    public static final String PG_URL = System.getenv().getOrDefault("DATAFN_TEST_PG_URL",
            "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");

    private static Boolean pgUp;

    public static synchronized boolean postgresReachable() {
        if (pgUp == null) {
            try (Connection c = DriverManager.getConnection(PG_URL)) {
                pgUp = c.isValid(2);
            } catch (SQLException e) {
                pgUp = false;
            }
        }
        return pgUp;
    }

    /** Skips the calling test when PostgreSQL is down, except on CI where that is a failure. */
    public void assumeAvailable() {
        if (this == POSTGRES && !postgresReachable()) {
            if ("true".equals(System.getenv("CI"))) {
                throw new IllegalStateException("PostgreSQL at " + PG_URL + " is required on CI but unreachable");
            }
            assumeTrue(false, "PostgreSQL not reachable at " + PG_URL);
        }
    }

    /** A fresh, empty database: a new SQLite file, or a new PostgreSQL schema. */
    public String freshUrl() {
        assumeAvailable();
        String id = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        if (this == SQLITE) {
            try {
                Path dir = Files.createTempDirectory("datafn-test");
                return "jdbc:sqlite:" + dir.resolve(id + ".db");
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }
        try (Connection c = DriverManager.getConnection(PG_URL); Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA " + id);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return PG_URL + "&currentSchema=" + id;
    }
}
