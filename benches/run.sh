#!/usr/bin/env bash
# The end-to-end benchmark: one command, one table.
#
#   benches/run.sh [alumni] [opportunities]      default 100000 alumni, 10000 opportunities
#   benches/run.sh all [opportunities]           100000, then 1000000 alumni
#
# For each run it generates the data set (fixed seed), starts a release server on
# loopback in a fresh data directory (pinned to CPU 0 with taskset when there are
# two or more CPUs, the load driver on CPU 1; restarted on both cores for Match at
# concurrency 8 and the re-score, as the targets ask), and measures:
#   - import through ImportAlumni until durable and until searchable, server peak RSS;
#   - Match over gRPC (explain = true, limit 50) with every open opportunity as the
#     query: p50/p99/max at concurrency 1 and 8, QPS at 8; and the deepest page
#     (limit 1000) at concurrency 1;
#   - the retrieval stage alone (`bench retrieve`: in process, no gRPC, no re-ranking);
#   - a full re-score of every open opportunity (shortlist 100): wall time, peak RSS;
#   - start-up time of a server holding the data, and the index size on disk;
# then runs the Lucene, PostgreSQL and SQLite FTS5 baselines (benches/baselines) on
# the same data, queries and gates, and prints everything as one table, with the
# mean top-50 overlap of each baseline with alumni-match.
#
# Environment: BENCH_WORK (default /tmp/alumni-match-bench), BENCH_SEED (7),
# BENCH_PORT (50091), BENCH_BASELINES (default "lucene postgres sqlite"; empty to
# skip), PG_QUERIES (PostgreSQL queries; it is slow at scale), BENCH_QUERIES (Match
# calls per concurrency level, top-50 lists compared for overlap, and queries per
# baseline run; default: one per open opportunity).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ${1:-} == all ]]; then
    # Both published sizes, one table each (BENCHMARKS.md).
    benches/run.sh 100000 "${2:-10000}"
    echo
    benches/run.sh 1000000 "${2:-10000}"
    exit
fi
root=$(pwd)
alumni=${1:-100000}
opportunities=${2:-10000}
seed=${BENCH_SEED:-7}
port=${BENCH_PORT:-50091}
work=${BENCH_WORK:-/tmp/alumni-match-bench}
queries=${BENCH_QUERIES:-0}
baselines=${BENCH_BASELINES-lucene postgres sqlite}
bin=$root/target/release/alumni-match
tools=$root/target/release/alumni-match-tools
server_cpu=() client_cpu=()
if command -v taskset >/dev/null && [[ $(nproc) -ge 2 ]]; then
    server_cpu=(taskset -c 0) client_cpu=(taskset -c 1)
fi

scripts/setup.sh --release >&2
cargo build --release --locked --workspace >&2
mkdir -p "$work"
data=$work/data-$alumni-$opportunities-$seed
if [[ ! -s $data/alumni.jsonl ]]; then
    echo "bench: generating $alumni alumni and $opportunities opportunities (seed $seed)" >&2
    "$tools" gen --alumni "$alumni" --opportunities "$opportunities" --seed "$seed" --out "$data" >&2
fi
state=$work/server-$alumni
rm -rf "$state"
mkdir -p "$state"
results=$work/results-$alumni.jsonl
: > "$results"

