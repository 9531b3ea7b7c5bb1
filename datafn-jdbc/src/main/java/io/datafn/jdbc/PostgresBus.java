package io.datafn.jdbc;

import io.datafn.realtime.BusPayload;
import io.datafn.realtime.ClusterBus;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;

/**
 * A {@link ClusterBus} over PostgreSQL LISTEN/NOTIFY: every node sharing the database hears every node's commits.
 * One dedicated connection listens (reconnecting after failures, logging and carrying on); another publishes.
 */
public final class PostgresBus implements ClusterBus {
    private static final Logger log = LoggerFactory.getLogger(PostgresBus.class);
    static final String CHANNEL = "datafn_commits";

    private final String url;
    private final Properties props;
    private final List<BiConsumer<String, Long>> listeners = new CopyOnWriteArrayList<>();
    private final Thread listener;
    private final Object publishLock = new Object();
    private Connection publisher;
    private volatile boolean closed;
    /** True while the listening connection is up (LISTEN done, not failed since). */
    private volatile boolean listening;

    /** Starts listening on {@code jdbc:postgresql:...}; user and password may be null (taken from the URL). */
    public PostgresBus(String jdbcUrl, String user, String password) {
        this.url = jdbcUrl;
        this.props = new Properties();
        if (user != null) {
            props.setProperty("user", user);
        }
        if (password != null) {
            props.setProperty("password", password);
        }
        this.listener = new Thread(this::listen, "datafn-pg-listen");
        this.listener.setDaemon(true);
        this.listener.start();
    }

    @Override
    public void publish(String namespace, long seq) {
        synchronized (publishLock) {
            for (int attempt = 0; attempt < 2; attempt++) {
                try {
                    if (publisher == null || publisher.isClosed()) {
                        publisher = DriverManager.getConnection(url, props);
                        publisher.setAutoCommit(true);
                    }
                    try (PreparedStatement ps = publisher.prepareStatement("SELECT pg_notify(?, ?)")) {
                        ps.setString(1, CHANNEL);
                        ps.setString(2, BusPayload.encode(namespace, seq));
                        ps.execute();
                    }
                    return;
                } catch (SQLException e) {
                    log.warn("bus: publishing seq {} of {} failed (attempt {}): {}", seq, namespace, attempt + 1, e.getMessage());
                    closeQuietly(publisher);
                    publisher = null;
                }
            }
        }
    }

    @Override
    public void subscribe(BiConsumer<String, Long> l) {
        listeners.add(l);
    }

    private void listen() {
        while (!closed) {
            try (Connection c = DriverManager.getConnection(url, props)) {
                c.setAutoCommit(true);
                try (Statement st = c.createStatement()) {
                    st.execute("LISTEN " + CHANNEL);
                }
                listening = true;
                log.info("bus: listening for commits on PostgreSQL channel {}", CHANNEL);
                PGConnection pg = c.unwrap(PGConnection.class);
                while (!closed) {
                    PGNotification[] batch = pg.getNotifications(1000);
                    if (batch == null) {
                        continue;
                    }
                    for (PGNotification n : batch) {
                        deliver(n.getParameter());
                    }
                }
            } catch (SQLException e) {
                listening = false;
                if (!closed) {
                    log.warn("bus: listener connection failed, reconnecting in 1 s: {}", e.getMessage());
                    sleep();
                }
            }
        }
    }

    /** True while this node listens: a node whose listening connection is down misses the other nodes' commits. */
    @Override
    public boolean healthy() {
        return listening && !closed;
    }

    private void deliver(String payload) {
        BusPayload.dispatch(payload, listeners, log);
    }

    private static void sleep() {
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // closing anyway
            }
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        listener.interrupt();
        synchronized (publishLock) {
            closeQuietly(publisher);
            publisher = null;
        }
    }
}
