#!/usr/bin/env python3
"""Prints the benchmark table of benches/run.sh as Markdown.

    report.py RESULTS.jsonl BASELINE_WORK_DIR OURS.topk.jsonl ALUMNI OPPORTUNITIES

RESULTS.jsonl holds the JSON lines of `alumni-match-tools bench ...` and run.sh's own
measurements; BASELINE_WORK_DIR the outputs of benches/baselines/run_all.sh (absent
or empty: no baselines).
"""

import json
import os
import subprocess
import sys

results_path, baseline_dir, ours_topk, alumni, opportunities = sys.argv[1:6]
here = os.path.dirname(os.path.abspath(__file__))

rows = [json.loads(line) for line in open(results_path, encoding="utf-8") if line.strip()]
by = {}
for row in rows:
    key = row["what"]
    if row["what"] == "match":
        key += f"-c{row['concurrency']}" + ("" if row.get("limit", 50) == 50 else f"-l{row['limit']}")
    by[key] = row


def fmt(value, digits=1):
    if value is None:
        return "–"
    if isinstance(value, (int, float)):
        return f"{value:,.{digits}f}"
    return str(value)


def ratio(ours, theirs, higher_is_better):
    if not ours or not theirs:
        return "–"
    r = ours / theirs if higher_is_better else theirs / ours
    return f"{r:.2f}×"


baselines = {}
if os.path.isdir(baseline_dir):
    for name in sorted(os.listdir(baseline_dir)):
        if name.endswith(".json") and "-c" in name and not name.endswith(".check.json"):
            data = json.load(open(os.path.join(baseline_dir, name), encoding="utf-8"))
            engine = data["engine"].split()[0].lower().split("-")[0]
            baselines[(engine, data["concurrency"])] = (name[: -len(".json")], data)

imp = by.get("import", {})
c1, c8 = by.get("match-c1", {}), by.get("match-c8", {})
print(f"### {int(alumni):,} alumni, {int(opportunities):,} opportunities\n")
print("| measure | alumni-match |")
print("| --- | --- |")
print(f"| import, durable (ImportAlumni acknowledged) | {fmt(imp.get('per_second'), 0)} alumni/s ({fmt(imp.get('seconds'))} s) |")
print(f"| import, searchable (index counts every alumnus) | {fmt(imp.get('searchable_per_second'), 0)} alumni/s ({fmt(imp.get('searchable_seconds'))} s) |")
print(f"| server peak RSS after import | {fmt(by.get('import_peak_rss_mib', {}).get('value'), 0)} MiB |")
for label, row in (("Match c=1", c1), ("Match c=8", c8)):
    print(
        f"| {label} (explain, limit 50; {fmt(row.get('calls'), 0)} calls) | p50 {fmt(row.get('p50_ms'), 2)} ms, "
        f"p99 {fmt(row.get('p99_ms'), 2)} ms, max {fmt(row.get('max_ms'), 2)} ms, {fmt(row.get('per_second'))} QPS, "
        f"{fmt(row.get('errors'), 0)} errors |"
    )
both = by.get("match_both_cores")
if both:
    print(
        f"| Match c=8, server on both cores (explain, limit 50; {fmt(both.get('calls'), 0)} calls) | p50 {fmt(both.get('p50_ms'), 2)} ms, "
        f"p99 {fmt(both.get('p99_ms'), 2)} ms, max {fmt(both.get('max_ms'), 2)} ms, {fmt(both.get('per_second'))} QPS, "
        f"{fmt(both.get('errors'), 0)} errors |"
    )
deep = by.get("match-c1-l1000")
if deep:
    print(
        f"| Match c=1, deepest page (explain, limit 1,000: both tiers; {fmt(deep.get('calls'), 0)} calls) | "
        f"p50 {fmt(deep.get('p50_ms'), 2)} ms, p99 {fmt(deep.get('p99_ms'), 2)} ms, max {fmt(deep.get('max_ms'), 2)} ms, "
        f"{fmt(deep.get('per_second'))} QPS, {fmt(deep.get('errors'), 0)} errors |"
    )