server=
# start_server [cpus...]: the server on the given command prefix (default: pinned to
# CPU 0); `start_server both` runs it on every core.
start_server() {
    local prefix=("${server_cpu[@]}")
    [[ ${1:-} == both ]] && prefix=()
    "${prefix[@]}" "$bin" serve --no-sample --data-dir "$state" --listen "127.0.0.1:$port" --http-listen "127.0.0.1:$((port + 1))" --log warn \
        2>> "$work/server.log" &
    server=$!
}
stop_server() {
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
}
trap stop_server EXIT
peak_rss_mib() { awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$server/status"; }
wait_ready() {
    # Ready = a Match over gRPC succeeds (the server answers only once its tenants
    # are open and their indexes caught up).
    for _ in $(seq 1 12000); do
        if "$tools" bench match --server "http://127.0.0.1:$port" --data-dir "$state" --requests 1 --warmup 0 \
            >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.05
    done
    echo "bench: the server did not become ready" >&2
    exit 1
}
client() { "${client_cpu[@]}" "$bin" "$@" --server "http://127.0.0.1:$port" --data-dir "$state"; }
driver() { "${client_cpu[@]}" "$tools" "$@" --server "http://127.0.0.1:$port" --data-dir "$state"; }

# Import into an empty server.
start_server
# The first call that succeeds also loads the opportunities (an idempotent upsert).
for attempt in $(seq 1 600); do
    client import opportunities "$data/opportunities.jsonl" >&2 2>/dev/null && break
    [[ $attempt == 600 ]] && { echo "bench: the server did not start" >&2; exit 1; }
    sleep 0.1
done
import=$(driver bench import "$data/alumni.jsonl")
echo "$import" >> "$results"
echo "{\"what\":\"import_peak_rss_mib\",\"value\":$(peak_rss_mib)}" >> "$results"
# The store as import left it (alumni, change log; no shortlists yet).
echo "{\"what\":\"store_after_import\",\"store_bytes\":$(du -sb "$state/tenants/default/store.redb" | cut -f1),\"alumni\":$alumni}" >> "$results"

# Match at concurrency 1 and 8, the server on one core.
for c in 1 8; do
    driver bench match --concurrency "$c" --requests "$queries" >> "$results"
done
# The deepest page: limit 1,000 ranks both tiers and explains every candidate
# (the first 200 open opportunities; BENCH_DEEP_QUERIES).
driver bench match --concurrency 1 --limit 1000 --requests "${BENCH_DEEP_QUERIES:-200}" >> "$results"
stop_server

# Start-up of a server holding the data, now on both cores (its worker pools size
# themselves to the CPUs it may use, so it is restarted rather than re-pinned).
index_bytes=$(du -sb "$state/tenants/default/index" | cut -f1)
store_bytes=$(du -sb "$state/tenants/default/store.redb" | cut -f1)
t0=$(date +%s%N)
start_server both
wait_ready
t1=$(date +%s%N)
echo "{\"what\":\"startup\",\"seconds\":$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'),\"index_bytes\":$index_bytes,\"store_bytes\":$store_bytes}" >> "$results"

# Match at concurrency 8 with the server on both cores (the driver shares them).
"$tools" bench match --server "http://127.0.0.1:$port" --data-dir "$state" --concurrency 8 --requests "$queries" \
    | sed 's/"what":"match"/"what":"match_both_cores"/' >> "$results"

# Full re-score on both cores.
t0=$(date +%s.%N)
"$bin" rescore --all --shortlist-size 100 --server "http://127.0.0.1:$port" --data-dir "$state" >&2
t1=$(date +%s.%N)
echo "{\"what\":\"rescore\",\"seconds\":$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'),\"peak_rss_mib\":$(peak_rss_mib),\"store_bytes\":$(du -sb "$state/tenants/default/store.redb" | cut -f1)}" >> "$results"

# alumni-match's own top 50 per query, for overlap with the baselines.
driver bench topk --out "$work/alumni-match.topk.jsonl" --queries "$queries" >&2
stop_server

# The retrieval stage alone, in process on the server's CPU (no gRPC, no records,
# no re-ranking): what Lucene's query time compares with.
"${server_cpu[@]}" "$tools" bench retrieve --data-dir "$state" --requests "$queries" >> "$results"

if [[ -n $baselines ]]; then
    QUERIES=${QUERIES:-$queries} ENGINES=$baselines benches/baselines/run_all.sh "$data" "$work/baselines-$alumni" >&2
fi
python3 benches/report.py "$results" "$work/baselines-$alumni" "$work/alumni-match.topk.jsonl" "$alumni" "$opportunities"
