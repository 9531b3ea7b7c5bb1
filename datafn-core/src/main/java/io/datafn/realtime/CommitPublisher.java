package io.datafn.realtime;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Tells the {@link ClusterBus} about commits off the committing request's thread, coalesced: while the bus is busy,
 * the commits of a namespace fold into one message carrying the highest seq (a socket only needs to hear "pull up to
 * here"). A commit is never waiting on the bus, and a burst of commits in one namespace is one message, not one each.
 */
public final class CommitPublisher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CommitPublisher.class);

    private final ClusterBus bus;
    /** Namespace → the highest seq committed and not yet published. */
    private final Map<String, Long> pending = new ConcurrentHashMap<>();
    private final Thread thread;
    private volatile boolean closed;

    public CommitPublisher(ClusterBus bus) {
        this.bus = bus;
        this.thread = new Thread(this::run, "datafn-publish");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** Queues {@code (namespace, seq)}; returns at once. */
    public void offer(String namespace, long seq) {
        pending.merge(namespace, seq, Math::max);
        LockSupport.unpark(thread);
    }

    private void run() {
        while (!closed) {
            if (pending.isEmpty()) {
                LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(100));
                continue;
            }
            publishPending();
        }
        publishPending();
    }

    private void publishPending() {
        for (Iterator<String> it = pending.keySet().iterator(); it.hasNext(); ) {
            String ns = it.next();
            Long seq = pending.remove(ns);
            if (seq == null) {
                continue;
            }
            try {
                bus.publish(ns, seq);
            } catch (RuntimeException e) {
                log.warn("bus: publishing seq {} of {} failed (its sockets hear the next commit): {}", seq, ns, e.getMessage());
            }
        }
    }

    /** Publishes what is still pending, then stops. */
    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
