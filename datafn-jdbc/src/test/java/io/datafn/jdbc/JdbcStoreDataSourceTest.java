package io.datafn.jdbc;

import com.fasterxml.jackson.databind.JsonNode;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.datafn.DatafnServer;
import io.datafn.json.Json;
import io.datafn.router.Request;
import io.datafn.router.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code JdbcStore.open(DataSource, ...)} over an application's own pool (as Spring Boot's): the store works through
 * it, leaves the application's connections as it found them, and gives them all back when it closes.
 */
@ParameterizedClass
@EnumSource(TestDatabase.class)
class JdbcStoreDataSourceTest {
    @Parameter
    TestDatabase db;

    HikariDataSource application;

    @AfterEach
    void close() {
        application.close();
    }

    private static JsonNode post(DatafnServer server, String route, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        Response r = server.router().handle(new Request("POST", "/datafn/" + route, null, h -> null, bytes.length,
                new ByteArrayInputStream(bytes), null));
        assertThat(r.status()).as(route).isEqualTo(200);
        return Json.parse(new String(r.body(), StandardCharsets.UTF_8));
    }

    @Test
    void storeOverTheApplicationsDataSource_writesReads_andGivesItsConnectionsBack() throws Exception {
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(db.freshUrl());
        c.setMaximumPoolSize(8);
        c.setPoolName("application");
        application = new HikariDataSource(c);
        int isolation;
        try (Connection first = application.getConnection()) {
            isolation = first.getTransactionIsolation();
        }

        JdbcStore store = JdbcStore.open(application, 2, Duration.ofSeconds(3));
        try (DatafnServer server = DatafnServer.builder().schema(Json.parse("""
                {"resources": [{"name": "goal", "version": 1, "fields": [{"name": "label", "type": "string"}]}]}"""))
                .store(store).build()) {
            post(server, "mutation", "{\"resource\":\"goal\",\"operation\":\"insert\",\"id\":\"g1\",\"record\":{\"label\":\"a\"}}");
            JsonNode q = post(server, "query", "{\"resource\":\"goal\",\"select\":[\"id\",\"label\"]}");
            assertThat(q.at("/result/data")).isEqualTo(Json.parse("[{\"id\":\"g1\",\"label\":\"a\"}]"));
            assertThat(store.healthy()).isTrue();
            assertThat(store.describe()).startsWith(db == TestDatabase.SQLITE ? "sqlite" : db.dialect().product() + " DataSource");

            // the application's connections keep its own settings (the store's pools set theirs on what they borrow)
            try (Connection mine = application.getConnection()) {
                assertThat(mine.getAutoCommit()).isTrue();
                assertThat(mine.isReadOnly()).isFalse();
                assertThat(mine.createStatement().executeQuery("SELECT 1").next()).isTrue();
            }
        }
        assertThat(store.healthy()).isFalse();
        // SQLite: the store opened the file itself; PostgreSQL, MariaDB: every borrowed connection is back, reset
        assertThat(application.getHikariPoolMXBean().getActiveConnections()).isZero();
        Connection[] all = new Connection[8];
        try {
            for (int i = 0; i < all.length; i++) {
                all[i] = application.getConnection();
                assertThat(all[i].getAutoCommit()).isTrue();
                assertThat(all[i].isReadOnly()).isFalse();
                assertThat(all[i].getTransactionIsolation()).isEqualTo(isolation);
            }
        } finally {
            for (Connection x : all) {
                if (x != null) {
                    x.close();
                }
            }
        }
    }
}
