// Lucene 9.9.1 full-text baseline for alumni-match (see ../README.md).
//
//   java -cp LUCENE_JAR:CLASSES LuceneBench --docs docs.tsv --queries-file queries.tsv
//        --index-dir DIR --topk-out topk.jsonl [--queries N] [--concurrency C]
//        [--k 50] [--max-terms 64] [--warmup 50]
//
// One text field analysed by a whitespace tokenizer + lower-case filter (no stemming, no
// stop words), BM25(k1=1.2, b=0.75). Gates are FILTER clauses on keyword fields; the query
// is the distinct analysed words of the opportunity text (the first --max-terms of them) as
// SHOULD term clauses, at least one of which must match. Prints one JSON object to stdout.

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.core.WhitespaceTokenizer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.SortedDocValuesField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.SortedDocValues;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.Version;

public final class LuceneBench {

    static final String TEXT = "text";
    static final String ID = "id";
    static final String CONTACT = "contact_allowed";
    static final String REHIRE = "rehire_eligible";
    static final String OPEN_TO = "open_to";

    /** Whitespace tokenizer + lower-case filter, nothing else. */
    static final class WhitespaceLowerAnalyzer extends Analyzer {
        @Override
        protected TokenStreamComponents createComponents(String fieldName) {
            Tokenizer source = new WhitespaceTokenizer();
            return new TokenStreamComponents(source, new LowerCaseFilter(source));
        }
    }

    static final class Doc {
        final String id;
        final boolean contact;
        final boolean rehire;
        final String[] openTo;
        final String text;

        Doc(String id, boolean contact, boolean rehire, String[] openTo, String text) {
            this.id = id;
            this.contact = contact;
            this.rehire = rehire;
            this.openTo = openTo;
            this.text = text;
        }
    }

    static final class Q {
        final String id;
        final String kind;
        final String text;

        Q(String id, String kind, String text) {
            this.id = id;
            this.kind = kind;
            this.text = text;
        }
    }

    static final class Result {
        final String id;
        final long nanos;
        final List<String> ids;

        Result(String id, long nanos, List<String> ids) {
            this.id = id;
            this.nanos = nanos;
            this.ids = ids;
        }
    }

