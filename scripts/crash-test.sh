#!/usr/bin/env bash
# The crash test on its own, with its progress shown: an import loop against the
# real server process, killed with kill -9 at 20 pseudo-random moments; after every
# restart every acknowledged alumnus must be present and the index must agree with
# the store. (It also runs as part of `cargo test`, quietly.)
#
#   scripts/crash-test.sh            debug build, as in CI
#   scripts/crash-test.sh --release  optimised build
set -euo pipefail
cd "$(dirname "$0")/.."
profile=()
if [[ "${1:-}" == "--release" ]]; then
    profile=(--release)
fi
scripts/setup.sh "${profile[@]}"
exec cargo test "${profile[@]}" --locked --test crash -- --nocapture
