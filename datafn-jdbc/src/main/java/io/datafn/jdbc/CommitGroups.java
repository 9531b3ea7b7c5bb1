package io.datafn.jdbc;

import io.datafn.store.Store;
import io.datafn.store.Written;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Group commit: writes that arrive while a write of the same group is running wait, and then run together in one
 * database transaction (each under its own savepoint) with one seq allocation per namespace and one commit. Under
 * concurrency a namespace's commits are then no longer one at a time behind its counter row lock: the write rate grows
 * with the number of writers instead of being capped near 1 / commit latency.
 *
 * <p>No thread of its own: the first writer of an idle group leads, runs one batch (its own write first, then
 * whatever queued behind it, at most {@code maxBatch}), and hands the lead to the oldest write still waiting. Every
 * writer is answered after the commit that holds its write.
 */
final class CommitGroups {

    /** One write waiting for its group's commit, and its outcome. */
    static final class Pending<T> {
        final String ns;
        final Store.Work<T> work;
        T value;
        Written<T> written;
        /** Answered with this failure (its savepoint was rolled back, the others committed). */
        RuntimeException failure;
        Error error;
        /** Not committed through no fault of its own (a retryable error, a failed group commit): run it alone. */
        boolean alone;
        private boolean done;
        /** This write's thread leads a group (read under the queue's lock, set by the thread that makes it lead). */
        private volatile boolean leads;

        Pending(String ns, Store.Work<T> work) {
            this.ns = ns;
            this.work = work;
        }

        void commit(java.util.List<io.datafn.store.ChangeRow> changes) {
            written = new Written<>(value, ns, changes);
        }

        synchronized void finish() {
            done = true;
            notifyAll();
        }

        private synchronized void lead() {
            leads = true;
            notifyAll();
        }

        /** Waits until a group finished this write. */
        private synchronized void awaitDone() {
            boolean interrupted = false;
            while (!done) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        /**
         * Waits until another leader finished this write (false) or this thread is to lead (true; also when the write
         * was taken by a group meanwhile: the lead was passed on to this thread and must be taken).
         */
        private synchronized boolean awaitTurn() {
            boolean interrupted = false;
            while (!done && !leads) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true; // a write cannot be abandoned once queued: its batch may commit it
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            return leads;
        }
    }

    private static final class Queue {
        final ArrayDeque<Pending<?>> waiting = new ArrayDeque<>();
        int leaders;
    }

    private final ConcurrentHashMap<String, Queue> queues = new ConcurrentHashMap<>();
    private final int maxBatch;
    private final int maxLeaders;

    /**
     * @param maxBatch   writes per group at most
     * @param maxLeaders groups of one key running at once: more than one lets a group run its statements while the one
     *                   before it waits for its commit (they meet only at the namespace's counter row, taken last)
     */
    CommitGroups(int maxBatch, int maxLeaders) {
        this.maxBatch = maxBatch;
        this.maxLeaders = maxLeaders;
    }

    /**
     * Queues {@code p} in group {@code key} and returns once it is finished: committed ({@link Pending#written}),
     * failed, or handed back to run alone ({@link Pending#alone}). {@code batch} runs a list of writes in one
     * transaction and sets each one's outcome.
     */
    void submit(String key, Pending<?> p, Consumer<List<Pending<?>>> batch) {
        Queue q = queues.computeIfAbsent(key, k -> new Queue());
        List<Pending<?>> items = null;
        synchronized (q) {
            q.waiting.add(p);
            if (q.leaders < maxLeaders) {
                q.leaders++;
                p.leads = true;
                items = drain(q); // at once, under the lock: nobody else can take this write first
            }
        }
        if (items == null) {
            if (!p.awaitTurn()) {
                return;
            }
            synchronized (q) {
                items = drain(q);
            }
        }
        try {
            if (!items.isEmpty()) {
                batch.accept(items);
            }
        } catch (RuntimeException | Error e) {
            for (Pending<?> i : items) {
                if (i.written == null && i.failure == null && i.error == null) {
                    i.alone = true;
                }
            }
        } finally {
            for (Pending<?> i : items) {
                i.finish();
            }
            synchronized (q) {
                Pending<?> next = q.waiting.peek();
                if (next != null && !next.leads) {
                    next.lead(); // the lead passes on; the number of leaders stays
                } else {
                    q.leaders--;
                    if (q.leaders == 0 && q.waiting.isEmpty()) {
                        // an idle group is forgotten; a writer that still holds it leads it alone, which is only less
                        // grouping, never wrong
                        queues.remove(key, q);
                    }
                }
            }
        }
        // a promoted write may have been taken by a group that started before it was woken: wait for that group
        p.awaitDone();
    }

    private List<Pending<?>> drain(Queue q) {
        List<Pending<?>> items = new ArrayList<>();
        while (!q.waiting.isEmpty() && items.size() < maxBatch) {
            items.add(q.waiting.poll());
        }
        return items;
    }
}
