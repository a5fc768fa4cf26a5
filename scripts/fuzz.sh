#!/usr/bin/env bash
# Builds the cargo-fuzz targets in fuzz/ and runs each of them for a fixed time,
# one after the other, then prints per target: executions, exec/s, the coverage
# of libFuzzer's last status line and whether it crashed. Exits non-zero when any
# target crashed, timed out or ran out of memory (the input is kept in
# fuzz/artifacts/<target>/; minimise it with `cargo +nightly fuzz tmin -O -a
# <target> <file>`).
#
#   scripts/fuzz.sh              60 seconds per target
#   scripts/fuzz.sh 300          5 minutes per target
#
# Known gap: the targets predate the workspace split (the engine's modules now
# live in the alumni-match-engine crate and some signatures changed) and do not
# build until their imports and calls are updated.
#
# Run scripts/setup.sh first: the targets load the Japanese dictionary from
# data/ja-dict (without it they fuzz the bigram-only path, with a warning).
#
# Every cargo invocation, and every run, holds an exclusive flock on
# $FUZZ_CARGO_LOCK so that it never overlaps another build on a shared machine;
# a run longer than $FUZZ_LOCK_SLICE seconds is cut into slices that release the
# lock in between and continue from the same corpus.
#
# Environment:
#   FUZZ_TARGETS      targets to run, space-separated (default: all five)
#   FUZZ_MAX_LEN      libFuzzer -max_len (default 16384)
#   FUZZ_TIMEOUT      libFuzzer -timeout: seconds for one input (default 30)
#   FUZZ_RSS_LIMIT_MB libFuzzer -rss_limit_mb (default 2048)
#   FUZZ_LOCK_SLICE   longest single lock hold for a run, in seconds (default 300)
#   FUZZ_CARGO_LOCK   lock file (default /tmp/alumni-cargo.lock)
#   FUZZ_SKIP_BUILD   set to 1 to run the binaries already built
#   TOOLCHAIN         rustup toolchain for cargo-fuzz (default nightly)
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)

seconds=${1:-60}
case "$seconds" in
    '' | *[!0-9]* | 0) echo "usage: $0 [seconds-per-target]" >&2; exit 2 ;;
esac

all_targets="alumnus_proto opportunity_proto match_query text_normalisation request_metadata"
targets=${FUZZ_TARGETS:-$all_targets}
max_len=${FUZZ_MAX_LEN:-16384}
timeout=${FUZZ_TIMEOUT:-30}
rss_limit=${FUZZ_RSS_LIMIT_MB:-2048}
slice=${FUZZ_LOCK_SLICE:-300}
lock=${FUZZ_CARGO_LOCK:-/tmp/alumni-cargo.lock}
toolchain=${TOOLCHAIN:-nightly}

locked() { flock "$lock" "$@"; }

if ! command -v flock >/dev/null; then
    echo "fuzz: flock (util-linux) is required" >&2
    exit 1
fi
if ! rustup run "$toolchain" rustc --version >/dev/null 2>&1; then
    echo "fuzz: the $toolchain toolchain is required (rustup toolchain install $toolchain)" >&2
    exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz"
    locked cargo install cargo-fuzz --locked
fi

if [ ! -f data/ja-dict/alumni-match.json ]; then
    echo "fuzz: WARNING: data/ja-dict is missing (run scripts/setup.sh); the Japanese analyzer will not be fuzzed" >&2
fi
# The dictionary's binary layout belongs to the lindera-dictionary version that
# wrote it (see scripts/setup.sh): the fuzz crate must use the same one.
lindera_version() { sed -n '/^name = "lindera-dictionary"$/{n;s/^version = "\(.*\)"$/\1/p;}' "$1"; }
if [ -f fuzz/Cargo.lock ] && [ "$(lindera_version Cargo.lock)" != "$(lindera_version fuzz/Cargo.lock)" ]; then
    echo "fuzz: WARNING: fuzz/Cargo.lock has lindera-dictionary $(lindera_version fuzz/Cargo.lock)," \
        "Cargo.lock has $(lindera_version Cargo.lock); run: (cd fuzz && cargo update -p lindera-dictionary --precise $(lindera_version Cargo.lock))" >&2
fi

# -O: optimised; -a: keep debug assertions and overflow checks, which -O alone
# turns off (finding arithmetic overflows is part of the job).
if [ "${FUZZ_SKIP_BUILD:-0}" != 1 ]; then
    echo "fuzz: building ($(git rev-parse --short HEAD 2>/dev/null || echo 'no git')," \
        "$(git status --porcelain -- src Cargo.toml 2>/dev/null | wc -l) changed paths under src/ and Cargo.toml)"
    locked cargo "+$toolchain" fuzz build -O -a
fi

