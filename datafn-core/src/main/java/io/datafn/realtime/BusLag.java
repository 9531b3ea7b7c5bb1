package io.datafn.realtime;

import io.datafn.observe.ServerObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Times this node's own announcements through the cluster bus: {@link #published} when a commit is announced,
 * {@link #delivered} when the bus hands it back to this node (every bus delivers a node's own announcements to it),
 * the difference to {@link ServerObserver#busDelivered}. Announcements of other nodes are not timed (their clocks are
 * not ours). At most {@link #MAX_PENDING} announcements wait for their delivery; a bus that drops messages (Redis
 * pub/sub while disconnected) would otherwise grow the map forever, so past that the waiting ones are forgotten.
 */
public final class BusLag {
    private static final Logger log = LoggerFactory.getLogger(BusLag.class);
    static final int MAX_PENDING = 10_000;

    private final ServerObserver observer;
    private final Map<String, Long> pending = new ConcurrentHashMap<>();

    public BusLag(ServerObserver observer) {
        this.observer = observer;
    }

    private static String key(String namespace, long seq) {
        return seq + " " + namespace;
    }

    /** Called just before {@code namespace}'s commit up to {@code seq} is published. */
    public void published(String namespace, long seq) {
        if (pending.size() >= MAX_PENDING) {
            log.warn("bus: {} announcements never came back; no longer waiting for them", pending.size());
            pending.clear();
        }
        pending.put(key(namespace, seq), System.nanoTime());
    }

    /** Called when the bus delivers an announcement to this node. */
    public void delivered(String namespace, long seq) {
        Long start = pending.remove(key(namespace, seq));
        if (start != null) {
            try {
                observer.busDelivered(System.nanoTime() - start);
            } catch (RuntimeException e) {
                log.warn("bus: observer failed on the lag of {} seq {} (ignored)", namespace, seq, e);
            }
        }
    }
}