    static String arg(String[] args, String name, String fallback) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        if (fallback == null) {
            throw new IllegalArgumentException("missing " + name);
        }
        return fallback;
    }

    static List<String[]> readTsv(String path, int columns) throws IOException {
        List<String[]> rows = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(Paths.get(path), StandardCharsets.UTF_8)) {
            String line = in.readLine(); // header
            while ((line = in.readLine()) != null) {
                if (line.isEmpty()) {
                    continue;
                }
                String[] cols = line.split("\t", -1);
                if (cols.length != columns) {
                    throw new IOException(path + ": expected " + columns + " columns, got " + cols.length);
                }
                rows.add(cols);
            }
        }
        return rows;
    }

    static List<String> distinctTerms(Analyzer analyzer, String text, int maxTerms) throws IOException {
        LinkedHashSet<String> terms = new LinkedHashSet<>();
        try (TokenStream ts = analyzer.tokenStream(TEXT, new StringReader(text))) {
            CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
            ts.reset();
            while (ts.incrementToken()) {
                terms.add(term.toString());
                if (maxTerms > 0 && terms.size() >= maxTerms) {
                    break;
                }
            }
            ts.end();
        }
        return new ArrayList<>(terms);
    }

    static Result runQuery(IndexSearcher searcher, Analyzer analyzer, Q q, int k, int maxTerms) throws IOException {
        long start = System.nanoTime();
        BooleanQuery.Builder b = new BooleanQuery.Builder();
        b.add(new TermQuery(new Term(CONTACT, "1")), BooleanClause.Occur.FILTER);
        b.add(new TermQuery(new Term(OPEN_TO, q.kind)), BooleanClause.Occur.FILTER);
        if (q.kind.equals("rehire")) {
            b.add(new TermQuery(new Term(REHIRE, "1")), BooleanClause.Occur.FILTER);
        }
        for (String t : distinctTerms(analyzer, q.text, maxTerms)) {
            b.add(new TermQuery(new Term(TEXT, t)), BooleanClause.Occur.SHOULD);
        }
        b.setMinimumNumberShouldMatch(1);
        TopDocs top = searcher.search(b.build(), k);
        List<LeafReaderContext> leaves = searcher.getIndexReader().leaves();
        List<String> ids = new ArrayList<>(top.scoreDocs.length);
        for (ScoreDoc sd : top.scoreDocs) {
            LeafReaderContext leaf = leaves.get(ReaderUtil.subIndex(sd.doc, leaves));
            SortedDocValues dv = leaf.reader().getSortedDocValues(ID);
            if (dv != null && dv.advanceExact(sd.doc - leaf.docBase)) {
                ids.add(dv.lookupOrd(dv.ordValue()).utf8ToString());
            }
        }
        long nanos = System.nanoTime() - start;
        return new Result(q.id, nanos, ids);
    }

    static long dirBytes(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).sum();
        }
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toArray(Path[]::new)) {
                Files.delete(p);
            }
        }
    }

    static double percentile(double[] sorted, double p) {
        // Nearest rank.
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    static String json(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }

    static String num(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }

    public static void main(String[] args) throws Exception {
        String docsPath = arg(args, "--docs", null);
        String queriesPath = arg(args, "--queries-file", null);
        Path indexDir = Paths.get(arg(args, "--index-dir", null));
        String topkOut = arg(args, "--topk-out", null);
        int maxQueries = Integer.parseInt(arg(args, "--queries", "0"));
        int concurrency = Integer.parseInt(arg(args, "--concurrency", "1"));
        int k = Integer.parseInt(arg(args, "--k", "50"));
        int maxTerms = Integer.parseInt(arg(args, "--max-terms", "64"));
        int warmup = Integer.parseInt(arg(args, "--warmup", "50"));
        IndexSearcher.setMaxClauseCount(1 << 16);

        // Inputs are read into memory before any timing.
        List<Doc> docs = new ArrayList<>();
        for (String[] c : readTsv(docsPath, 5)) {
            String[] openTo = c[3].isEmpty() ? new String[0] : c[3].split(",");
            docs.add(new Doc(c[0], c[1].equals("1"), c[2].equals("1"), openTo, c[4]));
        }
        List<Q> queries = new ArrayList<>();
        for (String[] c : readTsv(queriesPath, 3)) {
            queries.add(new Q(c[0], c[1], c[2]));
        }
        if (maxQueries > 0 && queries.size() > maxQueries) {
            queries = queries.subList(0, maxQueries);
        }

        Analyzer analyzer = new WhitespaceLowerAnalyzer();
        BM25Similarity similarity = new BM25Similarity(1.2f, 0.75f);
        deleteRecursively(indexDir);
        Files.createDirectories(indexDir);

        // Import: from an empty directory to committed (fsynced) and open for search.
        long importStart = System.nanoTime();
        DirectoryReader reader;
        try (Directory dir = FSDirectory.open(indexDir)) {
            IndexWriterConfig config = new IndexWriterConfig(analyzer)
                .setSimilarity(similarity)
                .setOpenMode(IndexWriterConfig.OpenMode.CREATE)
                .setRAMBufferSizeMB(256);
            try (IndexWriter writer = new IndexWriter(dir, config)) {
                for (Doc d : docs) {
                    Document doc = new Document();
                    doc.add(new StringField(ID, d.id, Field.Store.NO));
                    doc.add(new SortedDocValuesField(ID, new BytesRef(d.id)));
                    doc.add(new StringField(CONTACT, d.contact ? "1" : "0", Field.Store.NO));
                    doc.add(new StringField(REHIRE, d.rehire ? "1" : "0", Field.Store.NO));
                    for (String kind : d.openTo) {
                        doc.add(new StringField(OPEN_TO, kind, Field.Store.NO));
                    }
                    doc.add(new TextField(TEXT, d.text, Field.Store.NO));
                    writer.addDocument(doc);
                }
                writer.commit();
            }
            reader = DirectoryReader.open(dir);
            double importSeconds = (System.nanoTime() - importStart) / 1e9;
            long indexBytes = dirBytes(indexDir);

            IndexSearcher searcher = new IndexSearcher(reader);
            searcher.setSimilarity(similarity);

            // Untimed warm-up (JIT, page cache) on the first queries.
            for (int i = 0; i < Math.min(warmup, queries.size()); i++) {
                runQuery(searcher, analyzer, queries.get(i), k, maxTerms);
            }

            ExecutorService pool = Executors.newFixedThreadPool(concurrency);
            List<Future<Result>> futures = new ArrayList<>(queries.size());
            long wallStart = System.nanoTime();
            for (Q q : queries) {
                futures.add(pool.submit(() -> runQuery(searcher, analyzer, q, k, maxTerms)));
            }
            List<Result> results = new ArrayList<>(queries.size());
            for (Future<Result> f : futures) {
                results.add(f.get());
            }
            double wallSeconds = (System.nanoTime() - wallStart) / 1e9;
            pool.shutdown();

            double[] lat = results.stream().mapToDouble(r -> r.nanos / 1e6).sorted().toArray();
            int empty = 0;
            try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(Paths.get(topkOut), StandardCharsets.UTF_8))) {
                for (Result r : results) {
                    if (r.ids.isEmpty()) {
                        empty++;
                    }
                    StringBuilder line = new StringBuilder("{\"query\": ").append(json(r.id)).append(", \"ids\": [");
                    for (int i = 0; i < r.ids.size(); i++) {
                        if (i > 0) {
                            line.append(", ");
                        }
                        line.append(json(r.ids.get(i)));
                    }
                    out.println(line.append("]}"));
                }
            }
            reader.close();

            StringBuilder o = new StringBuilder("{");
            o.append("\"engine\": ").append(json("lucene-" + Version.LATEST + " (BM25 k1=1.2 b=0.75, whitespace+lowercase)"));
            o.append(", \"docs\": ").append(docs.size());
            o.append(", \"import_seconds\": ").append(num(importSeconds));
            o.append(", \"import_docs_per_sec\": ").append(num(docs.size() / importSeconds));
            o.append(", \"index_bytes\": ").append(indexBytes);
            o.append(", \"queries\": ").append(results.size());
            o.append(", \"concurrency\": ").append(concurrency);
            o.append(", \"latency_ms\": {\"p50\": ").append(num(percentile(lat, 50)))
                .append(", \"p99\": ").append(num(percentile(lat, 99)))
                .append(", \"max\": ").append(num(lat.length == 0 ? 0 : lat[lat.length - 1])).append("}");
            o.append(", \"qps\": ").append(num(results.size() / wallSeconds));
            o.append(", \"warmup_queries\": ").append(Math.min(warmup, queries.size()));
            o.append(", \"queries_with_no_hits\": ").append(empty);
            o.append(", \"k\": ").append(k);
            o.append(", \"max_terms\": ").append(maxTerms);
            o.append("}");
            System.out.println(o);
        }
    }
}
