#!/usr/bin/env bash
# The soak test: a release server on loopback with the sample data in a fresh data
# directory, a steady mixed load against it (matches, upserts, imports, deletes,
# re-scores) for the given time, the server's memory sampled throughout, then a
# graceful stop. Exits non-zero if any call failed, the load fell behind its rate,
# or the server did not stop cleanly.
#
#   scripts/soak.sh [seconds] [ops-per-second]     default 600 s at 25 ops/s
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
rate=${2:-25}
port=${SOAK_PORT:-50079}
scripts/setup.sh --release
cargo build --release --locked --workspace
data=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$data"' EXIT
target/release/alumni-match serve --data-dir "$data" --listen "127.0.0.1:$port" --http-listen "127.0.0.1:$((port + 1))" --log warn \
    2> "$data.server.log" &
server=$!
for _ in $(seq 1 300); do
    [[ -s "$data/admin.key" ]] && grep -q "" "$data/access.log" 2>/dev/null && break
    target/release/alumni-match match --server "http://127.0.0.1:$port" --data-dir "$data" \
        --opportunity opp-00000 --limit 1 >/dev/null 2>&1 && break
    sleep 0.2
done
status=0
target/release/alumni-match-tools soak --server "http://127.0.0.1:$port" --data-dir "$data" \
    --duration-secs "$seconds" --rate "$rate" --server-pid "$server" || status=$?
kill -TERM "$server"
if ! wait "$server"; then
    echo "soak: the server did not stop cleanly; its log: $data.server.log" >&2
    status=1
fi
echo "access log: $(wc -l < "$data/access.log") records"
exit $status
