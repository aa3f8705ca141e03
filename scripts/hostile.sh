#!/usr/bin/env bash
# Hostile input at full scale: every reading subcommand must exit 1, quickly, in little memory.
#
#   scripts/hostile.sh [WORKDIR]
#
# Generates at run time (about 2.2 GB in WORKDIR, default a temporary directory, removed at the end):
#   - 100 MB of random bytes (and the same behind a '{', so that the parse gets past byte 0);
#   - a 2 GB generated file cut at a random byte;
#   - 1,000,000-deep nesting: bare, as a section's value, and under an unknown key.
# Runs each reading subcommand on each with /usr/bin/time and checks: exit status 1, wall time
# under MAX_SECONDS (default 60 for the cut file, which must be read up to the cut, and 10 for
# the rest), peak RSS under MAX_RSS_KB (default 65536 = 64 MiB). Prints one line per run.
# Too big and slow for CI: the test suite has the same checks at a small scale (ReliabilityTests).
set -euo pipefail
cd "$(dirname "$0")/.."

max_rss_kb=${MAX_RSS_KB:-65536}
max_seconds_cut=${MAX_SECONDS_CUT:-60}
max_seconds=${MAX_SECONDS:-10}
# A reading subcommand per line, with its options. New subcommands: one more line.
subcommands=(
    "stats"
    "stats --json"
    "validate"
    "validate --format json"
    "records"
    "convert --to coco --image-size 512x512"
    "filter --index 0...3"
    "assemble"
)

swift build -c release --product aicoco >&2
aicoco=$(swift build -c release --show-bin-path)/aicoco

work=${1:-$(mktemp -d)}
mkdir -p "$work"
cleanup() { rm -f "$work"/random.bin "$work"/random-brace.bin "$work"/cut.json "$work"/deep-*.json "$work"/out "$work"/err "$work"/time; }
trap cleanup EXIT

echo "generating inputs in $work" >&2
head -c 100M /dev/urandom > "$work/random.bin"
{ printf '{'; head -c 100M /dev/urandom; } > "$work/random-brace.bin"
"$aicoco" generate --bytes 2G --seed 7 > "$work/cut.json"
size=$(stat -c %s "$work/cut.json")
cut=$(python3 -c "import random; print(random.randrange(1, $size))")
truncate -s "$cut" "$work/cut.json"
echo "2 GB generated file ($size bytes) cut at byte $cut" >&2
python3 - "$work" <<'EOF'
import sys
work = sys.argv[1]
depth = 1_000_000
for name, prefix, suffix in [("bare", "", ""), ("section", '{"images":', "}"), ("unknown", '{"x":', "}")]:
    with open(f"{work}/deep-{name}.json", "w") as f:
        f.write(prefix + "[" * depth + "]" * depth + suffix)
EOF

failures=0
printf '%-28s %-24s %6s %8s %10s  %s\n' input subcommand status seconds "rss KiB" verdict
for input in random.bin random-brace.bin cut.json deep-bare.json deep-section.json deep-unknown.json; do
    limit=$max_seconds
    [ "$input" = cut.json ] && limit=$max_seconds_cut
    for subcommand in "${subcommands[@]}"; do
        set +e
        # shellcheck disable=SC2086
        /usr/bin/time -f "%e %M" -o "$work/time" "$aicoco" $subcommand "$work/$input" > "$work/out" 2> "$work/err"
        status=$?
        set -e
        # GNU time puts "Command exited with non-zero status N" first: the numbers are last.
        read -r seconds rss < <(tail -n 1 "$work/time")
        verdict=ok
        if [ "$status" -ne 1 ]; then verdict="FAIL: exit $status"; fi
        if awk "BEGIN { exit !($seconds > $limit) }"; then verdict="FAIL: over $limit s"; fi
        if [ "$rss" -gt "$max_rss_kb" ]; then verdict="FAIL: over $max_rss_kb KiB"; fi
        # stats must write nothing on stdout; validate its problems, or "valid":false.
        case "$subcommand" in
            stats*) [ -s "$work/out" ] && verdict="FAIL: output on stdout" ;;
            "validate --format json") grep -q '"valid":false' "$work/out" || verdict="FAIL: no \"valid\":false" ;;
            validate) grep -qE ':[0-9]+:[0-9]+: [a-z]+ error: ' "$work/out" || verdict="FAIL: no placed error" ;;
        esac
        grep -qE ':[0-9]+:[0-9]+: [a-z]+ error: |"line":[0-9]+' "$work/out" "$work/err" || verdict="FAIL: no place"
        [ "$verdict" = ok ] || failures=$((failures + 1))
        printf '%-28s %-24s %6s %8s %10s  %s\n' "$input" "$subcommand" "$status" "$seconds" "$rss" "$verdict"
        printf '    %s\n' "$(head -c 300 "$work/err" | head -n 2 | tr '\n' ' ') $(head -c 200 "$work/out" | head -n 1)"
    done
done
if [ "$failures" -gt 0 ]; then
    echo "$failures failure(s)" >&2
    exit 1
fi
echo "all runs exited 1 within bounds" >&2
