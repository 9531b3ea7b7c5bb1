package io.datafn.lucene;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.schema.Resource;
import io.datafn.schema.Schema;
import io.datafn.search.SearchProvider.Hit;
import io.datafn.store.ChangeRow;
import io.datafn.store.Store;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.AlreadyClosedException;
import org.apache.lucene.store.Directory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import static org.apache.lucene.document.Field.Store.NO;
import static org.apache.lucene.document.Field.Store.YES;

/**
 * The Lucene index of one namespace. Its checkpoint is the change-log seq it has indexed up to, stored in the user data
 * of every Lucene commit with what it was built from (the store, the text fields), so an index opened again (after a
 * restart or an LRU eviction) catches up from the change log instead of being rebuilt; one that does not match its
 * database, or whose missing changes were pruned from the log, is rebuilt from the tables.
 *
 * <p>A search catches up first only when the index is behind: when a commit was announced past its checkpoint
 * ({@link #announce}), or when the change log was last read more than {@code recheckNanos} ago (announcements are a
 * shortcut, the log is the truth). Searches that need no catch-up take no lock.
 *
 * <p>An index opened with nothing to catch up is searched from its last commit, without a writer; the writer opens when
 * something has to be indexed. Only one writer may hold the folder, which the index takes through its {@link FolderGate}.
 */
final class NamespaceIndex {
    private static final Logger log = LoggerFactory.getLogger(NamespaceIndex.class);
    static final String KEY = "_key";
    static final String RESOURCE = "_resource";
    static final String ID = "_id";
    private static final String SEQ = "datafn.seq";
    private static final String LAST = "datafn.last";
    private static final String FIELDS = "datafn.fields";
    private static final String STORE = "datafn.store";
    private static final int CATCH_UP_PAGE = 5000;

    /** What every index of the provider is built from. */
    record Source(Schema schema, Store store, Analyzer analyzer, Map<Resource, List<String>> textFields,
                  String fingerprint, long recheckNanos) {
    }

    final String ns;
    private final Source src;
    private final Supplier<Directory> directory;
    /** Held from opening the writer to closing it: another index of the namespace may still hold the folder. */
    final FolderGate gate;

    // set while the index holds the folder (guarded by this); the writer only once something had to be indexed
    private Directory dir;
    private IndexWriter writer;
    private volatile SearcherManager searchers; // on the last commit until the writer opens, then on the writer (NRT)
    private long logSeq;                        // the change log's seq when the checkpoint was checked
    private volatile boolean ready;
    private volatile long indexed;
    private volatile long announced;
    private volatile long checkedAt;
    private String last = "";
    private boolean dirty;
    private boolean holdsFolder;       // guarded by this
    private boolean closed;            // guarded by this

    // guarded by the provider
    int users;
    long lastUsed;
    boolean retired;

    NamespaceIndex(String ns, Source src, Supplier<Directory> directory, FolderGate gate) {
        this.ns = ns;
        this.src = src;
        this.directory = directory;
        this.gate = gate;
    }

    /** A commit of the namespace up to {@code seq}: the next search catches up to at least there. */
    void announce(long seq) {
        if (seq > announced) {
            synchronized (this) {
                announced = Math.max(announced, seq);
            }
        }
    }

    List<Hit> search(Query q, int limit) throws IOException {
        current();
        SearcherManager m;
        IndexSearcher searcher;
        while (true) {
            m = searchers;
            try {
                searcher = m.acquire();
                break;
            } catch (AlreadyClosedException e) {
                if (m == searchers) {
                    throw e;
                }
                // a catch-up opened the writer and replaced the commit's searchers meanwhile: take the new ones
            }
        }
        try {
            TopDocs top = searcher.search(q, limit);
            List<Hit> hits = new ArrayList<>();
            for (ScoreDoc sd : top.scoreDocs) {
                Document d = searcher.storedFields().document(sd.doc);
                hits.add(new Hit(d.get(RESOURCE), d.get(ID), sd.score));
            }
            return hits;
        } finally {
            m.release(searcher);
        }
    }

    /** Opens the index on first use and applies what the change log holds past the checkpoint, when it is behind. */
    private void current() throws IOException {
        if (ready && indexed >= announced && System.nanoTime() - checkedAt < src.recheckNanos()) {
            return;
        }
        synchronized (this) {
            long now = System.nanoTime();
            long target = announced; // announced after its commit: the log read below holds it
            if (!ready) {
                open();
            } else if (indexed < target || now - checkedAt >= src.recheckNanos()) {
                if (catchUp()) {
                    searchers.maybeRefreshBlocking();
                }
            }
            indexed = Math.max(indexed, target);
            checkedAt = now;
        }
    }

