#!/usr/bin/env python3
"""Sanity check of a top-k file against docs.tsv and queries.tsv.

    check_topk.py docs.tsv queries.tsv topk.jsonl [--k 50]

Checks that every result passes the gates of its query's kind (contact allowed, opted in
to the kind, rehire-eligible for REHIRE), that ids are known and not repeated, and that
no list is longer than k. Counts empty and short lists. Prints one JSON object; exits 1
on any gate violation, unknown or duplicate id, or unknown query.
"""

import argparse
import json
import sys

import benchlib


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("docs")
    ap.add_argument("queries")
    ap.add_argument("topk")
    ap.add_argument("--k", type=int, default=50)
    args = ap.parse_args()

    gates = {d[0]: (d[1], d[2], set(d[3])) for d in benchlib.read_docs(args.docs)}
    kinds = {q[0]: q[1] for q in benchlib.read_queries(args.queries)}
    stats = {"file": args.topk, "queries": 0, "results": 0, "empty": 0, "shorter_than_k": 0,
             "gate_violations": 0, "unknown_ids": 0, "duplicate_ids": 0, "unknown_queries": 0,
             "too_long": 0}
    with open(args.topk, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            row = json.loads(line)
            stats["queries"] += 1
            kind = kinds.get(row["query"])
            if kind is None:
                stats["unknown_queries"] += 1
                continue
            ids = row["ids"]
            stats["results"] += len(ids)
            stats["empty"] += not ids
            stats["shorter_than_k"] += len(ids) < args.k
            stats["too_long"] += len(ids) > args.k
            stats["duplicate_ids"] += len(ids) - len(set(ids))
            for i in ids:
                g = gates.get(i)
                if g is None:
                    stats["unknown_ids"] += 1
                elif not (g[0] and kind in g[2] and (kind != "rehire" or g[1])):
                    stats["gate_violations"] += 1
    print(json.dumps(stats))
    bad = stats["gate_violations"] + stats["unknown_ids"] + stats["duplicate_ids"] + stats["unknown_queries"]
    bad += stats["too_long"]
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
