#!/usr/bin/env bash
# Compiles LuceneBench.java (once per work directory) and runs it; arguments go to LuceneBench.
#
#   benches/baselines/lucene/lucene_bench.sh --classes-dir DIR -- --docs docs.tsv \
#       --queries-file queries.tsv --index-dir DIR --topk-out FILE [--concurrency C] [--queries N]
#
# Needs javac/java 11 or newer. JAVA_OPTS is passed to java (default: -Xms1g -Xmx4g).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
classes=""
if [[ "${1:-}" == "--classes-dir" ]]; then
    classes="$2"
    shift 2
fi
[[ "${1:-}" == "--" ]] && shift
classes="${classes:-$(mktemp -d)}"

jar="$("$here/fetch_jar.sh")"
mkdir -p "$classes"
if [[ ! -f "$classes/LuceneBench.class" || "$here/LuceneBench.java" -nt "$classes/LuceneBench.class" ]]; then
    javac --release 11 -cp "$jar" -d "$classes" "$here/LuceneBench.java"
fi
# shellcheck disable=SC2086
exec java ${JAVA_OPTS:--Xms1g -Xmx4g} -cp "$jar:$classes" LuceneBench "$@"