    /**
     * Takes the folder (waiting for an evicted index of the namespace to let go of it), opens the writer and catches up.
     * Whatever fails on the way lets go of the folder again, so the next search on this index opens it afresh instead
     * of meeting the write lock of a writer nobody closes.
     */
    private void open() throws IOException {
        if (closed) {
            throw new AlreadyClosedException("search " + ns + ": this index was closed");
        }
        gate.enter(ns);
        holdsFolder = true;
        try {
            openIndex();
        } catch (IOException | RuntimeException | Error e) {
            shut();
            throw e;
        }
    }

    /**
     * An index whose checkpoint is current is searched from its last commit, without an {@code IndexWriter} (most
     * reopenings after an eviction: opening and rolling back a writer is most of their cost); the writer opens when
     * there is something to index ({@link #writer()}).
     */
    private void openIndex() throws IOException {
        dir = directory.get();
        String why = "new index";
        if (DirectoryReader.indexExists(dir)) {
            DirectoryReader reader = DirectoryReader.open(dir);
            searchers = new SearcherManager(reader, null);
            why = resumable(reader.getIndexCommit().getUserData(), reader.numDocs());
        }
        if (why == null) {
            long started = System.nanoTime();
            long from = indexed;
            if (logSeq > indexed && catchUp()) {
                searchers.maybeRefreshBlocking();
            }
            log.debug("search {}: opened at seq {}, caught up to {} in {} ms", ns, from, indexed,
                    (System.nanoTime() - started) / 1_000_000);
        } else {
            writer();
            rebuild(why);
            searchers.maybeRefreshBlocking();
        }
        ready = true;
    }

