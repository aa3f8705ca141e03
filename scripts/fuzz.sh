#!/usr/bin/env bash
# Fuzzes the parser, the validator and the record reader with libFuzzer and AddressSanitizer.
#
#   scripts/fuzz.sh SECONDS [JOBS] [extra libFuzzer flags...]
#
# Builds Fuzz/ (a package of its own: the main package never sees -sanitize=fuzzer) in release
# with -sanitize=fuzzer,address, seeds fuzz-corpus/ from Fixtures/ and JSONTestSuite the first
# time, runs for SECONDS and leaves any crash, leak, timeout or out-of-memory input in
# fuzz-artifacts/. A finding is turned into a fixture under Fixtures/fuzz/ (see README) once fixed.
# To replay one input: Fuzz/.build/release/AiCOCOFuzz fuzz-artifacts/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:?usage: scripts/fuzz.sh SECONDS [JOBS] [libFuzzer flags...]}
jobs=${2:-1}
shift $(( $# >= 2 ? 2 : 1 ))
# With -jobs, libFuzzer runs workers that log to fuzz-N.log: keep those in fuzz-artifacts/.
parallel=()
if [ "$jobs" -gt 1 ]; then parallel=(-jobs="$jobs" -workers="$jobs"); fi

swift build -c release --package-path Fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -g >&2
binary=Fuzz/.build/release/AiCOCOFuzz

mkdir -p fuzz-corpus fuzz-artifacts
if [ -z "$(ls -A fuzz-corpus)" ]; then
    find Fixtures -name '*.json' ! -name expected.json -exec cp {} fuzz-corpus/ \;
    if [ -d Fixtures/fuzz ]; then cp Fixtures/fuzz/* fuzz-corpus/ 2>/dev/null || true; fi
    suite=Fixtures/JSONTestSuite/test_parsing
    if [ -d "$suite" ]; then cp "$suite"/*.json fuzz-corpus/; fi
fi

# -rss_limit_mb: the harness holds an input a few times over; the library must stay far below.
# -timeout: a single input taking 10 s is a hang.
cd fuzz-artifacts
exec "../$binary" ../fuzz-corpus \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
    -artifact_prefix=./ -print_final_stats=1 -dict=../Fuzz/aicoco.dict \
    "${parallel[@]}" "$@"
