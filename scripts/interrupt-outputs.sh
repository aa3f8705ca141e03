#!/usr/bin/env bash
# Every subcommand that writes a file beside its output, interrupted: nothing named *.aicoco-* may
# be left, and an existing output must be either as it was or complete.
#
#   scripts/interrupt-outputs.sh AICOCO INPUT [POINTS]
#
# INPUT: a generated segmentation (e.g. `aicoco generate --bytes 40M --shape noisy`). Each
# command runs POINTS times (default 10), ended after a delay spread over its run time (measured
# once) by SIGINT, SIGTERM and SIGHUP in turn. Prints one line per command and the total of
# files left; exits 1 if any was.
set -uo pipefail
aicoco=$1 input=$2 points=${3:-10}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$aicoco" records "$input" > "$work/lines.jsonl"
commands=(
    "convert --to nifti --image-size 512x512 -o OUT/v.nii $input"
    "convert --to nifti --image-size 512x512 -o OUT/v.nii.gz $input"
    "convert --to coco --image-size 512x512 -o OUT/c.json $input"
    "filter --index 0...99999 -o OUT/f.json $input"
    "render --index 1 --image-size 512x512 -o OUT/r.svg $input"
    "assemble -o OUT/a.json $work/lines.jsonl"
    "generate --bytes 40M -o OUT/g.json"
    "generate --records 2000000 --artifact OUT/rows.jsonl -o OUT/t.json"
)
signals=(INT TERM HUP)
total_left=0
for command in "${commands[@]}"; do
    mkdir -p "$work/out"
    run=${command//OUT/$work/out}
    start=$(date +%s%N)
    $aicoco $run > /dev/null 2>&1
    took=$(( ($(date +%s%N) - start) / 1000000 ))
    left=0 interrupted=0
    for ((i = 0; i < points; i++)); do
        delay_ms=$(( took * (i + 1) / (points + 1) ))
        env --default-signal=INT $aicoco $run > /dev/null 2>&1 &
        pid=$!
        sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
        kill -"${signals[i % 3]}" "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        (( $? > 128 )) && interrupted=$((interrupted + 1))
        n=$(find "$work/out" -name '*.aicoco-*' | wc -l)
        if (( n > 0 )); then
            echo "  left after SIG${signals[i % 3]} at ${delay_ms} ms: $(find "$work/out" -name '*.aicoco-*')" >&2
            find "$work/out" -name '*.aicoco-*' -delete
            left=$((left + n))
        fi
    done
    echo "$command: ${took} ms a run, $interrupted of $points interrupted, $left temporary files left"
    total_left=$((total_left + left))
    rm -rf "$work/out"
done
echo "temporary files left in all: $total_left"
(( total_left == 0 ))
