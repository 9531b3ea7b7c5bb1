package io.datafn.realtime;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The sockets of this node by namespace (PROTOCOL.md "WebSocket"; reference-sync.md §9). After each commit a
 * {@code {"type":"cursor","cursor":"<seq>","targeting":{"mode":"namespace-broadcast","degraded":false}}} message
 * goes to every socket of the namespace; the client then pulls. A socket whose send fails is closed with 1001.
 *
 * <p>{@link #broadcast} returns at once (it is called on the cluster bus's listener thread): the message is built (and
 * UTF-8 encoded, {@link TextMessage}) once per namespace broadcast and handed to the sockets by a small pool of fan-out threads, a namespace's sockets split into slices
 * of {@link #SLICE} sent in parallel. A namespace has one broadcast at a time, so each socket hears its cursors in
 * order; commits that arrive while one is being sent fold into the next one, which carries the highest seq (a
 * socket only needs "pull up to here"). Commits finish out of seq order (group commit): a commit whose seq is below
 * one already announced is announced again with the highest cursor, so that a socket's cursors never go down and
 * the late commit still tells the client to pull (its changes became visible only now).
 */
public final class WebSocketHub implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WebSocketHub.class);

    public static final int CLOSE_UNAUTHORIZED = 4401;
    public static final int CLOSE_LIMIT = 4503;
    public static final int CLOSE_GOING_AWAY = 1001;

    /** Sockets one fan-out task sends to. */
    static final int SLICE = 256;

    private final int maxConnections;
    private final int maxPerNamespace;
    private final Map<String, Room> rooms = new ConcurrentHashMap<>();
    private final AtomicInteger total = new AtomicInteger();
    private final ExecutorService fanout;
    private final Heartbeat heartbeat;
    private final Duration heartbeatInterval;
    private final Duration heartbeatTimeout;
    private volatile boolean closed;

    /** The original's heartbeat: a ping every 30 s, closed 1001 without a pong within 10 s. */
    public static final Duration HEARTBEAT_INTERVAL = Duration.ofSeconds(30);
    public static final Duration HEARTBEAT_TIMEOUT = Duration.ofSeconds(10);

    /** With the default heartbeat ({@link #HEARTBEAT_INTERVAL}, {@link #HEARTBEAT_TIMEOUT}). */
    public WebSocketHub(int maxConnections, int maxPerNamespace) {
        this(maxConnections, maxPerNamespace, HEARTBEAT_INTERVAL, HEARTBEAT_TIMEOUT);
    }

    /**
     * @param maxConnections    sockets on this node (default 10 000)
     * @param maxPerNamespace   sockets per namespace on this node (default 1 000)
     * @param heartbeatInterval how often each socket is pinged
     * @param heartbeatTimeout  how long a ping may stay unanswered before the socket is closed with 1001
     */
    public WebSocketHub(int maxConnections, int maxPerNamespace, Duration heartbeatInterval, Duration heartbeatTimeout) {
        if (maxConnections < 1 || maxPerNamespace < 1) {
            throw new IllegalArgumentException("websocket connection limits must be positive, got "
                    + maxConnections + " and " + maxPerNamespace);
        }
        this.maxConnections = maxConnections;
        this.maxPerNamespace = maxPerNamespace;
        this.heartbeat = new Heartbeat(heartbeatInterval, heartbeatTimeout);
        this.heartbeatInterval = heartbeatInterval;
        this.heartbeatTimeout = heartbeatTimeout;
        AtomicInteger n = new AtomicInteger();
        this.fanout = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()), r -> {
            Thread t = new Thread(r, "datafn-ws-fanout-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Registers a socket, or closes it (4503 over a limit, 1001 after shutdown); true when registered. */
    public boolean add(String namespace, Socket socket) {
        if (closed) {
            socket.close(CLOSE_GOING_AWAY, "Going Away");
            return false;
        }
        if (total.incrementAndGet() > maxConnections) {
            total.decrementAndGet();
            socket.close(CLOSE_LIMIT, "Connection limit reached");
            return false;
        }
        Room room = rooms.computeIfAbsent(namespace, Room::new);
        synchronized (room.sockets) {
            if (room.sockets.size() >= maxPerNamespace) {
                total.decrementAndGet();
                socket.close(CLOSE_LIMIT, "Namespace connection limit reached");
                return false;
            }
            room.sockets.add(socket);
            room.snapshot = null;
        }
        heartbeat.add(socket);
        return true;
    }

    /**
     * How long an adapter lets a socket's connection stay without traffic before its transport closes it: a backstop
     * behind the heartbeat (which pings every interval, so a healthy socket never comes near it).
     */
    public Duration idleTimeout() {
        return heartbeatInterval.plus(heartbeatTimeout).multipliedBy(2);
    }

    /** The socket answered a ping: the adapter calls this for every pong frame it receives. */
    public void ponged(Socket socket) {
        heartbeat.ponged(socket);
    }

    public void remove(String namespace, Socket socket) {
        Room room = rooms.get(namespace);
        if (room == null) {
            return;
        }
        boolean removed;
        synchronized (room.sockets) {
            removed = room.sockets.remove(socket);
            if (removed) {
                room.snapshot = null;
            }
        }
        if (removed) {
            total.decrementAndGet();
            heartbeat.remove(socket);
        }
    }

    /** Sockets currently registered on this node. */
    public int size() {
        return total.get();
    }

    /** Tells every socket of the namespace that changes up to {@code seq} are committed; returns at once. */
    public void broadcast(String namespace, long seq) {
        Room room = rooms.get(namespace);
        if (room == null || room.sockets.isEmpty() || closed) {
            return;
        }
        room.offer(seq);
    }

    static TextMessage cursorMessage(long seq) {
        return new TextMessage("{\"type\":\"cursor\",\"cursor\":\"" + seq
                + "\",\"targeting\":{\"mode\":\"namespace-broadcast\",\"degraded\":false}}");
    }

    /** One namespace's sockets and its broadcast: the seq waiting to be sent, and whether a broadcast is running. */
    private final class Room {
        final String namespace;
        final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
        /**
         * {@link #sockets} as an array, or null after a socket came or went (both under the set's lock): a broadcast
         * reuses it rather than copying 10 000 entries out of the set per commit.
         */
        Socket[] snapshot;
        /** the seq the next broadcast announces, or -1 when none is waiting */
        private long waiting = -1;
        /** the highest seq ever offered: commits finish out of seq order, a socket's cursors never go down */
        private long highest = -1;
        private boolean running;
        /** slices of the running broadcast still sending */
        private final AtomicInteger slicesLeft = new AtomicInteger();

        Room(String namespace) {
            this.namespace = namespace;
        }

        void offer(long seq) {
            synchronized (this) {
                // a commit that finished after a higher one still announces "pull" (its rows are now visible),
                // with the highest cursor so far
                highest = Math.max(highest, seq);
                waiting = highest;
                if (running) {
                    return;
                }
                running = true;
            }
            submit(this::start);
        }

        /** Takes the waiting seq, builds its message once and sends it to every socket, a slice per task. */
        private void start() {
            long seq;
            synchronized (this) {
                seq = waiting;
                waiting = -1;
            }
            TextMessage msg = cursorMessage(seq);
            Socket[] all = snapshot();
            int slices = Math.max(1, (all.length + SLICE - 1) / SLICE);
            slicesLeft.set(slices);
            for (int i = 1; i < slices; i++) {
                int from = i * SLICE;
                submit(() -> sendSlice(msg, all, from, Math.min(all.length, from + SLICE)));
            }
            sendSlice(msg, all, 0, Math.min(all.length, SLICE));
        }

        private Socket[] snapshot() {
            synchronized (sockets) {
                if (snapshot == null) {
                    snapshot = sockets.toArray(new Socket[0]);
                }
                return snapshot;
            }
        }

        private void sendSlice(TextMessage msg, Socket[] all, int from, int to) {
            for (int i = from; i < to; i++) {
                send(all[i], msg);
            }
            if (slicesLeft.decrementAndGet() == 0) {
                synchronized (this) {
                    if (waiting < 0 || closed) {
                        running = false;
                        return;
                    }
                }
                submit(this::start);
            }
        }

        private void send(Socket s, TextMessage msg) {
            try {
                s.send(msg);
            } catch (RuntimeException e) {
                log.debug("ws {}: send failed, closing the socket: {}", namespace, e.toString());
                remove(namespace, s);
                try {
                    s.close(CLOSE_GOING_AWAY, "Broadcast send failed");
                } catch (RuntimeException ignored) {
                    // the connection is already gone
                }
            }
        }

        private void submit(Runnable task) {
            try {
                fanout.execute(task);
            } catch (RejectedExecutionException e) {
                synchronized (this) {
                    running = false; // shut down: nothing more is sent
                }
            }
        }
    }

    /** Closes every socket with 1001 "Going Away"; later admissions are refused the same way. Idempotent. */
    @Override
    public void close() {
        closed = true;
        fanout.shutdown();
        heartbeat.close();
        rooms.forEach((ns, room) -> {
            for (Socket s : room.sockets) {
                try {
                    s.close(CLOSE_GOING_AWAY, "Going Away");
                } catch (RuntimeException ignored) {
                    // closing anyway
                }
            }
            synchronized (room.sockets) {
                room.sockets.clear();
                room.snapshot = null;
            }
        });
        total.set(0);
    }
}
