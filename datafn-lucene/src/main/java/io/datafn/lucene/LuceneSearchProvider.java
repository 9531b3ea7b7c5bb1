package io.datafn.lucene;

import io.datafn.error.DatafnException;
import io.datafn.schema.Field;
import io.datafn.schema.Resource;
import io.datafn.schema.Schema;
import io.datafn.search.SearchProvider;
import io.datafn.search.SearchRequest;
import io.datafn.store.Store;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.BoostQuery;
import org.apache.lucene.search.FuzzyQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.PrefixQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.AlreadyClosedException;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.store.Lock;
import org.apache.lucene.store.LockObtainFailedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The default search provider: a Lucene index per namespace, kept in a folder of its own under {@code folder}
 * (memory-mapped), or in memory when no folder is given. An index is built from the tables the first time its
 * namespace is searched, then kept current from the change log: a search first applies the changes committed since
 * the index's checkpoint when a commit was announced past it (this node's commits by the store at once, other
 * nodes' through the cluster bus, {@link #committed}) or when the log was last read more than {@link #RECHECK} ago. The checkpoint is
 * committed with the index (every {@link #COMMIT_EVERY} and on close), so a restart catches up from it; a deleted or
 * damaged folder is rebuilt from the database.
 *
 * <p>At most {@code maxOpen} indexes are open at once; the least recently searched is committed and closed beyond
 * that. String and file fields are indexed as text (StandardAnalyzer: Unicode word breaks, lower case); relevance is
 * BM25, with each namespace's own term statistics.
 */
public final class LuceneSearchProvider implements SearchProvider {
    private static final Logger log = LoggerFactory.getLogger(LuceneSearchProvider.class);
    public static final int DEFAULT_MAX_OPEN = 1000;
    /** How often an open index reads the change log even without an announced commit (a lost bus message). */
    public static final Duration RECHECK = Duration.ofSeconds(5);
    /** How often what was indexed is committed to the folder. */
    public static final Duration COMMIT_EVERY = Duration.ofSeconds(5);

    private final Path folder;
    private final int maxOpen;
    private final Analyzer analyzer = new StandardAnalyzer();
    private final Map<String, NamespaceIndex> open = new HashMap<>();      // guarded by this
    /** A gate per namespace with an index not yet closed (open, or retired and closing after its last search). */
    private final Map<String, FolderGate> gates = new HashMap<>();         // guarded by this
    private long tick;                                                     // guarded by this
    private NamespaceIndex.Source source;
    private Schema schema;
    private ScheduledExecutorService committer;
    private Lock lock;

    /** Indexes in memory, rebuilt from the database after a restart (tests, small embedded use). */
    public LuceneSearchProvider() {
        this(null, DEFAULT_MAX_OPEN);
    }

    /**
     * @param folder  where the indexes live, one folder per namespace (created when missing); null keeps them in memory
     * @param maxOpen how many namespace indexes may be open at once (at least 1)
     */
    public LuceneSearchProvider(Path folder, int maxOpen) {
        if (maxOpen < 1) {
            throw new IllegalArgumentException("maxOpen must be at least 1, got " + maxOpen);
        }
        this.folder = folder;
        this.maxOpen = maxOpen;
    }

    @Override
    public void open(Schema schema, Store store) {
        this.schema = schema;
        Map<Resource, List<String>> fields = new LinkedHashMap<>();
        StringBuilder fingerprint = new StringBuilder();
        for (Resource r : schema.resources()) {
            List<String> f = textFields(r);
            if (!f.isEmpty()) {
                fields.put(r, f);
                fingerprint.append(r.name()).append(f).append(';');
            }
        }
        source = new NamespaceIndex.Source(schema, store, analyzer, Map.copyOf(fields), fingerprint.toString(),
                RECHECK.toNanos());
        store.onCommit(w -> committed(w.namespace(), w.maxSeq())); // this node's commits, before their writer is answered
        if (folder != null) {
            lock = lockFolder(folder);
            committer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "datafn-search-commit");
                t.setDaemon(true);
                return t;
            });
            committer.scheduleWithFixedDelay(this::commitAll, COMMIT_EVERY.toMillis(), COMMIT_EVERY.toMillis(),
                    TimeUnit.MILLISECONDS);
        }
    }

    /** One server per folder: a second one would find every namespace's index locked by the first. */
    private static Lock lockFolder(Path folder) {
        try {
            Directory root = FSDirectory.open(folder);
            try {
                return root.obtainLock("datafn-search.lock");
            } catch (LockObtainFailedException e) {
                root.close();
                throw new IllegalStateException("search folder " + folder.toAbsolutePath()
                        + " is used by another server: give each node a --search-dir of its own");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("search folder " + folder.toAbsolutePath() + " is not usable: " + e.getMessage(), e);
        }
    }

    @Override
    public List<Hit> search(String namespace, SearchRequest req) {
        try {
            return find(namespace, req);
        } catch (IndexSearcher.TooManyClauses e) {
            // many (fuzzy) terms over many fields expand past Lucene's clause limit
            throw DatafnException.limit("Search query is too complex: use fewer terms, fields or fuzzy matching", "query");
        }
    }

    private List<Hit> find(String namespace, SearchRequest req) {
        Query q = query(req);
        if (q == null) {
            return List.of();
        }
        for (int attempt = 1; ; attempt++) {
            NamespaceIndex idx = acquire(namespace);
            boolean failed = false;
            try {
                return idx.search(q, req.limit());
            } catch (IOException | AlreadyClosedException | UncheckedIOException e) {
                // e.g. the folder was deleted under the open index: open it again, which rebuilds it
                failed = true;
                if (attempt > 1) {
                    throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
                }
                log.warn("search {}: the index failed ({}), opening it again", namespace, e.toString());
            } finally {
                release(idx, failed);
            }
        }
    }

    @Override
    public void committed(String namespace, long seq) {
        NamespaceIndex idx;
        synchronized (this) {
            idx = open.get(namespace);
        }
        if (idx != null) {
            idx.announce(seq); // an index not open catches up when it opens
        }
    }

    /** The namespaces whose indexes are open now. */
    public synchronized Set<String> openNamespaces() {
        return Set.copyOf(open.keySet());
    }

    @Override
    public void close() {
        if (committer != null) {
            committer.shutdownNow();
        }
        List<NamespaceIndex> all;
        synchronized (this) {
            all = new ArrayList<>(open.values());
            open.clear();
        }
        all.forEach(idx -> closeIndex(idx, true));
        if (lock != null) {
            try {
                lock.close();
            } catch (IOException e) {
                log.warn("search: releasing the folder lock failed: {}", e.toString());
            }
        }
    }

    private NamespaceIndex acquire(String ns) {
        NamespaceIndex evicted = null;
        NamespaceIndex idx;
        synchronized (this) {
            idx = open.get(ns);
            if (idx == null) {
                FolderGate gate = gates.computeIfAbsent(ns, k -> new FolderGate());
                gate.instances++;
                idx = new NamespaceIndex(ns, source, () -> directory(ns), gate);
                if (open.size() >= maxOpen) {
                    evicted = retire(leastRecentlyUsed());
                }
                open.put(ns, idx);
            }
            idx.users++;
            idx.lastUsed = ++tick;
        }
        closeRetired(evicted, true);
        return idx;
    }

    private void release(NamespaceIndex idx, boolean failed) {
        NamespaceIndex done;
        synchronized (this) {
            idx.users--;
            if (failed && open.get(idx.ns) == idx) {
                retire(idx);
            }
            done = idx.retired && idx.users == 0 ? idx : null;
        }
        closeRetired(done, !failed);
    }

    /** Takes {@code idx} out of the open set; returns it when nobody uses it (the caller then closes it). */
    private NamespaceIndex retire(NamespaceIndex idx) {
        open.remove(idx.ns, idx);
        idx.retired = true;
        return idx.users == 0 ? idx : null;
    }

    private NamespaceIndex leastRecentlyUsed() {
        NamespaceIndex oldest = null;
        for (NamespaceIndex i : open.values()) {
            if (oldest == null || i.lastUsed < oldest.lastUsed) {
                oldest = i;
            }
        }
        return oldest;
    }

    private void closeRetired(NamespaceIndex idx, boolean keep) {
        if (idx != null) {
            closeIndex(idx, keep);
        }
    }

    private void closeIndex(NamespaceIndex idx, boolean keep) {
        idx.close(keep);
        synchronized (this) {
            if (--idx.gate.instances == 0) {
                gates.remove(idx.ns, idx.gate);
            }
        }
    }

    /**
     * Indexes created and not yet closed: the open ones and those retired but still searched or closing. At most
     * {@code maxOpen} plus, per thread searching, one evicted while its search ran and one it is closing.
     */
    synchronized int liveIndexes() {
        int n = 0;
        for (FolderGate g : gates.values()) {
            n += g.instances;
        }
        return n;
    }

    private void commitAll() {
        List<NamespaceIndex> all;
        synchronized (this) {
            all = new ArrayList<>(open.values());
            all.forEach(idx -> idx.users++); // not closed under the commit
        }
        for (NamespaceIndex idx : all) {
            try {
                idx.commit();
            } catch (IOException | RuntimeException e) {
                log.warn("search {}: committing the index failed, it catches up from its last commit: {}", idx.ns,
                        e.toString());
            } finally {
                release(idx, false);
            }
        }
    }

    private Directory directory(String ns) {
        if (folder == null) {
            return new ByteBuffersDirectory();
        }
        try {
            return FSDirectory.open(folder.resolve(folderName(ns)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The folder of a namespace: its name when that is short and made of {@code a-z 0-9 _ -} (readable, and the same
     * on a case-insensitive file system), otherwise {@code ns-} and the SHA-256 of the name.
     */
    static String folderName(String ns) {
        if (ns.matches("[a-z0-9_][a-z0-9_-]{0,63}")) {
            return ns;
        }
        try {
            return "ns-" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(ns.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The text fields of a resource: what is indexed and what a search without {@code fields} looks in. Private
     * (shareable) resources have none: one index serves every actor of the namespace, so it holds only what all of
     * them may see.
     */
    private static List<String> textFields(Resource r) {
        List<String> out = new ArrayList<>();
        if (r.isPrivate()) {
            return out;
        }
        for (Field f : r.fields()) {
            if (f.type().isText()) {
                out.add(f.name());
            }
        }
        return out;
    }

    /** The Lucene query of a request; null when its text has no words. */
    private Query query(SearchRequest req) {
        List<String> terms = new ArrayList<>();
        try (TokenStream ts = analyzer.tokenStream("q", req.query())) {
            CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
            ts.reset();
            while (ts.incrementToken()) {
                terms.add(term.toString());
            }
            ts.end();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (terms.isEmpty()) {
            return null;
        }
        Set<String> fields = new LinkedHashSet<>();
        BooleanQuery.Builder resources = new BooleanQuery.Builder();
        int indexed = 0;
        for (String name : req.resources()) {
            Resource r = schema.resource(name);
            fields.addAll(req.fields() != null ? req.fields() : textFields(r));
            resources.add(new TermQuery(new Term(NamespaceIndex.RESOURCE, name)), BooleanClause.Occur.SHOULD);
            indexed += source.textFields().containsKey(r) ? 1 : 0;
        }
        BooleanQuery.Builder text = new BooleanQuery.Builder();
        for (int i = 0; i < terms.size(); i++) {
            String t = terms.get(i);
            boolean last = i == terms.size() - 1;
            BooleanQuery.Builder perTerm = new BooleanQuery.Builder();
            for (String f : fields) {
                List<Query> forms = new ArrayList<>();
                forms.add(new TermQuery(new Term(f, t)));
                if (req.prefix() && last) {
                    forms.add(new PrefixQuery(new Term(f, t)));
                }
                int edits = edits(req.fuzzy(), t);
                if (edits > 0) {
                    forms.add(new FuzzyQuery(new Term(f, t), edits));
                }
                Query q = anyOf(forms);
                double boost = req.fieldBoosts().getOrDefault(f, 1.0);
                perTerm.add(boost == 1.0 ? q : new BoostQuery(q, (float) boost), BooleanClause.Occur.SHOULD);
            }
            text.add(perTerm.build(), BooleanClause.Occur.SHOULD);
        }
        BooleanQuery.Builder all = new BooleanQuery.Builder().add(text.build(), BooleanClause.Occur.MUST);
        if (indexed < source.textFields().size()) { // every indexed resource asked for: no filter needed
            all.add(resources.build(), BooleanClause.Occur.FILTER);
        }
        return all.build();
    }

    /** One query, or a disjunction of several. */
    private static Query anyOf(List<Query> queries) {
        if (queries.size() == 1) {
            return queries.get(0);
        }
        BooleanQuery.Builder b = new BooleanQuery.Builder();
        queries.forEach(q -> b.add(q, BooleanClause.Occur.SHOULD));
        return b.build();
    }

    /** Edit distance for fuzzy matching: a fraction of the term length below 1, a count from 1; at most 2. */
    static int edits(double fuzzy, String term) {
        if (fuzzy <= 0) {
            return 0;
        }
        int e = fuzzy < 1 ? (int) Math.round(fuzzy * term.length()) : (int) fuzzy;
        return Math.min(2, e);
    }
}
