package io.datafn.realtime;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

class HeartbeatTest {
    /** A socket that counts its pings and may answer each with a pong. */
    static final class Peer implements Socket {
        final AtomicInteger pings = new AtomicInteger();
        final AtomicReference<String> closed = new AtomicReference<>();
        volatile Heartbeat answering; // pongs to this heartbeat on every ping
        final boolean canPing;

        Peer(boolean canPing) {
            this.canPing = canPing;
        }

        @Override
        public void send(TextMessage message) {
        }

        @Override
        public boolean ping() {
            pings.incrementAndGet();
            if (answering != null) {
                answering.ponged(this);
            }
            return canPing;
        }

        @Override
        public void close(int code, String reason) {
            closed.set(code + " " + reason);
        }
    }

    @Test
    void aPingLeftUnanswered_closesTheSocket1001_anAnsweredOneKeepsIt_anAdapterThatCannotPingIsNeverClosed() throws Exception {
        try (Heartbeat hb = new Heartbeat(Duration.ofMillis(100), Duration.ofMillis(100))) {
            Peer silent = new Peer(true);
            Peer answering = new Peer(true);
            answering.answering = hb;
            Peer unable = new Peer(false);
            hb.add(silent);
            hb.add(answering);
            hb.add(unable);
            long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (silent.closed.get() == null && System.nanoTime() < until) {
                Thread.sleep(10);
            }
            assertThat(silent.closed.get()).isEqualTo("1001 Heartbeat timeout");
            assertThat(silent.pings.get()).isEqualTo(1);
            Thread.sleep(500); // several more intervals
            assertThat(answering.closed.get()).isNull();
            assertThat(answering.pings.get()).isGreaterThanOrEqualTo(3);
            assertThat(unable.closed.get()).isNull();
            assertThat(silent.pings.get()).as("a closed socket is pinged no more").isEqualTo(1);
        }
    }

    @Test
    void aRemovedSocket_isNeitherPingedNorClosed() throws Exception {
        try (Heartbeat hb = new Heartbeat(Duration.ofMillis(50), Duration.ofMillis(50))) {
            Peer p = new Peer(true);
            hb.add(p);
            hb.remove(p);
            Thread.sleep(300);
            assertThat(p.pings.get()).isZero();
            assertThat(p.closed.get()).isNull();
        }
    }
}
