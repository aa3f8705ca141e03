#!/usr/bin/env bash
# Peak resident memory (whole process, /usr/bin/time -f %M) of every aicoco subcommand on
# generated real-shaped inputs (`generate --shape`, default noisy: ~1,500 annotations and ~80
# images per MB) of 200 MB and 2 GB, in the format's section order and reordered (meta,
# annotations, objects, categories, regressions, images), and on the 2 GB file cut at a random
# byte. Targets (issue 9): every run under 32 MiB; at 2 GB within 10% of the same at 200 MB;
# the cut file exits 1.
#
# Usage, from the repository's root:
#   bash Benchmarks/memory.sh [DIR]
# DIR keeps the generated files (reused when present; about 7 GB for the default sizes).
# Environment: SHAPES (default "noisy smooth"), SIZES (default "200M 2G"), AICOCO (a built binary;
# default: a release build), MEMORY_LIMIT (passed as --memory-limit when set).
set -uo pipefail
dir=${1:-$(mktemp -d)}
mkdir -p "$dir"
if [ -z "${AICOCO:-}" ]; then
    swift build -c release --product aicoco >/dev/null || exit 2
    AICOCO=$(swift build -c release --show-bin-path)/aicoco
fi
shapes=${SHAPES:-noisy smooth}
sizes=${SIZES:-200M 2G}
small=${sizes%% *}
big=${sizes##* }
reordered=meta,annotations,objects,categories,regressions,images
extra=()
[ -n "${MEMORY_LIMIT:-}" ] && extra=(--memory-limit "$MEMORY_LIMIT")
status=0
declare -A peaks

input() { # shape size order → path (generated once)
    local path="$dir/$1-$2-$3.json"
    if [ ! -s "$path" ]; then
        local args=(generate --shape "$1" --bytes "$2" --seed 1)
        [ "$3" = reordered ] && args+=(--order "$reordered")
        "$AICOCO" "${args[@]}" > "$path" || exit 2
    fi
    echo "$path"
}

measure() { # label file command... → prints a row, keeps the peak
    local label=$1 file=$2; shift 2
    local name="$*"
    if [ "$1" = assemble ]; then
        "$AICOCO" records "${extra[@]}" "$file" 2>/dev/null | /usr/bin/time -f "%M %e %x" -o "$dir/time.txt" "$AICOCO" assemble "${extra[@]}" >/dev/null 2>"$dir/err.txt"
        name="records | assemble"
    else
        /usr/bin/time -f "%M %e %x" -o "$dir/time.txt" "$AICOCO" "$@" "${extra[@]}" "$file" >/dev/null 2>"$dir/err.txt"
    fi
    local kb seconds code
    read -r kb seconds code < <(tail -n 1 "$dir/time.txt" | sed 's/Command exited with non-zero status [0-9]*//')
    code=$(grep -o 'status [0-9]*' "$dir/time.txt" | grep -o '[0-9]*' || echo 0)
    [ -z "$code" ] && code=0
    peaks["$label/$name"]=$kb
    printf '| %-28s | %-40s | %6.1f MiB | %7s s | exit %s |\n' "$label" "$name" "$(echo "$kb / 1024" | bc -l)" "$seconds" "$code"
    if (( kb >= 32 * 1024 )); then echo "  FAIL: $label $name: $(( kb / 1024 )) MiB >= 32 MiB"; status=1; fi
    echo "$code" > "$dir/code.txt"
}

commands=("stats" "validate" "records" "convert --to coco --image-size 512x512" "filter --category Lesion" "assemble")
echo "| input | command | peak RSS | time | exit |"
echo "|---|---|---:|---:|---|"
for shape in $shapes; do
    orders="normal"
    [ "$shape" = noisy ] && orders="normal reordered"
    for order in $orders; do
        for size in $small $big; do
            file=$(input "$shape" "$size" "$order")
            for command in "${commands[@]}"; do
                # shellcheck disable=SC2086
                measure "$shape $order $size" "$file" $command
                if [ "$size" = "$big" ] && [ "$big" != "$small" ]; then
                    name=$command; [ "$command" = assemble ] && name="records | assemble"
                    a=${peaks["$shape $order $small/$name"]}; b=${peaks["$shape $order $big/$name"]}
                    if (( b * 10 > a * 11 )); then echo "  FAIL: $name grows by more than 10% from $small to $big ($a KB -> $b KB)"; status=1; fi
                fi
            done
        done
    done
done
# The big noisy file cut at a random byte: exit 1, under 32 MiB.
whole=$(input noisy "$big" normal)
cut="$dir/noisy-$big-cut.json"
if [ ! -s "$cut" ]; then
    total=$(stat -c %s "$whole")
    at=$(( (RANDOM * 32768 + RANDOM) % (total / 2) + total / 4 ))
    head -c "$at" "$whole" > "$cut"
fi
for command in "${commands[@]}"; do
    # shellcheck disable=SC2086
    measure "noisy $big cut" "$cut" $command
    if [ "$(cat "$dir/code.txt")" != 1 ]; then echo "  FAIL: $command on the cut file did not exit 1"; status=1; fi
done
[ -z "${1:-}" ] && rm -rf "$dir"
exit $status
