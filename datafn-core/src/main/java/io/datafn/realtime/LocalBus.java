package io.datafn.realtime;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;

/** The in-process bus: enough for a single server node. */
public final class LocalBus implements ClusterBus {
    private final List<BiConsumer<String, Long>> listeners = new CopyOnWriteArrayList<>();

    @Override
    public void publish(String namespace, long seq) {
        listeners.forEach(l -> l.accept(namespace, seq));
    }

    @Override
    public void subscribe(BiConsumer<String, Long> listener) {
        listeners.add(listener);
    }

    @Override
    public void close() {
        listeners.clear();
    }
}
