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
 * PostgreSQL ({@code DATAFN_TEST_PG_URL}, default {@code 127.0.0.1:5432/test}) and Redis ({@code DATAFN_TEST_REDIS},
 * default {@code redis://127.0.0.1:6379}). A test that needs PostgreSQL or Redis is skipped when it is down, except
 * with {@code CI=true}, where that is a failure. The JDBC driver comes from the calling module's test classpath.
 */
public final class TestServices {
    public static final String PG_URL = System.getenv().getOrDefault("DATAFN_TEST_PG_URL",
            "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
    public static final String REDIS_URI = System.getenv().getOrDefault("DATAFN_TEST_REDIS", "redis://127.0.0.1:6379");

    private static Boolean pgUp;
    private static Boolean redisUp;

    private TestServices() {
    }

    public static boolean ci() {
        return "true".equals(System.getenv("CI"));
    }

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
    public static void assumePostgres() {
        require(postgresReachable(), "PostgreSQL at " + PG_URL);
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

    private static String freshName() {
        return "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    }
}
