package io.datafn.realtime;

import io.datafn.store.NamespaceCounters.Counter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link PollingBus}: which reads of the counters announce what, failed reads, its own commits, the thread. */
class PollingBusTest {
    /** The "database": namespace → committed counter; reads fail while {@link #down}. */
    final Map<String, Long> committed = new TreeMap<>();
    final AtomicBoolean down = new AtomicBoolean();
    final List<String> heard = new CopyOnWriteArrayList<>();
    PollingBus bus;

    synchronized List<Counter> read() {
        if (down.get()) {
            throw new IllegalStateException("connection refused");
        }
        List<Counter> out = new ArrayList<>();
        committed.forEach((ns, seq) -> out.add(new Counter(ns, seq)));
        return out;
    }

    synchronized void commit(String ns, long seq) {
        committed.put(ns, seq);
    }

    /** A bus whose own thread waits an hour: the test calls {@link PollingBus#poll} itself. */
    PollingBus manual() {
        bus = new PollingBus(this::read, Duration.ofHours(1));
        bus.subscribe((ns, seq) -> heard.add(ns + "@" + seq));
        return bus;
    }

    @AfterEach
    void close() {
        if (bus != null) {
            bus.close();
        }
    }

    @Test
    void countersAtStart_areNotAnnounced_onlyWhatWentUpAfterwards_onceEach() {
        commit("a", 5);
        commit("b", 7);
        manual();
        assertThat(bus.poll()).isTrue();
        assertThat(heard).isEmpty();

        commit("a", 6);
        commit("c", 1); // a namespace new since the start
        bus.poll();
        assertThat(heard).containsExactlyInAnyOrder("a@6", "c@1");

        heard.clear();
        bus.poll();
        assertThat(heard).isEmpty(); // nothing went up

        commit("b", 8);
        commit("b", 12); // two commits between two reads: one announcement of the highest
        bus.poll();
        assertThat(heard).containsExactly("b@12");
    }

    @Test
    void failedReads_announceNothing_andTheNextGoodReadAnnouncesEverythingThatWentUpMeanwhile() {
        commit("a", 1);
        manual();
        down.set(true);
        commit("a", 2);
        commit("b", 3);
        assertThat(bus.poll()).isFalse();
        assertThat(bus.poll()).isFalse();
        assertThat(bus.healthy()).isFalse();
        assertThat(heard).isEmpty();

        down.set(false);
        assertThat(bus.poll()).isTrue();
        assertThat(bus.healthy()).isTrue();
        assertThat(heard).containsExactlyInAnyOrder("a@2", "b@3");
    }

    @Test
    void aFailedFirstRead_countsEveryNamespaceAsNew() {
        down.set(true);
        commit("a", 4);
        manual();
        assertThat(bus.healthy()).isFalse();
        down.set(false);
        bus.poll();
        assertThat(heard).containsExactly("a@4");
    }

    @Test
    void ownCommits_areDeliveredAtOnce_andNotAgainByTheRead_whileHigherCommitsOfOthersAre() {
        manual();
        commit("a", 3);
        bus.publish("a", 3); // this node's commit, published after it committed
        assertThat(heard).containsExactly("a@3");
        bus.poll();
        assertThat(heard).containsExactly("a@3");

        commit("a", 4); // another node's commit
        bus.poll();
        assertThat(heard).containsExactly("a@3", "a@4");
    }

    @Test
    void aLowerCounterThanAnnounced_isNotAnnounced() {
        manual();
        commit("a", 3);
        bus.publish("a", 5); // the read may be older than this node's latest publication
        bus.poll();
        assertThat(heard).containsExactly("a@5");
    }

    @Test
    void aFailingListener_doesNotStopTheOthers() {
        manual();
        bus.subscribe((ns, seq) -> {
            throw new IllegalStateException("listener bug");
        });
        List<String> second = new CopyOnWriteArrayList<>();
        bus.subscribe((ns, seq) -> second.add(ns));
        commit("a", 1);
        assertThat(bus.poll()).isTrue();
        assertThat(heard).containsExactly("a@1");
        assertThat(second).containsExactly("a");
    }

    @Test
    void theThreadPollsEveryInterval_survivesFailures_andEndsOnClose() throws Exception {
        bus = new PollingBus(this::read, Duration.ofMillis(20));
        bus.subscribe((ns, seq) -> heard.add(ns + "@" + seq));
        commit("a", 1);
        waitFor("a@1");
        down.set(true);
        Thread.sleep(100); // several failed reads
        assertThat(bus.poller().isAlive()).isTrue();
        commit("a", 2);
        down.set(false);
        waitFor("a@2");

        bus.close();
        assertThat(bus.poller().isAlive()).isFalse();
        commit("a", 3);
        Thread.sleep(100);
        assertThat(heard).doesNotContain("a@3");
    }

    @Test
    void theIntervalIsAtLeastOneMillisecond() {
        assertThatThrownBy(() -> new PollingBus(this::read, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    }

    private void waitFor(String announcement) throws InterruptedException {
        for (int i = 0; i < 200 && !heard.contains(announcement); i++) {
            Thread.sleep(10);
        }
        assertThat(heard).contains(announcement);
    }
}