    /** The writer, opened on first need; the searchers then follow it (near-real-time) instead of the last commit. */
    private IndexWriter writer() throws IOException {
        if (writer == null) {
            writer = new IndexWriter(dir, new IndexWriterConfig(src.analyzer())
                    .setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND));
            SearcherManager onCommit = searchers;
            searchers = new SearcherManager(writer, null);
            if (onCommit != null) {
                onCommit.close(); // searches holding one of its searchers finish on it
            }
        }
        return writer;
    }

    /** Null when the stored checkpoint belongs to this database and the change log still holds everything after it. */
    private String resumable(Map<String, String> meta, int numDocs) {
        if (!meta.containsKey(SEQ)) {
            return meta.isEmpty() && numDocs == 0 ? "new index" : "no checkpoint";
        }
        if (!src.fingerprint().equals(meta.get(FIELDS))) {
            return "the schema's text fields changed";
        }
        if (!src.store().describe().equals(meta.get(STORE))) {
            return "built from another database (" + meta.get(STORE) + ")";
        }
        long seq = Long.parseLong(meta.get(SEQ));
        String lastKey = meta.getOrDefault(LAST, "");
        return src.store().read(ns, tx -> {
            long current = tx.changes().currentSeq();
            if (current < seq) {
                return "the database is behind the index (seq " + current + " < " + seq + ")";
            }
            List<ChangeRow> next = tx.changes().after(Math.max(0, seq - 1), 2);
            if (!next.isEmpty() && next.get(0).seq() == seq && !key(next.get(0)).equals(lastKey)) {
                return "the change at seq " + seq + " is not the one indexed";
            }
            long following = next.stream().mapToLong(ChangeRow::seq).filter(c -> c > seq).findFirst().orElse(-1);
            if (current > seq && following != seq + 1) {
                return "changes after seq " + seq + " were pruned from the log before they were indexed";
            }
            indexed = seq;
            last = lastKey;
            logSeq = current;
            return null;
        });
    }

    /** Indexes every record of the tables, up to the namespace's current seq (one snapshot). */
    private void rebuild(String why) throws IOException {
        long started = System.nanoTime();
        writer().deleteAll();
        int[] docs = new int[1];
        indexed = src.store().read(ns, tx -> {
            long seq = tx.changes().currentSeq(); // read first: the scan sees everything up to it (one snapshot)
            src.textFields().forEach((r, fields) -> tx.records().scan(r, null, null, 0, row -> {
                index(r, row);
                docs[0]++;
            }));
            List<ChangeRow> at = seq == 0 ? List.of() : tx.changes().after(seq - 1, 1);
            last = at.isEmpty() ? "" : key(at.get(0));
            return seq;
        });
        dirty = true; // committed with the others (or on close): a crash before it only rebuilds again
        log.info("search {}: indexed {} records up to seq {} in {} ms ({})", ns, docs[0], indexed,
                (System.nanoTime() - started) / 1_000_000, why);
    }

    /**
     * Applies the change log after the checkpoint, a page at a time; true when it indexed anything. A gap after the
     * checkpoint means changes were pruned before they were indexed: the index is rebuilt.
     */
    private boolean catchUp() throws IOException {
        boolean any = false;
        while (true) {
            long cursor = indexed;
            List<ChangeRow> changes = src.store().read(ns, tx -> tx.changes().after(cursor, CATCH_UP_PAGE));
            if (changes.isEmpty()) {
                return any;
            }
            IndexWriter w = writer();
            if (changes.get(0).seq() > cursor + 1 && cursor > 0) {
                rebuild("changes " + (cursor + 1) + ".." + (changes.get(0).seq() - 1) + " were pruned from the log");
                return true;
            }
            Set<String> touched = new LinkedHashSet<>();
            for (ChangeRow c : changes) {
                Resource r = src.schema().resource(c.resource());
                if (r != null && src.textFields().containsKey(r)) {
                    touched.add(key(c));
                }
            }
            // re-read the current rows: merges carry only deltas, and a later change may have superseded them
            src.store().read(ns, tx -> {
                for (String key : touched) {
                    int sep = key.indexOf('\u0000');
                    Resource r = src.schema().resource(key.substring(0, sep));
                    JsonNode row = tx.records().read(r, key.substring(sep + 1));
                    if (row == null) {
                        try {
                            w.deleteDocuments(new Term(KEY, key));
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    } else {
                        index(r, row);
                    }
                }
                return null;
            });
            ChangeRow end = changes.get(changes.size() - 1);
            indexed = end.seq();
            last = key(end);
            dirty = true;
            any = true;
            if (changes.size() < CATCH_UP_PAGE) {
                return true; // the last page: no need to ask again
            }
        }
    }

    private static String key(ChangeRow c) {
        return c.resource() + "\u0000" + c.recordId();
    }

    private void index(Resource r, JsonNode row) {
        String id = row.get("id").asText();
        String key = r.name() + "\u0000" + id;
        Document d = new Document();
        d.add(new StringField(KEY, key, NO));
        d.add(new StringField(RESOURCE, r.name(), YES));
        d.add(new StringField(ID, id, YES));
        for (String f : src.textFields().get(r)) {
            JsonNode v = row.get(f);
            if (v != null && v.isTextual()) {
                d.add(new TextField(f, v.asText(), NO));
            }
        }
        try {
            writer.updateDocument(new Term(KEY, key), d);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Makes what was indexed durable, with its checkpoint; nothing when nothing changed since the last commit. The
     * commit (its fsync) runs outside the index's lock, so a search catching up meanwhile does not wait for the disk:
     * the checkpoint is read first, and everything indexed up to it was added before, so the commit holds it.
     */
    void commit() throws IOException {
        IndexWriter w;
        synchronized (this) {
            if (!ready || !dirty || writer == null) {
                return;
            }
            w = writer;
            w.setLiveCommitData(Map.of(SEQ, Long.toString(indexed), LAST, last, FIELDS, src.fingerprint(),
                    STORE, src.store().describe()).entrySet());
            dirty = false;
        }
        try {
            w.commit();
        } catch (IOException | RuntimeException e) {
            synchronized (this) {
                dirty = true;
            }
            throw e;
        }
    }

    /** Commits (when {@code keep}) and closes for good; after a failure, just closes what is open. */
    synchronized void close(boolean keep) {
        try {
            if (keep) {
                commit();
            }
        } catch (IOException | RuntimeException e) {
            log.warn("search {}: committing the index failed, it catches up from its last commit: {}", ns, e.toString());
        }
        closed = true;
        shut();
    }

    /**
     * Closes the searchers and the writer (rolled back: what is committed stays, anything after it is replayed from
     * the change log), then lets go of the folder. Drops both, so a closed index kept by a retired reference is small.
     */
    private void shut() {
        ready = false;
        try {
            if (searchers != null) {
                searchers.close();
            }
            if (writer != null) {
                writer.rollback();
            }
        } catch (IOException | RuntimeException e) {
            log.warn("search {}: closing the index failed: {}", ns, e.toString());
        } finally {
            searchers = null;
            writer = null;
            dir = null;
            if (holdsFolder) {
                holdsFolder = false;
                gate.leave();
            }
        }
    }
}
