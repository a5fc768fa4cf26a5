#!/usr/bin/env python3
"""Buckets a flat perf profile of the server into the stages of a Match.

    perf report -i perf.data --no-children --sort sym --stdio | benches/where_time_goes.py

Each sampled symbol goes to the first stage whose pattern it matches, so the table
says where the server's CPU time went (self time; the release build has no frame
pointers, so call stacks are not used). Used by benches/profile.sh.
"""

import re
import sys

# Order matters: the first matching pattern wins.
STAGES = [
    ("retrieval: BM25 scoring, postings, gate filter (tantivy)",
     r"AlumniIndex::retrieve|index::gated|tantivy::postings|tantivy::query|tantivy::fieldnorm|tantivy::termdict|tantivy::index|bitpacking|tantivy_fst|SkipReader|BlockSegmentPostings|Bm25"),
    ("retrieval: alumnus ids from the fast field (tantivy sstable)", r"tantivy_sstable|tantivy_columnar"),
    ("records: read from redb", r"redb::"),
    ("records: JSON decoding (serde_json)", r"serde_json|serde::|serde_core|from_utf8"),
    ("ranking: skill and text normalisation", r"taxonomy::|unicode_normalization|to_lower|index::tokenizer|tokenize"),
    ("ranking: features, explanations", r"alumni_match::ranking|alumni_match::engine"),
    ("memory allocation and copying (libc)", r"malloc|_int_free|cfree|realloc|unlink_chunk|memmove|memcpy|memcmp|memset|consolidate"),
    ("hashing", r"hash|Hasher|hashbrown"),
    ("gRPC: protobuf and HTTP/2 (prost, tonic, h2, hyper)", r"prost|tonic|h2::|hyper|bytes::"),
    ("kernel and runtime (syscalls, tokio, rayon)", r"\[k\]|tokio|rayon|crossbeam|futex|epoll"),
]

line_re = re.compile(r"^\s*([0-9.]+)%\s+(.*)$")
totals = {name: 0.0 for name, _ in STAGES}
other = 0.0
other_symbols = {}
for line in sys.stdin:
    match = line_re.match(line)
    if not match:
        continue
    share, symbol = float(match.group(1)), match.group(2)
    for name, pattern in STAGES:
        if re.search(pattern, symbol):
            totals[name] += share
            break
    else:
        other += share
        other_symbols[symbol.strip()] = other_symbols.get(symbol.strip(), 0.0) + share

print("| stage | share of server CPU |")
print("| --- | --- |")
for name, _ in STAGES:
    print(f"| {name} | {totals[name]:.1f}% |")
print(f"| other | {other:.1f}% |")
top_other = sorted(other_symbols.items(), key=lambda kv: -kv[1])[:5]
if top_other:
    print("\nLargest in 'other': " + "; ".join(f"{s} {v:.1f}%" for s, v in top_other))
