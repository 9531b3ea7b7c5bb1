package io.datafn.lucene;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.schema.Field;
import io.datafn.schema.Resource;
import io.datafn.schema.Schema;
import io.datafn.search.SearchProvider;
import io.datafn.search.SearchRequest;
import io.datafn.store.ChangeRow;
import io.datafn.store.Store;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.BoostQuery;
import org.apache.lucene.search.FuzzyQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.PrefixQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The default search provider: a Lucene index per namespace, held in memory, built from the tables the first time
 * the namespace is searched and then kept current by reading the change log from the last seq it indexed (before
 * every search, so commits of every server node are found). String and file fields are indexed as text
 * (StandardAnalyzer: Unicode word breaks, lower case); relevance is BM25.
 */
public final class LuceneSearchProvider implements SearchProvider {
    private static final Logger log = LoggerFactory.getLogger(LuceneSearchProvider.class);
    private static final String KEY = "_key";
    private static final String RESOURCE = "_resource";
    private static final String ID = "_id";
    private static final int CATCH_UP_PAGE = 5000;

    private final Analyzer analyzer = new StandardAnalyzer();
    private final Map<String, NamespaceIndex> indexes = new ConcurrentHashMap<>();
    private Schema schema;
    private Store store;

    @Override
    public void open(Schema schema, Store store) {
        this.schema = schema;
        this.store = store;
    }

    @Override
    public List<Hit> search(String namespace, SearchRequest req) {
        NamespaceIndex idx = indexes.computeIfAbsent(namespace, NamespaceIndex::new);
        return idx.search(req);
    }

