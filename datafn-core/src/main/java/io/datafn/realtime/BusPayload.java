package io.datafn.realtime;

import org.slf4j.Logger;

import java.util.List;
import java.util.function.BiConsumer;

/** The text a cluster bus carries for one commit: {@code "<seq> <namespace>"}. */
public final class BusPayload {
    private BusPayload() {
    }

    public static String encode(String namespace, long seq) {
        return seq + " " + namespace;
    }

    /** Decodes a payload and hands it to every listener; malformed payloads are dropped, listener errors logged. */
    public static void dispatch(String payload, List<BiConsumer<String, Long>> listeners, Logger log) {
        int space = payload.indexOf(' ');
        if (space < 0) {
            return;
        }
        long seq;
        try {
            seq = Long.parseLong(payload.substring(0, space));
        } catch (NumberFormatException e) {
            return;
        }
        deliver(payload.substring(space + 1), seq, listeners, log);
    }

    /** Hands {@code (namespace, seq)} to every listener; a listener's error is logged, the others still hear it. */
    public static void deliver(String ns, long seq, List<BiConsumer<String, Long>> listeners, Logger log) {
        for (BiConsumer<String, Long> l : listeners) {
            try {
                l.accept(ns, seq);
            } catch (RuntimeException e) {
                log.warn("bus: listener failed for {} seq {} (ignored)", ns, seq, e);
            }
        }
    }
}
