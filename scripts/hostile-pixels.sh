#!/usr/bin/env bash
# Issue 20's hostile cases for the pixel commands at full scale: each command on each case at
# SCALE and 2 x SCALE must exit as expected (0, or 2 for a volume past the slice memory), in under
# MAX_RSS_KB (default 65536 = 64 MiB) of peak RSS, and its time must follow the input: the
# instruction count (valgrind --tool=callgrind, --threads 1: wall clock means nothing on a shared
# machine) at 2 x SCALE at most MAX_RATIO (default 2.2) times the count at SCALE.
#
#   scripts/hostile-pixels.sh [WORKDIR]
#
# Environment: AICOCO (a built binary; default: a release build), CASES (a subset of the names
# below), COMMANDS (|-separated beginnings of the commands to run, e.g. "measure|convert --to nifti"), TIMER=none to skip the instruction counts (exit status and memory only).
# The inputs come from scripts/make_pixel_hostile.py (about 150 MB in WORKDIR, removed at the end).
# Too big and slow for the test suite: HostilePixelTests has the same cases at a small scale
# (exit status, message, memory), without the time checks.
set -uo pipefail
cd "$(dirname "$0")/.."
max_rss_kb=${MAX_RSS_KB:-65536}
max_ratio=${MAX_RATIO:-2.2}
timer=${TIMER:-callgrind}
if [ -z "${AICOCO:-}" ]; then
    swift build -c release --product aicoco >&2 || exit 2
    AICOCO=$(swift build -c release --show-bin-path)/aicoco
fi
work=${1:-$(mktemp -d)}
mkdir -p "$work/tmp"
export TMPDIR="$work/tmp"
trap 'rm -rf "$work"/*.json "$work"/out.* "$work"/err "$work"/time "$work"/cg.* "$work/tmp"' EXIT

# apart starts at 2000 images: from 1000 to 2000 the tables pass the memory limit and spill (a
# step of 2.5x the instructions; from 2000 on, 2x the images is 1.5x to 2x).
# name, scale (the run at twice it too; 0 or N!: one run, no time check), commands (|-separated;
# OUT is replaced by an output path; "=2" after a command: it must exit 2).
cases=(
    "apart 2000 measure|convert --to nifti -o OUT.nii.gz|render --index 0 -o OUT.svg|convert --to coco"
    "tiny 100000 convert --to nifti -o OUT.nii|measure|render --index 0 -o OUT.svg|convert --to coco"
    "crowd 250000 render --index 0 -o OUT.svg|measure|convert --to nifti -o OUT.nii|convert --to coco"
    "far 500000000 measure|convert --to nifti -o OUT.nii|render --index 0 -o OUT.svg|convert --to coco"
    "many-big 1 measure|render --index 0 -o OUT.svg|convert --to coco|convert --to nifti -o OUT.nii=2"
    "huge 0 measure|render --index 0 -o OUT.svg|convert --to coco|convert --to nifti -o OUT.nii=2"
    "objects 50000 measure|convert --to nifti -o OUT.nii|render --index 0 -o OUT.svg|convert --to coco"
    "wide 20000! convert --to coco --segmentation rle --threads 2|convert --to coco --segmentation rle --threads 1"
)
failures=0
printf '%-10s %-10s %-44s %6s %9s %14s %s\n' case scale command status "rss KiB" instructions verdict
for entry in "${cases[@]}"; do
    read -r name scale commands <<< "$entry"
    if [ -n "${CASES:-}" ] && [[ " $CASES " != *" $name "* ]]; then continue; fi
    once=0
    if [[ "$scale" == *! ]]; then scale=${scale%!}; once=1; fi
    scales=("$scale")
    [ "$scale" -gt 0 ] && [ "$once" -eq 0 ] && scales+=("$((2 * scale))")
    for s in "${scales[@]}"; do
        python3 scripts/make_pixel_hostile.py "$name" "$s" > "$work/$name-$s.json" || exit 2
    done
    IFS='|' read -r -a list <<< "$commands"
    for command in "${list[@]}"; do
        if [ -n "${COMMANDS:-}" ]; then
            IFS='|' read -r -a wanted <<< "$COMMANDS"
            keep=0
            for w in "${wanted[@]}"; do [[ "$command" == "$w"* ]] && keep=1; done
            [ "$keep" -eq 1 ] || continue
        fi
        expected=0
        if [[ "$command" == *=2 ]]; then expected=2; command=${command%=2}; fi
        declare -a counts=()
        for s in "${scales[@]}"; do
            input="$work/$name-$s.json"
            run=${command//OUT/$work/out}
            # shellcheck disable=SC2086
            /usr/bin/time -f "%M" -o "$work/time" "$AICOCO" $run "$input" > /dev/null 2> "$work/err"
            status=$?
            rss=$(tail -n 1 "$work/time")
            verdict=ok
            [ "$status" -ne "$expected" ] && verdict="FAIL: exit $status (expected $expected): $(head -c 200 "$work/err")"
            [ "$rss" -gt "$max_rss_kb" ] && verdict="FAIL: over $max_rss_kb KiB"
            grep -q "Fatal error\|failed to allocate" "$work/err" && verdict="FAIL: abort"
            count=-
            if [ "$timer" = callgrind ] && [ "${#scales[@]}" -eq 2 ]; then
                one=--threads=1
                [[ "$run" == render* ]] && one=  # render reads on one thread
                # shellcheck disable=SC2086
                valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$AICOCO" $run $one "$input" > /dev/null 2> "$work/cg.err"
                count=$(grep -o 'Collected : [0-9]*' "$work/cg.err" | grep -o '[0-9]*$')
                counts+=("$count")
            fi
            ls "$work" "$work/tmp" | grep -q '\.aicoco-' && verdict="FAIL: a temporary file left"
            [ "$verdict" = ok ] || failures=$((failures + 1))
            printf '%-10s %-10s %-44s %6s %9s %14s %s\n' "$name" "$s" "${command:0:44}" "$status" "$rss" "$count" "$verdict"
            rm -f "$work"/out.*
        done
        if [ "${#counts[@]}" -eq 2 ] && [ -n "${counts[0]}" ] && [ -n "${counts[1]}" ]; then
            ratio=$(awk "BEGIN { printf \"%.2f\", ${counts[1]} / ${counts[0]} }")
            verdict=ok
            if awk "BEGIN { exit !($ratio > $max_ratio) }"; then verdict="FAIL: 2x the input, ${ratio}x the instructions"; failures=$((failures + 1)); fi
            printf '%-10s %-10s %-44s %40s %s\n' "$name" "x2" "${command:0:44}" "ratio $ratio" "$verdict"
        fi
    done
done
if [ "$failures" -gt 0 ]; then
    echo "$failures failure(s)" >&2
    exit 1
fi
echo "every pixel command within bounds, time linear" >&2
