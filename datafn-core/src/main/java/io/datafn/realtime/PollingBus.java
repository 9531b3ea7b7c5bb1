package io.datafn.realtime;

import io.datafn.store.NamespaceCounters.Counter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;

/**
 * A {@link ClusterBus} for shared databases without notifications (MariaDB, SQLite files shared by several processes):
 * every {@code interval} each node reads the committed seq counter of every namespace and announces to its own
 * listeners each namespace whose counter went up since the last read. Nothing is sent between nodes: the counter table
 * that allocates seqs is the bus.
 *
 * <p>Why it loses nothing: a namespace's counter is raised in the committing transaction, its row locked until commit,
 * so committed counter values only grow and a committed value {@code v} means every change up to {@code v} is
 * readable. The reader sees committed values only, so a counter raised by a transaction still open is heard at the
 * first read after its commit: late by up to one interval, never lost. One announcement of the highest seq is enough
 * (a socket only needs "pull up to here"), so several commits between two reads make one message.
 *
 * <p>This node's own commits ({@link #publish}) are delivered at once, not at the next read, and remembered, so that
 * the read that then sees them does not announce them again. A failed read (the database away) is logged once, retried
 * every interval, and changes nothing: the first read that succeeds announces whatever went up meanwhile.
 */
public final class PollingBus implements ClusterBus {
    private static final Logger log = LoggerFactory.getLogger(PollingBus.class);

    /** Every namespace's counter as committed now (never a value of a transaction still open). */
    @FunctionalInterface
    public interface CommittedCounters {
        List<Counter> read() throws Exception;
    }

    private final CommittedCounters counters;
    private final long intervalMillis;
    private final List<BiConsumer<String, Long>> listeners = new CopyOnWriteArrayList<>();
    /** Namespace → the highest seq announced (or, before the first read, found at start). */
    private final Map<String, Long> seen = new ConcurrentHashMap<>();
    private final Object wake = new Object();
    private final Thread poller;
    private volatile boolean closed;
    /** True while the last read succeeded; false from a failure until the next success. */
    private volatile boolean reading;
    /** Reads failed in a row (poller thread only). */
    private int failures;

    /**
     * Reads the counters once (the start: nothing announced, there are no listeners yet), then every {@code interval}
     * on a daemon thread. A first read that fails (a database not migrated yet) counts every namespace as new.
     */
    public PollingBus(CommittedCounters counters, Duration interval) {
        this.counters = Objects.requireNonNull(counters, "counters");
        this.intervalMillis = interval.toMillis();
        if (intervalMillis < 1) {
            throw new IllegalArgumentException("bus poll interval must be at least 1 ms, got " + interval);
        }
        poll();
        this.poller = new Thread(this::run, "datafn-bus-poll");
        this.poller.setDaemon(true);
        this.poller.start();
    }

    /** This node's commit: delivered to this node's listeners now; the other nodes read it from the counters. */
    @Override
    public void publish(String namespace, long seq) {
        raise(namespace, seq);
        BusPayload.deliver(namespace, seq, listeners, log);
    }

    @Override
    public void subscribe(BiConsumer<String, Long> listener) {
        listeners.add(listener);
    }

    /** True while the counters can be read: a node that cannot read them misses the other nodes' commits. */
    @Override
    public boolean healthy() {
        return reading && !closed;
    }

    private void run() {
        while (!closed) {
            synchronized (wake) {
                try {
                    if (!closed) {
                        wake.wait(intervalMillis);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            if (!closed) {
                poll();
            }
        }
    }

    /**
     * One read: announces every namespace whose counter went up. Never throws; false when the read failed (then
     * nothing changes and the next read tries again).
     */
    boolean poll() {
        List<Counter> now;
        try {
            now = counters.read();
        } catch (Exception e) {
            reading = false;
            if (failures++ == 0) {
                log.warn("bus: reading the namespace counters failed, retrying every {} ms: {}", intervalMillis,
                        e.getMessage());
            } else {
                log.debug("bus: reading the namespace counters failed again ({} in a row): {}", failures, e.getMessage());
            }
            return false;
        }
        if (failures > 0) {
            log.info("bus: reading the namespace counters again after {} failed reads", failures);
            failures = 0;
        }
        reading = true;
        for (Counter c : now) {
            if (raise(c.namespace(), c.seq())) {
                BusPayload.deliver(c.namespace(), c.seq(), listeners, log);
            }
        }
        return true;
    }

    /** Records {@code seq} as announced for {@code ns}; true when it is higher than anything announced before. */
    private boolean raise(String ns, long seq) {
        while (true) {
            Long prev = seen.get(ns);
            if (prev != null && prev >= seq) {
                return false;
            }
            if (prev == null ? seen.putIfAbsent(ns, seq) == null : seen.replace(ns, prev, seq)) {
                return true;
            }
        }
    }

    /** Stops the poller (waiting for a read in progress to end, at most 5 s); nothing is announced afterwards. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        synchronized (wake) {
            wake.notifyAll();
        }
        try {
            poller.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        listeners.clear();
    }

    /** The poller thread (tests: it ends on close). */
    Thread poller() {
        return poller;
    }
}
