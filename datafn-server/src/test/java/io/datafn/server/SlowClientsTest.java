package io.datafn.server;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Slow clients (issue: slow uploads stop the server): 300 connections that send a body at one byte a second, and 300
 * that send their headers at one byte a second, hold no request thread; {@code GET status} stays fast meanwhile.
 * Bounded: about 8 seconds of trickling, then every socket is closed.
 */
class SlowClientsTest {
    TestServer s;

    @AfterEach
    void stop() {
        if (s != null) {
            s.close();
        }
    }

    @Test
    void slowUploadsAndSlowHeaders_leaveStatusFast() throws Exception {
        s = TestServer.start(TestDb.SQLITE, Fixtures.F1_SCHEMA);
        for (int i = 0; i < 200; i++) {
            s.get("status"); // warm: the figure is about slow clients, not about a cold JVM
        }
        List<Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < 300; i++) {
                Socket b = new Socket("127.0.0.1", s.app.port());
                b.getOutputStream().write(("POST /datafn/query HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 60000\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                slow.add(b);
                Socket h = new Socket("127.0.0.1", s.app.port());
                h.getOutputStream().write("GET /datafn/status HTTP/1.1\r\nHost: t\r\n".getBytes(StandardCharsets.ISO_8859_1));
                slow.add(h);
            }
            List<Long> latencies = new ArrayList<>();
            long end = System.nanoTime() + 8_000_000_000L;
            int tick = 0;
            while (System.nanoTime() < end) {
                for (Socket sock : slow) {
                    try {
                        OutputStream out = sock.getOutputStream();
                        out.write(tick % 2 == 0 ? ' ' : 'X'); // body bytes, or header bytes of an endless header
                        out.flush();
                    } catch (java.io.IOException closedByServer) {
                        // the server may close a client that is too slow: that is allowed
                    }
                }
                tick++;
                Thread.sleep(200); // the server has taken the new bytes
                for (int i = 0; i < 20; i++) {
                    long t0 = System.nanoTime();
                    TestServer.Reply r = s.get("status");
                    latencies.add((System.nanoTime() - t0) / 1_000_000);
                    assertThat(r.status()).isEqualTo(200);
                }
                Thread.sleep(800);
            }
            Collections.sort(latencies);
            long p99 = latencies.get((int) Math.ceil(latencies.size() * 0.99) - 1);
            assertThat(p99).as("p99 of GET status while 600 slow clients hang, ms (all: %s)", latencies).isLessThan(100);
        } finally {
            for (Socket sock : slow) {
                sock.close();
            }
        }
    }
}