retrieve = by.get("retrieve", {})
print(
    f"| retrieval stage alone (in process: BM25 with gates, top 300; {fmt(retrieve.get('calls'), 0)} queries) | "
    f"p50 {fmt(retrieve.get('p50_ms'), 2)} ms, p99 {fmt(retrieve.get('p99_ms'), 2)} ms, max {fmt(retrieve.get('max_ms'), 2)} ms, "
    f"{fmt(retrieve.get('per_second'))} QPS |"
)
rescore = by.get("rescore", {})
print(f"| full re-score, shortlist 100, server on both cores | {fmt(rescore.get('seconds'))} s, peak RSS {fmt(rescore.get('peak_rss_mib'), 0)} MiB |")
startup = by.get("startup", {})
print(f"| start-up with the data | {fmt(startup.get('seconds'), 2)} s |")
after_import = by.get("store_after_import")
if after_import and after_import.get("alumni"):
    size = after_import["store_bytes"]
    print(f"| store after import (alumni and change log) | {fmt(size / 2**20)} MiB, {fmt(size / after_import['alumni'], 0)} bytes per alumnus |")
print(
    f"| on disk | index {fmt((startup.get('index_bytes') or 0) / 2**20)} MiB, store {fmt((startup.get('store_bytes') or 0) / 2**20)} MiB |"
)

if baselines:
    print("\n| engine | c | import docs/s | p50 ms | p99 ms | max ms | QPS | index MiB | top-50 overlap with alumni-match |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    # The baselines are not pinned, so their c=8 row compares with ours on both cores.
    for c, ours in ((1, c1), (8, both or c8)):
        print(
            f"| alumni-match (gRPC, explain) | {c} | {fmt(imp.get('searchable_per_second'), 0)} | {fmt(ours.get('p50_ms'), 2)} | "
            f"{fmt(ours.get('p99_ms'), 2)} | {fmt(ours.get('max_ms'), 2)} | {fmt(ours.get('per_second'))} | "
            f"{fmt((startup.get('index_bytes') or 0) / 2**20)} | – |"
        )
    print(
        f"| alumni-match retrieval alone (in process) | 1 | – | {fmt(retrieve.get('p50_ms'), 2)} | "
        f"{fmt(retrieve.get('p99_ms'), 2)} | {fmt(retrieve.get('max_ms'), 2)} | {fmt(retrieve.get('per_second'))} | – | – |"
    )
    for (engine, c), (name, data) in sorted(baselines.items()):
        topk = os.path.join(baseline_dir, name + ".topk.jsonl")
        overlap = "–"
        if os.path.exists(topk) and os.path.exists(ours_topk):
            out = subprocess.run(
                [sys.executable, os.path.join(here, "baselines", "overlap.py"), ours_topk, topk],
                capture_output=True,
                text=True,
            )
            if out.returncode == 0:
                overlap = fmt(json.loads(out.stdout).get("mean_overlap_at_k"), 3)
        lat = data["latency_ms"]
        print(
            f"| {data['engine'].split()[0]} ({data['queries']} queries) | {c} | {fmt(data['import_docs_per_sec'], 0)} | {fmt(lat['p50'], 2)} | "
            f"{fmt(lat['p99'], 2)} | {fmt(lat['max'], 2)} | {fmt(data['qps'])} | {fmt(data['index_bytes'] / 2**20)} | {overlap} |"
        )
    print("\nRatios (alumni-match relative to each baseline; > 1 means alumni-match is better):\n")
    print("| baseline | p50 c=1 | p99 c=1 | QPS c=8 | import | retrieval alone p50 |")
    print("| --- | --- | --- | --- | --- | --- |")
    for engine in ("lucene", "postgresql", "sqlite"):
        b1 = baselines.get((engine, 1), (None, None))[1]
        b8 = baselines.get((engine, 8), (None, None))[1]
        if not b1 and not b8:
            continue
        print(
            f"| {engine} | {ratio(c1.get('p50_ms'), b1 and b1['latency_ms']['p50'], False)} | "
            f"{ratio(c1.get('p99_ms'), b1 and b1['latency_ms']['p99'], False)} | "
            f"{ratio((both or c8).get('per_second'), b8 and b8['qps'], True)} | "
            f"{ratio(imp.get('searchable_per_second'), (b1 or b8)['import_docs_per_sec'], True)} | "
            f"{ratio(retrieve.get('p50_ms'), b1 and b1['latency_ms']['p50'], False)} |"
        )
