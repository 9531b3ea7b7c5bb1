package io.datafn.server;

import io.datafn.redis.RedisBus;
import io.datafn.redis.RedisSequenceStore;
import io.datafn.testing.TestServices;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.URI;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Redis stopped under load (issue: failing dependencies), with {@code --serverseq redis} and {@code --bus redis}:
 * Redis sits behind a TCP proxy the test cuts (never the shared Redis itself) while four writers push. Every push is
 * answered 200 during the outage (the database counter serves the seqs), no seq is given twice, the change log holds
 * every acknowledged write in seq order, live updates reach a WebSocket again after Redis returns, and Redis serves
 * the seqs again. Bounded: about 1.5 s before, 3 s of outage, at most 10 s to recover.
 */
@ParameterizedClass
@EnumSource(TestDb.class)
class RedisOutageTest {
    @Parameter
    TestDb db;

    record Push(int status, long cursor, long ms, boolean duringOutage) {
    }

    @Test
    void redisCutUnderLoad_serviceContinuesOnTheDatabase_noSeqRepeats_liveUpdatesResume() throws Exception {
        TestServices.assumeRedis();
        URI real = URI.create(TestServices.REDIS_URI);
        String ns = "redis-outage-" + UUID.randomUUID();
        try (TcpProxy proxy = new TcpProxy(real.getPort())) {
            String uri = "redis://127.0.0.1:" + proxy.port();
            RedisSequenceStore seqs = new RedisSequenceStore(uri);
            try (TestServer s = TestServer.startOn(db.freshUrl(), Fixtures.F1_SCHEMA, o -> o.sequences(seqs),
                    b -> b.clusterBus(new RedisBus(uri)).readinessCheck("serverseq", seqs::healthy)
                            .namespaceProvider(ctx -> ctx.header("X-Ns")))) {
                io.datafn.testing.WsClient ws = connect(s, ns);
                assertThat(push(s, ns, "tag:first").status()).isEqualTo(200);
                assertThat(ws.next()).as("a live update before the outage").isNotNull();

                AtomicBoolean outage = new AtomicBoolean();
                AtomicBoolean stop = new AtomicBoolean();
                AtomicInteger ids = new AtomicInteger();
                ConcurrentLinkedQueue<Push> pushes = new ConcurrentLinkedQueue<>();
                List<Thread> writers = new ArrayList<>();
                for (int w = 0; w < 4; w++) {
                    Thread t = new Thread(() -> {
                        while (!stop.get()) {
                            boolean during = outage.get();
                            Push p = push(s, ns, "tag:" + ids.incrementAndGet());
                            pushes.add(new Push(p.status(), p.cursor(), p.ms(), during && outage.get()));
                        }
                    }, "writer-" + w);
                    t.start();
                    writers.add(t);
                }
                try {
                    Thread.sleep(1500);
                    outage.set(true);
                    proxy.down();
                    // readiness names Redis while it is away (the pushes are still served from the database counter)
                    assertThat(readinessWithin(s, false).checks()).containsEntry("serverseq", false);
                    Thread.sleep(3000);
                    proxy.up();
                    outage.set(false);
                    assertThat(readinessWithin(s, true).ready()).as("ready again once Redis is back").isTrue();
                    // live updates resume: a cursor at or above a commit made after Redis is back reaches the socket
                    long after = push(s, ns, "tag:after").cursor();
                    long seen = 0;
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                    while (seen < after && System.nanoTime() < deadline) {
                        String m = ws.messages.poll(200, TimeUnit.MILLISECONDS);
                        if (m != null) {
                            seen = Math.max(seen, io.datafn.json.Json.parse(m).path("cursor").asLong());
                        }
                    }
                    assertThat(seen).as("cursor seen on the WebSocket after Redis returned").isGreaterThanOrEqualTo(after);
                    Thread.sleep(500);
                } finally {
                    stop.set(true);
                    for (Thread t : writers) {
                        t.join(10_000);
                    }
                }
                List<Push> all = new ArrayList<>(pushes);
                List<Long> outageMs = new ArrayList<>();
                for (Push p : all) {
                    assertThat(p.status()).as("every push is served, during the outage too").isEqualTo(200);
                    if (p.duringOutage()) {
                        outageMs.add(p.ms());
                    }
                }
                assertThat(outageMs).as("pushes during the outage").hasSizeGreaterThan(10);
                Collections.sort(outageMs);
                long p99 = outageMs.get((int) Math.ceil(outageMs.size() * 0.99) - 1);
                System.out.printf("RedisOutageTest %s: %d pushes, %d during the 3 s outage (p50 %d ms, p99 %d ms, max %d ms)%n",
                        db, all.size(), outageMs.size(), outageMs.get(outageMs.size() / 2), p99, outageMs.get(outageMs.size() - 1));
                // no seq twice, nothing acknowledged missing: the change log is one row per push, each seq once
                List<Long> seqList = changeSeqs(s, ns);
                assertThat(new HashSet<>(seqList)).as("distinct seqs").hasSize(seqList.size());
                assertThat(seqList).as("one change per acknowledged push (+ first and after)").hasSize(all.size() + 2);
                // Redis serves again: it was raised above the database's high-water mark and counts on
                long before = seqs.current(ns);
                long next = push(s, ns, "tag:last").cursor();
                assertThat(seqs.current(ns)).as("Redis counter after the outage").isEqualTo(next).isGreaterThan(before);
                ws.ws.abort();
            }
        }
    }

    /** The server's readiness once it is {@code ready} (or the last report after 5 s). */
    static io.datafn.Readiness.Report readinessWithin(TestServer s, boolean ready) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        io.datafn.Readiness.Report r = s.server.readiness();
        while (r.ready() != ready && System.nanoTime() < deadline) {
            Thread.sleep(50);
            r = s.server.readiness();
        }
        return r;
    }

    static io.datafn.testing.WsClient connect(TestServer s, String ns) throws Exception {
        return WebSocketTest.connect(s, ns);
    }

    static Push push(TestServer s, String ns, String id) {
        long t0 = System.nanoTime();
        TestServer.Reply r = s.send(HttpRequest.newBuilder(URI.create(s.url + "/datafn/push")).header("X-Ns", ns)
                .POST(HttpRequest.BodyPublishers.ofString("{\"mutations\":[{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\""
                        + id + "\",\"record\":{\"label\":\"x\"},\"clientId\":\"c\",\"mutationId\":\"" + id + "\"}]}")).build());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        long cursor = r.status() == 200 ? r.result().path("cursor").asLong() : -1;
        return new Push(r.status(), cursor, ms, false);
    }

    /** Every seq of the namespace's change log, read from the database. */
    static List<Long> changeSeqs(TestServer s, String ns) throws java.sql.SQLException {
        List<Long> out = new ArrayList<>();
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(s.jdbcUrl);
             java.sql.PreparedStatement ps = c.prepareStatement("SELECT seq FROM datafn_changes WHERE ns = ? ORDER BY seq")) {
            ps.setString(1, ns);
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getLong(1));
                }
            }
        }
        return out;
    }
}