triple=$(rustup run "$toolchain" rustc -vV | sed -n 's/^host: //p')
bin_dir="$root/fuzz/target/$triple/release"

export RUST_BACKTRACE=${RUST_BACKTRACE:-1}
summary=()
failed=0

# Runs one target for $seconds seconds in slices of at most $slice seconds.
run_target() {
    local target=$1
    local bin="$bin_dir/$target"
    local corpus="$root/fuzz/corpus/$target"
    local artifacts="$root/fuzz/artifacts/$target"
    local logs="$root/fuzz/artifacts/logs"
    if [ ! -x "$bin" ]; then
        echo "fuzz: $bin is missing; build first" >&2
        summary+=("$(printf '%-20s %s' "$target" 'NOT BUILT')")
        failed=1
        return
    fi
    mkdir -p "$corpus" "$artifacts" "$logs"
    if [ -d "$root/fuzz/seeds/$target" ]; then
        cp -n "$root/fuzz/seeds/$target"/* "$corpus"/ 2>/dev/null || true
    fi
    local dict_args=()
    case "$target" in
        alumnus_proto | opportunity_proto) dict_args=("-dict=$root/fuzz/dicts/records.dict") ;;
        match_query) dict_args=("-dict=$root/fuzz/dicts/match_query.dict") ;;
    esac

    local remaining=$seconds total_execs=0 total_time=0 last_status="" outcome="no crash" n=0 libfuzzer_rate="" wall=0 last_log=""
    while [ "$remaining" -gt 0 ]; do
        local this=$((remaining < slice ? remaining : slice))
        n=$((n + 1))
        local log="$logs/$target-$(date +%Y%m%dT%H%M%S)-$n.log"
        last_log=$log
        echo "fuzz: $target: ${this}s (log $log)"
        local started=$SECONDS status=0
        locked "$bin" "$corpus" \
            -max_total_time="$this" -max_len="$max_len" -timeout="$timeout" -rss_limit_mb="$rss_limit" \
            -artifact_prefix="$artifacts/" -print_final_stats=1 "${dict_args[@]}" >"$log" 2>&1 || status=$?
        # Fuzzing time as libFuzzer counts it (not the wait for the lock).
        local ran
        ran=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
        total_time=$((total_time + ${ran:-$((SECONDS - started))}))
        wall=$((wall + SECONDS - started))
        local execs
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
        libfuzzer_rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
        total_execs=$((total_execs + ${execs:-0}))
        local line
        line=$(grep -E '^#[0-9]+[[:space:]]+(INITED|NEW|REDUCE|pulse|DONE|RELOAD)' "$log" | tail -1 || true)
        [ -n "$line" ] && last_status=$line
        if [ "$status" -ne 0 ]; then
            if grep -q 'ALARM: working on the last Unit' "$log"; then
                outcome="TIMEOUT"
            elif grep -q 'out-of-memory' "$log"; then
                outcome="OUT OF MEMORY"
            else
                outcome="CRASH"
            fi
            local artifact
            artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
            outcome="$outcome (exit $status; input ${artifact:-not saved}; log $log)"
            grep -E "panicked at|^thread '|ERROR: (AddressSanitizer|libFuzzer)" "$log" | head -5 | sed 's/^/    /' || true
            failed=1
            break
        fi
        remaining=$((remaining - this))
    done

    # libFuzzer's own average for a run in one slice; executions over fuzzing
    # time when it took several.
    local rate="n/a"
    if [ "$n" -eq 1 ] && [ -n "$libfuzzer_rate" ]; then
        rate=$libfuzzer_rate
    elif [ "$total_time" -gt 0 ]; then
        rate=$((total_execs / total_time))
    fi
    local cov ft corp peak
    peak=$(sed -n 's/^stat::peak_rss_mb: *//p' "$last_log" 2>/dev/null | tail -1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last_status")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last_status")
    corp=$(sed -n 's/.* corp: \([^ ]*\).*/\1/p' <<<"$last_status")
    summary+=("$(printf '%-20s %6ss %12s %8s %8s %8s %10s  %s' "$target" "$total_time" "$total_execs" "$rate" \
        "${cov:-?}" "${ft:-?}" "${corp:-?}" "$outcome")")
    echo "fuzz: $target: last status: ${last_status:-none}"
    echo "fuzz: $target: ${total_time}s fuzzing, ${wall}s wall clock including waits for the lock, peak RSS ${peak:-?} MB"
}

for target in $targets; do
    case " $all_targets " in
        *" $target "*) run_target "$target" ;;
        *) echo "fuzz: unknown target $target (known: $all_targets)" >&2; exit 2 ;;
    esac
done

echo
printf '%-20s %7s %12s %8s %8s %8s %10s  %s\n' target time executions exec/s cov ft corpus result
for line in "${summary[@]}"; do
    echo "$line"
done
exit "$failed"
