#!/usr/bin/env bash
# Where a Match's time goes: profiles the release server of a finished
# benches/run.sh under Match load and prints the server's CPU time by stage.
#
#   benches/profile.sh [alumni] [seconds]       default 1000000 alumni, 15 s
#
# Uses the data directory run.sh left ($BENCH_WORK/server-<alumni>), the server
# pinned to CPU 0 and the load driver (Match, concurrency 1, explain, limit 50) to
# CPU 1, like run.sh; after 15 s of load (so the page cache is warm), `perf
# record` samples the server at 999 Hz. Needs perf
# (Debian's linux-perf). Writes perf.data under $BENCH_WORK.
set -euo pipefail
cd "$(dirname "$0")/.."
alumni=${1:-1000000}
seconds=${2:-15}
port=${BENCH_PORT:-50091}
work=${BENCH_WORK:-/tmp/alumni-match-bench}
bin=$(pwd)/target/release/alumni-match
tools=$(pwd)/target/release/alumni-match-tools
state=$work/server-$alumni
[[ -d $state ]] || { echo "profile: no $state; run benches/run.sh $alumni first" >&2; exit 1; }
cargo build --release --locked --workspace >&2

taskset -c 0 "$bin" serve --no-sample --data-dir "$state" --listen "127.0.0.1:$port" --http-listen "127.0.0.1:$((port + 1))" --log warn 2>> "$work/server.log" &
server=$!
trap 'kill -TERM $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
client() { taskset -c 1 "$bin" "$@" --server "http://127.0.0.1:$port" --data-dir "$state"; }
driver() { taskset -c 1 "$tools" "$@" --server "http://127.0.0.1:$port" --data-dir "$state"; }
for _ in $(seq 1 600); do
    driver bench match --requests 1 --warmup 0 >/dev/null 2>&1 && break
    sleep 0.1
done
driver bench match --concurrency 1 --requests 100000 --warmup 50 >/dev/null 2>&1 &
load=$!
sleep 15
perf record -F 999 -g -p "$server" -o "$work/perf.data" -- sleep "$seconds" >&2 2>/dev/null
kill "$load" 2>/dev/null || true
echo "Server CPU by stage, Match at concurrency 1, $alumni alumni, $seconds s sampled:"
echo
perf report -i "$work/perf.data" --no-children --sort sym --stdio -g none 2>/dev/null | python3 benches/where_time_goes.py
