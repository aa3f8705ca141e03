#!/usr/bin/env bash
# Fuzzes the parser, the validator and the record reader with libFuzzer and AddressSanitizer.
#
#   scripts/fuzz.sh SECONDS [JOBS] [extra libFuzzer flags...]
#
# Builds Fuzz/ (a package of its own: the main package never sees -sanitize=fuzzer) in release
# with -sanitize=fuzzer,address, reads fuzz-corpus/ and fuzz-seeds/ (from Fixtures/, see below),
# runs for SECONDS and leaves any crash, leak, timeout or out-of-memory input in fuzz-artifacts/. A finding is turned into a fixture under Fixtures/fuzz/ (see README) once fixed.
# To replay one input: Fuzz/.build/release/AiCOCOFuzz fuzz-artifacts/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:?usage: scripts/fuzz.sh SECONDS [JOBS] [libFuzzer flags...]}
jobs=${2:-1}
shift $(( $# >= 2 ? 2 : 1 ))
# With -jobs, libFuzzer runs workers that log to fuzz-N.log: keep those in fuzz-artifacts/.
parallel=()
if [ "$jobs" -gt 1 ]; then parallel=(-jobs="$jobs" -workers="$jobs"); fi

build() { swift build -c release --package-path Fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -g >&2; }
# SwiftPM does not notice that a source file of the main package (reached through the symlink
# Fuzz/swift-aicoco) was removed or renamed ("missing inputs"): then build once more from scratch.
if ! build; then
    echo "fuzz.sh: the build failed; removing Fuzz/.build and building from scratch" >&2
    rm -rf Fuzz/.build
    build
fi
binary=Fuzz/.build/release/AiCOCOFuzz

# fuzz-corpus/ keeps what libFuzzer finds from run to run; fuzz-seeds/ is remade each run from
# Fixtures/ (never from outside the repository): the real FLaVor samples that fit -max_len (Fixtures/flavor),
# the fixtures, the fuzzer's and the hostile-input findings, and JSONTestSuite. The harness's
# structure-aware mutation (Fuzz/Sources/AiCOCOFuzz/Mutator.swift) grows these into deep and
# long cases.
mkdir -p fuzz-corpus fuzz-artifacts
rm -rf fuzz-seeds
mkdir -p fuzz-seeds
find Fixtures -type f \( -name '*.json' -o -name '*.jsonl' \) ! -name expected.json -size -65k \
    ! -path 'Fixtures/JSONTestSuite/*' -exec cp {} fuzz-seeds/ \;
suite=Fixtures/JSONTestSuite/test_parsing
if [ -d "$suite" ]; then cp "$suite"/*.json fuzz-seeds/; fi

# -rss_limit_mb: the harness holds an input a few times over; the library must stay far below.
# -timeout: a single input taking 10 s is a hang.
cd fuzz-artifacts
exec "../$binary" ../fuzz-corpus ../fuzz-seeds \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
    -artifact_prefix=./ -print_final_stats=1 -dict=../Fuzz/aicoco.dict \
    "${parallel[@]}" "$@"
