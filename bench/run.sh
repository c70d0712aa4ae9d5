#!/usr/bin/env bash
# Runs the benchmarks ROUNDS times (default 10), each round running every
# sub-benchmark once, so that results of different middlewares are
# interleaved in time rather than measured minutes apart on a machine whose
# load changes. Output is go test's, ready for benchstat and cmd/ratios:
#
#   ./run.sh 10 > new.txt
#   benchstat new.txt
#   go run ./cmd/ratios new.txt
#
# BENCH (default '.') selects benchmarks, BENCHTIME (default 300ms) is each
# sub-benchmark's time per round; extra arguments go to the test binary.
set -euo pipefail
cd "$(dirname "$0")"
rounds=${1:-10}
shift || true
bin=$(mktemp -d)/bench.test
trap 'rm -rf "$(dirname "$bin")"' EXIT
go test -c -o "$bin" .
go version
for i in $(seq "$rounds"); do
  echo "# round $i of $rounds" >&2
  "$bin" -test.run='^$' -test.bench="${BENCH:-.}" -test.benchtime="${BENCHTIME:-300ms}" -test.count=1 "$@" |
    if [ "$i" = 1 ]; then cat; else grep -v -E '^(goos|goarch|pkg|cpu):'; fi
done