    @Override
    public void close() {
        indexes.values().forEach(NamespaceIndex::close);
        indexes.clear();
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

    private final class NamespaceIndex {
        private final String ns;
        private IndexWriter writer;
        private SearcherManager searchers;
        private long cursor = -1;

        NamespaceIndex(String ns) {
            this.ns = ns;
        }

        synchronized List<Hit> search(SearchRequest req) {
            try {
                catchUp();
                searchers.maybeRefreshBlocking();
                IndexSearcher searcher = searchers.acquire();
                try {
                    TopDocs top;
                    try {
                        Query q = query(req);
                        if (q == null) {
                            return List.of();
                        }
                        top = searcher.search(q, req.limit());
                    } catch (IndexSearcher.TooManyClauses e) {
                        // many (fuzzy) terms over many fields expand past Lucene's clause limit
                        throw io.datafn.error.DatafnException.limit("Search query is too complex: use fewer terms, fields"
                                + " or fuzzy matching", "query");
                    }
                    List<Hit> hits = new ArrayList<>();
                    for (ScoreDoc sd : top.scoreDocs) {
                        Document d = searcher.storedFields().document(sd.doc);
                        hits.add(new Hit(d.get(RESOURCE), d.get(ID), sd.score));
                    }
                    return hits;
                } finally {
                    searchers.release(searcher);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Builds the index on first use, then applies the change log since the last indexed seq. */
        private void catchUp() throws IOException {
            if (writer == null) {
                writer = new IndexWriter(new ByteBuffersDirectory(), new IndexWriterConfig(analyzer));
                searchers = new SearcherManager(writer, null);
                long started = System.nanoTime();
                int[] docs = new int[1];
                cursor = store.read(ns, tx -> {
                    long seq = tx.changes().currentSeq(); // read first: the scan sees everything up to it (one snapshot)
                    for (Resource r : schema.resources()) {
                        if (!textFields(r).isEmpty()) {
                            tx.records().scan(r, null, null, 0, row -> {
                                index(r, row);
                                docs[0]++;
                            });
                        }
                    }
                    return seq;
                });
                writer.commit();
                log.info("search {}: indexed {} records up to seq {} in {} ms", ns, docs[0], cursor,
                        (System.nanoTime() - started) / 1_000_000);
                return;
            }
            while (true) {
                List<ChangeRow> changes = store.read(ns, tx -> tx.changes().after(cursor, CATCH_UP_PAGE));
                if (changes.isEmpty()) {
                    return;
                }
                Set<String> touched = new LinkedHashSet<>();
                for (ChangeRow c : changes) {
                    Resource r = schema.resource(c.resource());
                    if (r != null && !textFields(r).isEmpty()) {
                        touched.add(c.resource() + "\u0000" + c.recordId());
                    }
                }
                // re-read the current rows: merges carry only deltas, and a later change may have superseded them
                store.read(ns, tx -> {
                    for (String key : touched) {
                        int sep = key.indexOf('\u0000');
                        Resource r = schema.resource(key.substring(0, sep));
                        String id = key.substring(sep + 1);
                        JsonNode row = tx.records().read(r, id);
                        try {
                            if (row == null) {
                                writer.deleteDocuments(new Term(KEY, key));
                            } else {
                                index(r, row);
                            }
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }
                    return null;
                });
                cursor = changes.get(changes.size() - 1).seq();
            }
        }

        private void index(Resource r, JsonNode row) {
            Document d = new Document();
            String key = r.name() + "\u0000" + row.get("id").asText();
            d.add(new StringField(KEY, key, org.apache.lucene.document.Field.Store.NO));
            d.add(new StringField(RESOURCE, r.name(), org.apache.lucene.document.Field.Store.YES));
            d.add(new StringField(ID, row.get("id").asText(), org.apache.lucene.document.Field.Store.YES));
            for (String f : textFields(r)) {
                JsonNode v = row.get(f);
                if (v != null && v.isTextual()) {
                    d.add(new TextField(f, v.asText(), org.apache.lucene.document.Field.Store.NO));
                }
            }
            try {
                writer.updateDocument(new Term(KEY, key), d);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private Query query(SearchRequest req) throws IOException {
            List<String> terms = new ArrayList<>();
            try (TokenStream ts = analyzer.tokenStream("q", req.query())) {
                CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
                ts.reset();
                while (ts.incrementToken()) {
                    terms.add(term.toString());
                }
                ts.end();
            }
            if (terms.isEmpty()) {
                return null;
            }
            Set<String> fields = new LinkedHashSet<>();
            BooleanQuery.Builder resources = new BooleanQuery.Builder();
            for (String name : req.resources()) {
                Resource r = schema.resource(name);
                fields.addAll(req.fields() != null ? req.fields() : textFields(r));
                resources.add(new TermQuery(new Term(RESOURCE, name)), BooleanClause.Occur.SHOULD);
            }
            BooleanQuery.Builder text = new BooleanQuery.Builder();
            for (int i = 0; i < terms.size(); i++) {
                String t = terms.get(i);
                boolean last = i == terms.size() - 1;
                BooleanQuery.Builder perTerm = new BooleanQuery.Builder();
                for (String f : fields) {
                    BooleanQuery.Builder forms = new BooleanQuery.Builder();
                    forms.add(new TermQuery(new Term(f, t)), BooleanClause.Occur.SHOULD);
                    if (req.prefix() && last) {
                        forms.add(new PrefixQuery(new Term(f, t)), BooleanClause.Occur.SHOULD);
                    }
                    int edits = edits(req.fuzzy(), t);
                    if (edits > 0) {
                        forms.add(new FuzzyQuery(new Term(f, t), edits), BooleanClause.Occur.SHOULD);
                    }
                    Query q = forms.build();
                    double boost = req.fieldBoosts().getOrDefault(f, 1.0);
                    perTerm.add(boost == 1.0 ? q : new BoostQuery(q, (float) boost), BooleanClause.Occur.SHOULD);
                }
                text.add(perTerm.build(), BooleanClause.Occur.SHOULD);
            }
            return new BooleanQuery.Builder()
                    .add(text.build(), BooleanClause.Occur.MUST)
                    .add(resources.build(), BooleanClause.Occur.FILTER)
                    .build();
        }

        synchronized void close() {
            try {
                if (searchers != null) {
                    searchers.close();
                }
                if (writer != null) {
                    writer.close();
                }
            } catch (IOException e) {
                log.warn("search {}: closing the index failed: {}", ns, e.getMessage());
            }
        }
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
