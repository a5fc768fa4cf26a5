#!/usr/bin/env python3
"""SQLite FTS5 baseline for alumni-match (see README.md).

    sqlite_bench.py --docs docs.tsv --queries-file queries.tsv --db FILE --topk-out topk.jsonl
                    [--queries N] [--concurrency C] [--k 50] [--max-terms 64] [--warmup 50]

An FTS5 table (default unicode61 tokenizer, default content storage) holds the text; the
gates live in a normal table with the same rowid. Import = all inserts in one transaction,
then the FTS5 'optimize' command and commit (synchronous=FULL, the default). Queries: OR of
the double-quoted distinct whitespace-separated words of the opportunity text, gates in
WHERE, ORDER BY bm25(fts) (FTS5's built-in k1=1.2, b=0.75), ties by id, LIMIT k. Each
client thread has its own read-only connection (Python's sqlite3 releases the GIL while
SQLite runs).
"""

import os
import sqlite3
import time

import benchlib


def fts_query(text, max_terms):
    return " OR ".join('"' + w.replace('"', '""') + '"' for w in benchlib.distinct_words(text, max_terms))


def main():
    ap = benchlib.arg_parser(__doc__)
    ap.add_argument("--db", required=True, help="database file (replaced)")
    args = ap.parse_args()

    docs = benchlib.read_docs(args.docs)
    queries = benchlib.read_queries(args.queries_file, args.queries)
    for path in (args.db, args.db + "-journal", args.db + "-wal", args.db + "-shm"):
        if os.path.exists(path):
            os.remove(path)

    start = time.perf_counter()
    db = sqlite3.connect(args.db, isolation_level=None)
    db.execute("PRAGMA synchronous=FULL")
    db.execute("BEGIN")
    db.execute("""CREATE TABLE alumni (
        rowid INTEGER PRIMARY KEY, id TEXT NOT NULL, contact_allowed INTEGER NOT NULL,
        rehire_eligible INTEGER NOT NULL, open_rehire INTEGER NOT NULL, open_referral INTEGER NOT NULL,
        open_mentoring INTEGER NOT NULL, open_partnership INTEGER NOT NULL)""")
    db.execute("CREATE VIRTUAL TABLE fts USING fts5(text)")
    db.executemany(
        "INSERT INTO alumni VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        ((i + 1, d[0], int(d[1]), int(d[2])) + tuple(int(k in d[3]) for k in benchlib.KINDS)
         for i, d in enumerate(docs)))
    db.executemany("INSERT INTO fts(rowid, text) VALUES (?, ?)", ((i + 1, d[4]) for i, d in enumerate(docs)))
    db.execute("INSERT INTO fts(fts) VALUES ('optimize')")
    db.execute("COMMIT")
    db.close()
    import_seconds = time.perf_counter() - start
    index_bytes = benchlib.file_bytes(args.db)

    def make_client():
        conn = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True, check_same_thread=False)

        def search(q):
            qid, kind, text = q
            match = fts_query(text, args.max_terms)
            if not match:
                return []
            rehire = " AND a.rehire_eligible = 1" if kind == "rehire" else ""
            sql = (f"SELECT a.id FROM fts JOIN alumni a ON a.rowid = fts.rowid "
                   f"WHERE fts MATCH ? AND a.contact_allowed = 1 AND a.open_{kind} = 1{rehire} "
                   f"ORDER BY bm25(fts), a.id LIMIT ?")
            return [row[0] for row in conn.execute(sql, (match, args.k))]

        return search, conn.close

    for q in queries:
        if q[1] not in benchlib.KINDS:
            raise SystemExit(f"unknown kind {q[1]!r}")
    results, wall = benchlib.run_queries(queries, args.concurrency, make_client, args.warmup)
    benchlib.write_topk(args.topk_out, results)
    benchlib.report(f"sqlite-{sqlite3.sqlite_version} fts5 (unicode61, bm25)", len(docs), import_seconds,
                    index_bytes, results, wall, args.concurrency, args)


if __name__ == "__main__":
    main()
