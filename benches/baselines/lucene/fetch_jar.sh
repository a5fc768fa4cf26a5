#!/usr/bin/env bash
# Prints the path of a Lucene 9.9.1 fat jar, fetching it once into a cache directory.
#
#   benches/baselines/lucene/fetch_jar.sh [CACHE_DIR]
#
# The jar is Anserini's fat jar (Lucene 9.9.1, built for Java 11) shipped inside PyPI's
# pyserini 0.25.0 wheel at pyserini/resources/jars/anserini-0.25.0-fatjar.jar. Only the
# wheel is downloaded (pip download --no-deps); pyserini itself is not installed.
# CACHE_DIR defaults to $BASELINES_CACHE, else ~/.cache/alumni-match-baselines.
set -euo pipefail

cache="${1:-${BASELINES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/alumni-match-baselines}}"
wheel_name="pyserini-0.25.0-py3-none-any.whl"
wheel_sha256="d807cfd8ea7c6e24b6f7ecd3f80d7dac64698b039abfc65ca10d194f6d49bd0b"
jar_in_wheel="pyserini/resources/jars/anserini-0.25.0-fatjar.jar"
jar="$cache/anserini-0.25.0-fatjar.jar"

mkdir -p "$cache"
if [[ ! -s "$jar" ]]; then
    if [[ ! -s "$cache/$wheel_name" ]]; then
        echo "fetching $wheel_name from PyPI into $cache" >&2
        python3 -m pip download --quiet pyserini==0.25.0 --no-deps --only-binary=:all: -d "$cache" >&2
    fi
    echo "$wheel_sha256  $cache/$wheel_name" | sha256sum --check --quiet - >&2
    python3 - "$cache/$wheel_name" "$jar_in_wheel" "$jar" <<'EOF'
import shutil, sys, zipfile
wheel, member, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(out + ".part", "wb") as dst:
    shutil.copyfileobj(src, dst)
shutil.move(out + ".part", out)
EOF
fi
echo "$jar"
