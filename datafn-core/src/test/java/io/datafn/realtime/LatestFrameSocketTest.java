package io.datafn.realtime;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** One frame in flight per socket; texts sent meanwhile replace one another; a failed write closes with 1001. */
class LatestFrameSocketTest {
    /** A socket whose writes complete when the test says so. */
    static final class Recording extends LatestFrameSocket {
        final List<String> writes = new ArrayList<>();
        final List<String> closes = new ArrayList<>();

        @Override
        protected void write(TextMessage message) {
            writes.add(message.text());
        }

        void complete(Throwable failure) {
            written(failure);
        }

        @Override
        public void close(int code, String reason) {
            closes.add(code + " " + reason);
        }
    }

    @Test
    void textsSentWhileAFrameIsWritten_foldIntoTheLatest() {
        Recording s = new Recording();
        s.send(new TextMessage("a"));
        s.send(new TextMessage("b"));
        s.send(new TextMessage("c"));
        assertThat(s.writes).containsExactly("a");
        s.complete(null);
        assertThat(s.writes).containsExactly("a", "c");
        s.complete(null);
        assertThat(s.writes).containsExactly("a", "c");
        s.send(new TextMessage("d"));
        assertThat(s.writes).containsExactly("a", "c", "d");
        assertThat(s.closes).isEmpty();
    }

    @Test
    void aFailedWrite_closesWithGoingAway_andNothingMoreIsWritten() {
        Recording s = new Recording();
        s.send(new TextMessage("a"));
        s.send(new TextMessage("b"));
        s.complete(new java.io.IOException("broken pipe"));
        assertThat(s.closes).containsExactly("1001 Send failed");
        s.send(new TextMessage("c"));
        assertThat(s.writes).containsExactly("a");
    }
}
