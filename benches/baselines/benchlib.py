"""Shared pieces of the Python baselines: arguments, inputs, the timed query loop, output."""

import argparse
import json
import math
import os
import threading
import time

KINDS = ("rehire", "referral", "mentoring", "partnership")


def arg_parser(description):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--docs", required=True, help="docs.tsv from export.py")
    ap.add_argument("--queries-file", required=True, help="queries.tsv from export.py")
    ap.add_argument("--topk-out", required=True, help="JSONL output: {query, ids}")
    ap.add_argument("--queries", type=int, default=0, help="use only the first N queries (0 = all)")
    ap.add_argument("--concurrency", type=int, default=1, help="parallel clients (closed loop)")
    ap.add_argument("--k", type=int, default=50, help="results per query")
    ap.add_argument("--max-terms", type=int, default=64,
                    help="distinct query words kept, first first (alumni-match keeps 64); 0 = all")
    ap.add_argument("--warmup", type=int, default=50, help="untimed warm-up queries before timing")
    return ap


def read_tsv(path, columns):
    with open(path, encoding="utf-8") as f:
        next(f)  # header
        rows = []
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            cols = line.split("\t")
            if len(cols) != columns:
                raise SystemExit(f"{path}: expected {columns} columns, got {len(cols)}")
            rows.append(cols)
        return rows


def read_docs(path):
    """[(id, contact_allowed bool, rehire_eligible bool, [open_to kinds], text)]"""
    return [(c[0], c[1] == "1", c[2] == "1", [k for k in c[3].split(",") if k], c[4])
            for c in read_tsv(path, 5)]


def read_queries(path, limit=0):
    """[(id, kind, text)]"""
    rows = [tuple(c) for c in read_tsv(path, 3)]
    return rows[:limit] if limit > 0 else rows


def distinct_words(text, max_terms):
    """Whitespace split + lower case (the Lucene baseline's analyzer), distinct, first first."""
    words = list(dict.fromkeys(text.lower().split()))
    return words[:max_terms] if max_terms > 0 else words


def percentile(sorted_values, p):
    """Nearest rank."""
    if not sorted_values:
        return 0.0
    rank = math.ceil(p / 100.0 * len(sorted_values))
    return sorted_values[max(0, min(len(sorted_values) - 1, rank - 1))]


def run_queries(queries, concurrency, make_client, warmup):
    """Runs every query once on `concurrency` threads, each with its own client.

    make_client() -> (search(query) -> [ids], close()). Returns (results in query order as
    (query id, latency seconds, ids), wall seconds). Latency is measured per query around
    search(), with time.perf_counter (monotonic).
    """
    clients = [make_client() for _ in range(max(1, concurrency))]
    search0 = clients[0][0]
    for q in queries[:warmup]:
        search0(q)
    results = [None] * len(queries)
    next_index = [0]
    lock = threading.Lock()
    errors = []

    def worker(search):
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= len(queries):
                return
            try:
                start = time.perf_counter()
                ids = search(queries[i])
                results[i] = (queries[i][0], time.perf_counter() - start, ids)
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)
                return

    threads = [threading.Thread(target=worker, args=(search,)) for search, _ in clients]
    wall_start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - wall_start
    for _, close in clients:
        close()
    if errors:
        raise errors[0]
    return results, wall


def write_topk(path, results):
    with open(path, "w", encoding="utf-8") as f:
        for qid, _, ids in results:
            f.write(json.dumps({"query": qid, "ids": ids}, ensure_ascii=False) + "\n")


def report(engine, docs, import_seconds, index_bytes, results, wall, concurrency, args, **extra):
    lat = sorted(r[1] * 1000.0 for r in results)
    out = {
        "engine": engine,
        "docs": docs,
        "import_seconds": round(import_seconds, 3),
        "import_docs_per_sec": round(docs / import_seconds, 3) if import_seconds > 0 else None,
        "index_bytes": index_bytes,
        "queries": len(results),
        "concurrency": concurrency,
        "latency_ms": {"p50": round(percentile(lat, 50), 3), "p99": round(percentile(lat, 99), 3),
                       "max": round(lat[-1], 3) if lat else 0.0},
        "qps": round(len(results) / wall, 3) if wall > 0 else None,
        "warmup_queries": min(args.warmup, len(results)),
        "queries_with_no_hits": sum(1 for r in results if not r[2]),
        "k": args.k,
        "max_terms": args.max_terms,
    }
    out.update(extra)
    print(json.dumps(out), flush=True)


def file_bytes(*paths):
    return sum(os.path.getsize(p) for p in paths if os.path.exists(p))
