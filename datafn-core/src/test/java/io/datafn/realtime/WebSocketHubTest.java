package io.datafn.realtime;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The hub sends one message object per broadcast to every socket of the namespace, over several slices; the sockets
 * it sends to follow admissions and removals between broadcasts (it keeps a snapshot of them between changes).
 */
class WebSocketHubTest {
    static final class Recording implements Socket {
        final List<TextMessage> received = new CopyOnWriteArrayList<>();

        @Override
        public void send(TextMessage message) {
            received.add(message);
        }

        @Override
        public void close(int code, String reason) {
        }

        String lastText() {
            return received.isEmpty() ? null : received.get(received.size() - 1).text();
        }
    }

    @Test
    void aBroadcast_reachesEverySocketOfTheNamespace_withOneSharedMessage() throws Exception {
        try (WebSocketHub hub = new WebSocketHub(10_000, 10_000)) {
            List<Recording> sockets = add(hub, "ns", WebSocketHub.SLICE * 2 + 7); // three slices
            Recording other = add(hub, "other", 1).get(0);

            hub.broadcast("ns", 42);

            await(() -> sockets.stream().allMatch(s -> s.received.size() == 1));
            TextMessage first = sockets.get(0).received.get(0);
            assertThat(first.text()).isEqualTo(
                    "{\"type\":\"cursor\",\"cursor\":\"42\",\"targeting\":{\"mode\":\"namespace-broadcast\",\"degraded\":false}}");
            assertThat(sockets).allSatisfy(s -> assertThat(s.received.get(0)).isSameAs(first));
            assertThat(other.received).isEmpty();
        }
    }

    @Test
    void socketsAddedOrRemovedBetweenBroadcasts_areFollowed() throws Exception {
        try (WebSocketHub hub = new WebSocketHub(10_000, 10_000)) {
            List<Recording> sockets = add(hub, "ns", 3);
            hub.broadcast("ns", 1);
            await(() -> sockets.stream().allMatch(s -> "1".equals(cursor(s))));

            Recording late = add(hub, "ns", 1).get(0);
            hub.remove("ns", sockets.get(0));
            hub.broadcast("ns", 2);
            await(() -> "2".equals(cursor(late)) && "2".equals(cursor(sockets.get(1))) && "2".equals(cursor(sockets.get(2))));
            assertThat(sockets.get(0).received).hasSize(1);
            assertThat(hub.size()).isEqualTo(3);

            hub.broadcast("ns", 3);
            await(() -> "3".equals(cursor(late)));
            assertThat(late.received).hasSize(2);
            assertThat(sockets.get(0).received).hasSize(1);
        }
    }

    private static List<Recording> add(WebSocketHub hub, String ns, int n) {
        List<Recording> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Recording s = new Recording();
            assertThat(hub.add(ns, s)).isTrue();
            out.add(s);
        }
        return out;
    }

    private static String cursor(Recording s) {
        String text = s.lastText();
        if (text == null) {
            return null;
        }
        int at = text.indexOf("\"cursor\":\"") + 10;
        return text.substring(at, text.indexOf('"', at));
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition within 10 s").isLessThan(deadline);
            Thread.sleep(2);
        }
    }
}
