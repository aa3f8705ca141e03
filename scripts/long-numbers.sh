#!/usr/bin/env bash
# Numbers far over `maxNumberBytes` in coordinates (issue 14, item 2), at full scale: every reading
# subcommand must exit 1 with a placed limit error, in little memory, on short message lines.
#
#   scripts/long-numbers.sh [WORKDIR]
#
# Writes (in WORKDIR, default a temporary directory, removed at the end) documents with a
# 2,000-character decimal (Fixtures/hostile/) and a 16.7 MB integer (16,700,000 digits) in a
# polygon and in a bbox.
# Runs each reading subcommand on each with /usr/bin/time and checks: exit status 1, the message
# names maxNumberBytes, peak RSS under MAX_RSS_KB (default 32768 = 32 MiB), every line of the
# messages (standard error; standard output too, except for `records`, whose lines before the
# bad record are data) under 1 KB. Prints one line per run; exit status 1 on any failure.
# Too big for CI: the tests check the 2,000-character case (HostileFindingsTests).
set -euo pipefail
cd "$(dirname "$0")/.."

max_rss_kb=${MAX_RSS_KB:-32768}
# The reading subcommands of the tests (readingSubcommands in ReliabilityTests.swift).
subcommands=(
    "stats"
    "stats --json"
    "validate"
    "validate --format json"
    "records"
    "records --section annotations"
    "convert --to coco --image-size 512x512"
    "filter --index 0...3"
)

swift build -c release --product aicoco >&2
aicoco=$(swift build -c release --show-bin-path)/aicoco
work=${1:-$(mktemp -d)}
mkdir -p "$work"
trap 'rm -f "$work"/number-*.json "$work"/out "$work"/err "$work"/time' EXIT

# From the 2,000-character fixtures (valid but for the number): the same with 16.7 MB of digits.
python3 - "$work" <<'PY'
import re, sys
work = sys.argv[1]
for where in ["polygon", "bbox"]:
    text = open(f"Fixtures/hostile/number-2000-digits-in-{where}.json").read()
    long = re.search(r"[0-9.]{1000,}", text)
    assert long and len(long.group()) == 2000
    for size, digits in [("2000", long.group()), ("16.7M", "1" * 16_700_000)]:
        with open(f"{work}/number-{size}-{where}.json", "w") as f:
            f.write(text[:long.start()] + digits + text[long.end():])
PY

failures=0
printf '%-28s %-40s %6s %8s %10s %10s  %s\n' input subcommand status seconds "rss KiB" "max line" verdict
for input in number-2000-polygon.json number-2000-bbox.json number-16.7M-polygon.json number-16.7M-bbox.json; do
    for subcommand in "${subcommands[@]}"; do
        set +e
        # shellcheck disable=SC2086
        /usr/bin/time -f "%e %M" -o "$work/time" "$aicoco" $subcommand "$work/$input" > "$work/out" 2> "$work/err"
        status=$?
        set -e
        read -r seconds rss < <(tail -n 1 "$work/time")
        if [ "${subcommand%% *}" = records ]; then messages=("$work/err"); else messages=("$work/out" "$work/err"); fi
        longest=$(cat "${messages[@]}" | awk '{ if (length($0) > n) n = length($0) } END { print n + 0 }')
        verdict=ok
        [ "$status" -eq 1 ] || verdict="FAIL: exit $status"
        grep -q maxNumberBytes "$work/out" "$work/err" || verdict="FAIL: no maxNumberBytes error"
        grep -qE ':[0-9]+:[0-9]+: limit error: |"line":[0-9]+' "$work/out" "$work/err" || verdict="FAIL: no place"
        [ "$rss" -le "$max_rss_kb" ] || verdict="FAIL: over $max_rss_kb KiB"
        [ "$longest" -lt 1024 ] || verdict="FAIL: a line of $longest bytes"
        [ "$verdict" = ok ] || failures=$((failures + 1))
        printf '%-28s %-40s %6s %8s %10s %10s  %s\n' "$input" "$subcommand" "$status" "$seconds" "$rss" "$longest" "$verdict"
        printf '    %s\n' "$(grep -hm1 maxNumberBytes "$work/err" "$work/out" | head -c 200)"
    done
done
if [ "$failures" -gt 0 ]; then
    echo "$failures failure(s)" >&2
    exit 1
fi
echo "all runs: placed limit errors within bounds" >&2
