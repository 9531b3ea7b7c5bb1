package io.datafn.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The real services tests run against, shared by every module's tests (this is the core test-jar): SQLite files,
 * PostgreSQL ({@code DATAFN_TEST_PG_URL}, default {@code 127.0.0.1:5432/test}), MariaDB
 * ({@code DATAFN_TEST_MARIADB_URL}, default {@code 127.0.0.1:3306/test}, user root) and Redis ({@code DATAFN_TEST_REDIS},
 * default {@code redis://127.0.0.1:6379}). A test that needs PostgreSQL, MariaDB or Redis is skipped when it is down, except
 * with {@code CI=true}, where that is a failure. The JDBC driver comes from the calling module's test classpath.
 */
public final class TestServices {
    public static final String PG_URL = System.getenv().getOrDefault("DATAFN_TEST_PG_URL",
            "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
    /** The test MariaDB server (a database per test is created on it); override with DATAFN_TEST_MARIADB_URL. */
    public static final String MARIADB_URL = System.getenv().getOrDefault("DATAFN_TEST_MARIADB_URL",
            "jdbc:mariadb://127.0.0.1:3306/test?user=root");
    public static final String REDIS_URI = System.getenv().getOrDefault("DATAFN_TEST_REDIS", "redis://127.0.0.1:6379");

    private static Boolean pgUp;
    private static Boolean redisUp;
    private static Boolean mariadbUp;

    private TestServices() {
    }

    public static boolean ci() {
        return "true".equals(System.getenv("CI"));
    }

    public static synchronized boolean postgresReachable() {
        if (pgUp == null) {
            pgUp = connects(PG_URL);
        }
        return pgUp;
    }

    private static boolean connects(String jdbcUrl) {
        try (Connection c = DriverManager.getConnection(jdbcUrl)) {
            return c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    /** Skips the calling test when PostgreSQL is down, except on CI where that is a failure. */
    public static void assumePostgres() {
        require(postgresReachable(), "PostgreSQL at " + PG_URL);
    }

    public static synchronized boolean mariadbReachable() {
        if (mariadbUp == null) {
            mariadbUp = connects(MARIADB_URL);
        }
        return mariadbUp;
    }

    /** Skips the calling test when MariaDB is down, except on CI where that is a failure. */
    public static void assumeMariadb() {
        require(mariadbReachable(), "MariaDB at " + MARIADB_URL);
    }

    /** Skips the calling test when Redis does not answer PING, except on CI where that is a failure. */
    public static void assumeRedis() {
        require(redisReachable(), "Redis at " + REDIS_URI);
    }

    private static void require(boolean up, String what) {
        if (!up && ci()) {
            throw new IllegalStateException(what + " is required on CI but unreachable");
        }
        assumeTrue(up, what + " not reachable");
    }

    private static synchronized boolean redisReachable() {
        if (redisUp == null) {
            URI uri = URI.create(REDIS_URI);
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(uri.getHost(), uri.getPort() < 0 ? 6379 : uri.getPort()), 2000);
                s.setSoTimeout(2000);
                OutputStream out = s.getOutputStream();
                out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = s.getInputStream();
                byte[] answer = in.readNBytes(5);
                redisUp = new String(answer, StandardCharsets.US_ASCII).equals("+PONG");
            } catch (IOException | IllegalArgumentException e) {
                redisUp = false;
            }
        }
        return redisUp;
    }

    /** A JDBC URL of a new, empty SQLite file. */
    public static String freshSqliteUrl() {
        try {
            return "jdbc:sqlite:" + Files.createTempDirectory("datafn-test").resolve(freshName() + ".db");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A JDBC URL whose current schema is a new, empty PostgreSQL schema (skips or fails as {@link #assumePostgres}). */
    public static String freshPostgresUrl() {
        assumePostgres();
        String schema = freshName();
        try (Connection c = DriverManager.getConnection(PG_URL); Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA " + schema);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return PG_URL + (PG_URL.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }

    /** A JDBC URL of a new, empty MariaDB database (skips or fails as {@link #assumeMariadb}). */
    public static String freshMariadbUrl() {
        assumeMariadb();
        String db = freshName();
        try (Connection c = DriverManager.getConnection(MARIADB_URL); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + db + " CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        int q = MARIADB_URL.indexOf('?');
        String base = q < 0 ? MARIADB_URL : MARIADB_URL.substring(0, q);
        return base.substring(0, base.lastIndexOf('/') + 1) + db + (q < 0 ? "" : MARIADB_URL.substring(q));
    }

    private static String freshName() {
        return "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    }
}
