#!/usr/bin/env bash
# Builds the Jaeger v2 all-in-one used by polytrace's end-to-end tests and
# prints the binary's path on standard output (build output goes to stderr).
#
#   bash tools/jaeger/build.sh [OUTPUT]
#
# OUTPUT defaults to the path internal/jaegertest builds to and reuses:
# $XDG_CACHE_HOME (or ~/.cache)/polytrace/jaeger-v1.76.0/jaeger.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out="${1:-${XDG_CACHE_HOME:-$HOME/.cache}/polytrace/jaeger-v1.76.0/jaeger}"
mkdir -p "$(dirname "$out")"
start=$(date +%s)
(cd "$here" && go build -o "$out.tmp.$$" github.com/jaegertracing/jaeger/cmd/jaeger) >&2
mv -f "$out.tmp.$$" "$out"
echo "built $out in $(( $(date +%s) - start ))s" >&2
echo "$out"
