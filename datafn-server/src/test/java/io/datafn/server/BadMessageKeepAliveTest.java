package io.datafn.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.json.Json;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keep-alive connections stay in step while other connections send requests Jetty's parser refuses (issue 9: a head
 * over 64 KiB, a broken Content-Length). Jetty 12.1.14 answers such a request on another thread while the parsing
 * thread is still in the connection's fill loop, and resumed that loop a second time on a third thread: both released
 * the connection's pooled request buffer, which then served two connections at once (a request handled twice with a
 * garbled body, an answer on the wrong connection, a request never answered). Every answer on the keep-alive
 * connections must be the 200 of its own request, with its request id. Bounded: 6 000 keep-alive requests (head and body in writes of their own), a few seconds. The race
 * needs a thread to be preempted at the wrong instant, so a run without the fix fails only now and then (about once in
 * 100 000 to 1 000 000 requests on a loaded machine); the fix ({@code HttpConnections}: one thread at a time in the
 * fill loop) closes it by construction.
 */
class BadMessageKeepAliveTest {
    static final int CLIENTS = 4;
    static final int REQUESTS = 1500;

    @Test
    void refusedHeadsOnOtherConnections_leaveKeepAliveAnswersInStep() throws Exception {
        try (TestServer s = TestServer.start(TestDb.SQLITE, Fixtures.F1_SCHEMA)) {
            run(s);
        }
    }

    private static void run(TestServer s) throws InterruptedException {
        AtomicBoolean done = new AtomicBoolean();
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        AtomicInteger refused = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int g = 0; g < CLIENTS; g++) {
            int id = g;
            threads.add(new Thread(() -> {
                String[] heads = {
                        "POST /datafn/pull HTTP/1.1\r\nHost: t\r\nContent-Length: 24\r\nX-Pad: " + "p".repeat(70_000) + "\r\n\r\n",
                        "POST /datafn/pull HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n"};
                int[] status = {431, 400};
                for (int n = 0; !done.get(); n++) {
                    int k = (n + id) % 2;
                    try (RawHttp c = new RawHttp(s)) {
                        RawHttp.Reply r = c.write(heads[k]).read();
                        if (r.status() != status[k]) {
                            wrong.add("refused head " + k + " answered " + r.status() + " " + r.body());
                        }
                        refused.incrementAndGet();
                    } catch (IOException reset) {
                        // the server closes with the rest of the refused head unread: a reset may come before the answer
                    }
                }
            }));
        }
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            int id = c;
            clients.add(new Thread(() -> {
                try (RawHttp k = new RawHttp(s)) {
                    k.socket().setTcpNoDelay(true); // the head and the body leave as two segments, without Nagle's wait
                    for (int n = 0; n < REQUESTS; n++) {
                        String requestId = "keep-" + id + "-" + n;
                        RawHttp.Reply r = k.send("POST /datafn/pull HTTP/1.1\r\nContent-Type: application/json\r\nX-Request-Id: "
                                + requestId, "{\"cursor\":\"0\",\"limit\":" + (1 + n % 50) + "}").read();
                        JsonNode body = Json.parse(r.body());
                        if (r.status() != 200 || !requestId.equals(r.headers().get("x-request-id"))
                                || !body.path("ok").asBoolean()) {
                            wrong.add(requestId + " answered " + r.status() + " " + r.headers().get("x-request-id") + " " + r.body());
                            return;
                        }
                    }
                } catch (IOException e) {
                    wrong.add("keep-alive client " + id + ": " + e);
                }
            }));
        }
        threads.forEach(Thread::start);
        clients.forEach(Thread::start);
        for (Thread t : clients) {
            t.join();
        }
        done.set(true);
        for (Thread t : threads) {
            t.join();
        }
        assertThat(wrong).isEmpty();
        assertThat(refused.get()).isPositive();
    }
}
