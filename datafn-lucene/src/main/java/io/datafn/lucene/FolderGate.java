package io.datafn.lucene;

import java.io.IOException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The right to hold one namespace's index folder, which Lucene's write lock gives to a single {@code IndexWriter}: an
 * index takes it before opening its writer and gives it back once the writer is closed, so an index reopened after an
 * eviction waits for the evicted one of its namespace to finish closing, however many instances came and went between
 * them. A semaphore (not a monitor) because the thread that closes an index is rarely the one that opened it.
 *
 * <p>The provider keeps one gate per namespace while any index of it is not yet closed ({@link #instances}, guarded by
 * the provider), so the gates are bounded by the indexes alive, not by the namespaces ever searched.
 */
final class FolderGate {
    private static final long WAIT_SECONDS = 60;
    private final Semaphore permit = new Semaphore(1);
    /** Indexes of the namespace created and not yet closed; guarded by the provider. */
    int instances;

    void enter(String ns) throws IOException {
        try {
            if (!permit.tryAcquire(WAIT_SECONDS, TimeUnit.SECONDS)) {
                throw new IOException("search " + ns + ": the evicted index did not close within " + WAIT_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the evicted index of " + ns, e);
        }
    }

    void leave() {
        permit.release();
    }
}
