package io.datafn;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.error.ErrorCode;
import io.datafn.error.ErrorItem;
import io.datafn.json.Json;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * Whether the server can serve now ({@code GET /readyz}): the database ({@code Store.healthy()}, the same check
 * {@code status} makes), the primary sequence store when one is set ({@code SequenceStore.healthy()}, e.g. Redis) and
 * the cluster bus ({@code ClusterBus.healthy()}, e.g. Redis pub/sub). The checks run in parallel and each gets
 * {@link #TIMEOUT_MS}: a database that does not answer within it (every connection of a pool waiting out its acquire
 * timeout) counts as unreachable, so that the answer comes before a probe's own timeout (Kubernetes: 1 s by default).
 */
public final class Readiness implements AutoCloseable {
    /** How long one check may take before it counts as failed. */
    public static final long TIMEOUT_MS = 900;

    /** One named dependency and how to ask it. */
    record Check(String name, BooleanSupplier reachable) {
    }

    /**
     * The answer.
     *
     * @param ready  every check passed and the server is not shutting down
     * @param reason why not, e.g. {@code database unreachable}; null when ready
     * @param checks each dependency by name ({@code database}, {@code serverseq}, {@code bus}), true when it answered
     */
    public record Report(boolean ready, String reason, Map<String, Boolean> checks) {
        public Report {
            checks = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(checks));
            if (ready != (reason == null)) {
                throw new IllegalArgumentException("a report has a reason exactly when it is not ready");
            }
        }

        /** The HTTP status: 200 when ready, else 503. */
        public int status() {
            return ready ? 200 : 503;
        }

        /**
         * {@code {ok:true, checks:{database:"up", ...}}}, or {@code {ok:false, error:{code:"SERVICE_UNAVAILABLE",
         * message:"Not ready: <reason>"}, checks:{...}}}.
         */
        public ObjectNode toJson() {
            ObjectNode n = Json.object();
            n.put("ok", ready);
            if (!ready) {
                n.set("error", ErrorItem.bare(ErrorCode.SERVICE_UNAVAILABLE.name(), "Not ready: " + reason).toJson());
            }
            ObjectNode c = n.putObject("checks");
            checks.forEach((name, up) -> c.put(name, up ? "up" : "down"));
            return n;
        }
    }

    private final List<Check> checks;
    private final BooleanSupplier shuttingDown;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "datafn-readiness");
        t.setDaemon(true);
        return t;
    });

    Readiness(List<Check> checks, BooleanSupplier shuttingDown) {
        this.checks = List.copyOf(checks);
        this.shuttingDown = shuttingDown;
    }

    /** Asks every dependency now (at most about {@link #TIMEOUT_MS}). */
    public Report check() {
        if (shuttingDown.getAsBoolean()) {
            return new Report(false, "shutting down", Map.of());
        }
        List<Future<Boolean>> answers = new ArrayList<>();
        for (Check c : checks) {
            answers.add(executor.submit(c.reachable()::getAsBoolean));
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
        Map<String, Boolean> results = new LinkedHashMap<>();
        List<String> reasons = new ArrayList<>();
        for (int i = 0; i < checks.size(); i++) {
            String name = checks.get(i).name();
            String failure = null;
            try {
                if (!answers.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    failure = name + " unreachable";
                }
            } catch (TimeoutException e) {
                answers.get(i).cancel(true);
                failure = name + " did not answer within " + TIMEOUT_MS + " ms";
            } catch (ExecutionException e) {
                failure = name + " unreachable (" + e.getCause() + ")";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = name + " not checked (interrupted)";
            }
            results.put(name, failure == null);
            if (failure != null) {
                reasons.add(failure);
            }
        }
        return new Report(reasons.isEmpty(), reasons.isEmpty() ? null : String.join("; ", reasons), results);
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
