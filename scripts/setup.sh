#!/bin/sh
# Prepares a Debian machine to run and test alumni-match: installs the MeCab
# IPADIC sources (Debian's mecab-ipadic) and builds the Japanese dictionary from
# them into data/ja-dict; for the tests (without --release) also Debian's
# chromium and chromium-driver, which the console's browser tests drive.
# Idempotent: with everything in place it only checks and exits.
#
#   scripts/setup.sh            build with the dev profile (what `cargo test` uses)
#   scripts/setup.sh --release  build with the release profile (what `cargo run --release` uses)
#
# Also installs buf (the protobuf linter .ci/run calls) from the npm registry
# into tools/buf, at the version tools/buf/package-lock.json pins, when npm is
# there. Installing the package needs root (run as root or with sudo); nothing else does.
# Environment: CARGO (default: cargo), IPADIC_SOURCE, JA_DICTIONARY.
set -eu

cd "$(dirname "$0")/.."

profile=""
case "${1:-}" in
    "") ;;
    --release) profile="--release" ;;
    *) echo "usage: $0 [--release]" >&2; exit 2 ;;
esac

source_dir="${IPADIC_SOURCE:-/usr/share/mecab/dic/ipadic}"
dictionary="${JA_DICTIONARY:-data/ja-dict}"
cargo="${CARGO:-cargo}"

if [ ! -f "$source_dir/matrix.def" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: $source_dir is missing; install mecab-ipadic as root (sudo $0)" >&2
        exit 1
    fi
    echo "setup: installing mecab-ipadic"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends mecab-ipadic
fi

# The browser the console's end-to-end tests drive (tests/console.rs), with its
# WebDriver and a Japanese font for the screenshots; only for the test set-up.
if [ -z "$profile" ] && { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ] || [ ! -d /usr/share/fonts/opentype/ipafont-gothic ]; }; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: chromium, chromium-driver and fonts-ipafont-gothic are missing; install them as root (sudo $0)" >&2
        exit 1
    fi
    echo "setup: installing chromium, chromium-driver and fonts-ipafont-gothic (for the console tests)"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium chromium-driver fonts-ipafont-gothic
fi

# The dictionary's binary layout belongs to the lindera-dictionary version that
# wrote it, so a Cargo.lock that moved to another version means a rebuild.
locked=$(sed -n '/^name = "lindera-dictionary"$/{n;s/^version = "\(.*\)"$/\1/p;}' Cargo.lock)
built=""
if [ -f "$dictionary/alumni-match.json" ]; then
    built=$(sed -n 's/^ *"lindera_dictionary": "\(.*\)".*$/\1/p' "$dictionary/alumni-match.json")
fi

if [ -n "$built" ] && [ "$built" = "$locked" ]; then
    echo "setup: Japanese dictionary $dictionary is up to date (lindera-dictionary $built)"
else
    echo "setup: building the Japanese dictionary into $dictionary"
    # shellcheck disable=SC2086 # $profile is empty or one flag
    "$cargo" run --locked --quiet $profile -- data build-ja-dictionary --source "$source_dir" --out "$dictionary"
fi

# buf for `buf lint` (.ci/run). Its npm package carries the binary for this
# platform; nothing is fetched at lint time.
if [ -x tools/buf/node_modules/.bin/buf ]; then
    echo "setup: buf $(tools/buf/node_modules/.bin/buf --version) is installed"
elif command -v npm >/dev/null 2>&1; then
    echo "setup: installing buf from the npm registry into tools/buf"
    npm ci --prefix tools/buf --no-audit --no-fund --loglevel=error
else
    echo "setup: npm not found; buf (for buf lint) is not installed" >&2
fi
