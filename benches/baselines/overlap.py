#!/usr/bin/env python3
"""Mean top-k overlap between two top-k files (JSONL lines {"query": id, "ids": [...]}).

    overlap.py A.topk.jsonl B.topk.jsonl [--k 50] [--queries queries.tsv]

For every query present in both files: |top-k(A) ∩ top-k(B)| / k. Prints one JSON object:
the mean over those queries, the mean of |A ∩ B| / min(|A|, |B|) (which does not penalise
lists shorter than k), the mean Jaccard, how many queries were compared or present in
only one file, and, with --queries (queries.tsv from export.py), the mean overlap per kind.
"""

import argparse
import json


def load(path, k):
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                out[row["query"]] = row["ids"][:k]
    return out


def mean(values):
    return round(sum(values) / len(values), 4) if values else None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--k", type=int, default=50)
    ap.add_argument("--queries", help="queries.tsv, for a per-kind breakdown")
    args = ap.parse_args()

    a, b = load(args.a, args.k), load(args.b, args.k)
    kinds = {}
    if args.queries:
        with open(args.queries, encoding="utf-8") as f:
            next(f)
            for line in f:
                cols = line.rstrip("\n").split("\t")
                if len(cols) >= 2:
                    kinds[cols[0]] = cols[1]
    common = sorted(set(a) & set(b))
    at_k, at_min, jaccard = [], [], []
    by_kind = {}
    for q in common:
        sa, sb = set(a[q]), set(b[q])
        shared = len(sa & sb)
        at_k.append(shared / args.k)
        at_min.append(shared / min(len(sa), len(sb)) if sa and sb else (1.0 if not sa and not sb else 0.0))
        union = len(sa | sb)
        jaccard.append(shared / union if union else 1.0)
        if q in kinds:
            by_kind.setdefault(kinds[q], []).append(shared / args.k)
    out = {
        "a": args.a,
        "b": args.b,
        "k": args.k,
        "queries_compared": len(common),
        "only_in_a": len(set(a) - set(b)),
        "only_in_b": len(set(b) - set(a)),
        "mean_overlap_at_k": mean(at_k),
        "mean_overlap_at_min_len": mean(at_min),
        "mean_jaccard": mean(jaccard),
    }
    if by_kind:
        out["mean_overlap_at_k_by_kind"] = {kind: mean(v) for kind, v in sorted(by_kind.items())}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
