#!/usr/bin/env bash
# Peak Match throughput with h2load (Debian's nghttp2-client) and a pre-encoded
# gRPC request, against the data directory a finished benches/run.sh left.
#
#   benches/h2load.sh [alumni] [requests] [concurrency]     default 1000000 2000 8
#
# The server is pinned to CPU 0 and h2load to CPU 1. Every request is the same
# Match (the first open stored opportunity, explain on, limit 50): h2load cannot
# vary the body, so this measures the transport and server at a steady query, not
# the query mix of `alumni-match-tools bench match`. h2load judges success by HTTP
# status alone; gRPC puts errors in trailers with HTTP 200, so the script first
# checks the same call through the project's client (real grpc-status) and prints
# the response bytes per request, which an error response would shrink.
set -euo pipefail
cd "$(dirname "$0")/.."
alumni=${1:-1000000}
requests=${2:-2000}
concurrency=${3:-8}
port=${BENCH_PORT:-50091}
work=${BENCH_WORK:-/tmp/alumni-match-bench}
bin=$(pwd)/target/release/alumni-match
tools=$(pwd)/target/release/alumni-match-tools
state=$work/server-$alumni
[[ -d $state ]] || { echo "h2load: no $state; run benches/run.sh $alumni first" >&2; exit 1; }
command -v h2load >/dev/null || { echo "h2load: install nghttp2-client (apt-get install nghttp2-client)" >&2; exit 1; }
cargo build --release --locked --workspace >&2

data=$(ls -d "$work"/data-"$alumni"-*-* | head -1)
request=$work/match-request.bin
python3 - "$data/opportunities.jsonl" "$request" <<'PY'
import json, sys
source, out = sys.argv[1], sys.argv[2]
ids = sorted(o["id"] for o in map(json.loads, open(source, encoding="utf-8")) if o.get("status", "open") == "open")
oid = ids[0].encode()
def varint(n):
    b = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        b.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(b)
# MatchRequest { opportunity_id = 1; limit = 3; explain = 5 }
body = b"\x0a" + varint(len(oid)) + oid + b"\x18" + varint(50) + b"\x28\x01"
open(out, "wb").write(b"\x00" + len(body).to_bytes(4, "big") + body)
print(f"h2load: request body: Match {ids[0]}, limit 50, explain ({len(body)} bytes)", file=sys.stderr)
PY

taskset -c 0 "$bin" serve --no-sample --data-dir "$state" --listen "127.0.0.1:$port" --http-listen "127.0.0.1:$((port + 1))" --log warn 2>> "$work/server.log" &
server=$!
trap 'kill -TERM $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
    taskset -c 1 "$tools" bench match --server "http://127.0.0.1:$port" --data-dir "$state" --requests 1 --warmup 0 \
        >/dev/null 2>&1 && break
    sleep 0.1
done
key=$(cat "$state/admin.key")
url=http://127.0.0.1:$port/alumni.matching.v1.MatchService/Match
headers=(-H 'content-type: application/grpc' -H 'te: trailers' -H "authorization: Bearer $key")
# Warm-up, untimed.
taskset -c 1 h2load -n 100 -c "$concurrency" -d "$request" "${headers[@]}" "$url" >/dev/null
out=$(taskset -c 1 h2load -n "$requests" -c "$concurrency" -m 1 -d "$request" "${headers[@]}" "$url")
echo "$out" | grep -E "^finished in|^requests:|^status codes:|^traffic:|time for request:"
data_bytes=$(echo "$out" | sed -n 's/.*(\([0-9]*\)) data.*/\1/p' | head -1)
echo "h2load: $alumni alumni, concurrency $concurrency: response data $(( ${data_bytes:-0} / requests )) bytes per request"
