#!/usr/bin/env bash
# Runs the full-text baselines on one `alumni-match-tools gen` dataset.
#
#   benches/baselines/run_all.sh <data-dir> <work-dir>
#
# <data-dir> holds alumni.jsonl and opportunities.jsonl. Writes into <work-dir>:
#   docs.tsv, queries.tsv                        (export.py)
#   <engine>-c<C>.json                           one result object per engine and concurrency
#   <engine>-c<C>.topk.jsonl, <engine>-c<C>.log  top-k ids per query; the run's stderr
#   <engine>-c<C>.check.json                     check_topk.py (gates, empty lists)
#   overlap.jsonl                                overlap.py between engines (c=1 runs)
#   summary.tsv                                  one line per run
# summary.tsv and overlap.jsonl cover every <engine>-c<C>.json in <work-dir>, including
# earlier runs, so ENGINES=postgres can redo one engine and keep the others' results.
#
# Environment:
#   ENGINES      engines to run (default "lucene postgres sqlite")
#   CONCURRENCY  concurrency levels (default "1 8")
#   QUERIES      first N queries only (default 0 = all); PG_QUERIES (or POSTGRES_QUERIES),
#                LUCENE_QUERIES and SQLITE_QUERIES override it per engine (PostgreSQL is
#                by far the slowest)
#   WARMUP       untimed warm-up queries per run (default 50)
#   BASELINES_CACHE  where the Lucene jar is cached (see lucene/fetch_jar.sh)
#   JAVA_OPTS    JVM options for the Lucene run (default -Xms1g -Xmx4g)
set -uo pipefail

if [[ $# -ne 2 ]]; then
    sed -n '2,22p' "$0" >&2
    exit 2
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
data="$1"
work="$2"
engines="${ENGINES:-lucene postgres sqlite}"
levels="${CONCURRENCY:-1 8}"
warmup="${WARMUP:-50}"
mkdir -p "$work"
work="$(cd "$work" && pwd)"

# PostgreSQL's Python driver, from PyPI, when it is missing (a fresh machine).
if [[ " $engines " == *" postgres "* ]] && ! python3 -c "import psycopg" 2>/dev/null; then
    echo "== installing psycopg (PostgreSQL's Python driver) from PyPI" >&2
    python3 -m pip install --quiet 'psycopg[binary]' >&2 || { echo "cannot install psycopg" >&2; exit 1; }
fi

echo "== export $data -> $work" >&2
python3 "$here/export.py" --data "$data" --out "$work" || exit 1

queries_for() {
    case "$1" in
        lucene) echo "${LUCENE_QUERIES:-${QUERIES:-0}}" ;;
        postgres) echo "${PG_QUERIES:-${POSTGRES_QUERIES:-${QUERIES:-0}}}" ;;
        sqlite) echo "${SQLITE_QUERIES:-${QUERIES:-0}}" ;;
        *) echo "${QUERIES:-0}" ;;
    esac
}

failed=0
for engine in $engines; do
    n="$(queries_for "$engine")"
    for c in $levels; do
        name="$engine-c$c"
        common=(--docs "$work/docs.tsv" --queries-file "$work/queries.tsv" --topk-out "$work/$name.topk.jsonl"
                --queries "$n" --concurrency "$c" --warmup "$warmup")
        echo "== $name (queries: $([[ "$n" == 0 ]] && echo all || echo "first $n"))" >&2
        case "$engine" in
            lucene)
                "$here/lucene/lucene_bench.sh" --classes-dir "$work/lucene-classes" -- "${common[@]}" \
                    --index-dir "$work/lucene-index" >"$work/$name.json" 2>"$work/$name.log"
                ;;
            postgres)
                python3 "$here/postgres_bench.py" "${common[@]}" >"$work/$name.json" 2>"$work/$name.log"
                ;;
            sqlite)
                python3 "$here/sqlite_bench.py" "${common[@]}" --db "$work/sqlite.db" \
                    >"$work/$name.json" 2>"$work/$name.log"
                ;;
            *)
                echo "unknown engine $engine" >&2
                failed=1
                continue
                ;;
        esac
        status=$?
        if [[ $status -ne 0 ]]; then
            echo "$name failed ($status); see $work/$name.log" >&2
            tail -5 "$work/$name.log" >&2
            failed=1
            continue
        fi
        cat "$work/$name.json"
        python3 "$here/check_topk.py" "$work/docs.tsv" "$work/queries.tsv" "$work/$name.topk.jsonl" \
            >"$work/$name.check.json" || { echo "$name: check_topk failed" >&2; failed=1; }
        cat "$work/$name.check.json" >&2
    done
done

printf 'engine\tconcurrency\tdocs\timport_s\timport_docs_per_s\tindex_bytes\tqueries\tp50_ms\tp99_ms\tmax_ms\tqps\n' \
    >"$work/summary.tsv"
present=()
for engine in lucene postgres sqlite; do
    found=0
    for f in "$work/$engine"-c*.json; do
        [[ -s "$f" && "$f" != *.check.json ]] || continue
        found=1
        python3 - "$f" >>"$work/summary.tsv" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
l = r["latency_ms"]
print("\t".join(str(v) for v in (r["engine"].split()[0], r["concurrency"], r["docs"], r["import_seconds"],
      r["import_docs_per_sec"], r["index_bytes"], r["queries"], l["p50"], l["p99"], l["max"], r["qps"])))
EOF
    done
    [[ $found == 1 ]] && present+=("$engine")
done

: >"$work/overlap.jsonl"
first_level="${levels%% *}"
set -- "${present[@]}"
while [[ $# -gt 1 ]]; do
    a="$1"
    shift
    for b in "$@"; do
        fa="$work/$a-c$first_level.topk.jsonl"
        fb="$work/$b-c$first_level.topk.jsonl"
        if [[ -s "$fa" && -s "$fb" ]]; then
            python3 "$here/overlap.py" "$fa" "$fb" --queries "$work/queries.tsv" >>"$work/overlap.jsonl"
        fi
    done
done
echo "== summary ($work/summary.tsv)" >&2
column -t -s $'\t' "$work/summary.tsv" >&2 2>/dev/null || cat "$work/summary.tsv" >&2
cat "$work/overlap.jsonl" >&2
exit $failed
