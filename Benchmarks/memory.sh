#!/usr/bin/env bash
# Peak resident memory (whole process, /usr/bin/time -f %M) and peak temporary-disk use of every
# aicoco subcommand on generated real-shaped inputs (`generate --shape`: noisy, ~1,500 annotations
# and ~80 images per MB; smooth, fewer and longer contours) of 200 MB and 2 GB, in the format's
# section order and reordered (meta, annotations, objects, categories, regressions, images), and
# on the 2 GB file cut at a random byte. Targets (issue 9): every run under 32 MiB; at 2 GB within
# 10% of the same at 200 MB; the cut file exits 1.
#
# Temporary disk: the largest total size, sampled every 0.1 s, of the unnamed temporary files the
# measured process holds open in TMPDIR (set to DIR/tmp here), and that per million annotations.
#
# Usage, from the repository's root:
#   bash Benchmarks/memory.sh [DIR]
# DIR keeps the generated files (reused when present; about 9 GB for the default sizes and shapes).
# Environment: SHAPES (default "noisy smooth"), SIZES (default "200M 2G"), ORDERS (default
# "normal reordered"), COMMANDS (a |-separated subset, e.g. "filter --category Lesion|stats"),
# AICOCO (a built binary; default: a release build), MEMORY_LIMIT (passed as --memory-limit when set).
set -uo pipefail
dir=${1:-$(mktemp -d)}
mkdir -p "$dir/tmp"
export TMPDIR="$dir/tmp"
if [ -z "${AICOCO:-}" ]; then
    swift build -c release --product aicoco >/dev/null || exit 2
    AICOCO=$(swift build -c release --show-bin-path)/aicoco
fi
shapes=${SHAPES:-noisy smooth}
sizes=${SIZES:-200M 2G}
orders=${ORDERS:-normal reordered}
small=${sizes%% *}
big=${sizes##* }
reordered=meta,annotations,objects,categories,regressions,images
extra=()
[ -n "${MEMORY_LIMIT:-}" ] && extra=(--memory-limit "$MEMORY_LIMIT")
status=0
declare -A peaks disks annotations

input() { # shape size order → path (generated once)
    local path="$dir/$1-$2-$3.json"
    if [ ! -s "$path" ]; then
        local args=(generate --shape "$1" --bytes "$2" --seed 1)
        [ "$3" = reordered ] && args+=(--order "$reordered")
        "$AICOCO" "${args[@]}" > "$path.part" || exit 2
        mv "$path.part" "$path"
    fi
    echo "$path"
}

count_annotations() { # file → annotations (from stats; 0 when the file is invalid)
    local path=$1
    if [ -z "${annotations[$path]:-}" ]; then
        annotations[$path]=$("$AICOCO" stats --json "$path" 2>/dev/null | grep -o '"annotations":[0-9]*' | grep -o '[0-9]*$' || echo 0)
        [ -z "${annotations[$path]}" ] && annotations[$path]=0
    fi
}

disk_peak() { # pid → peak bytes of deleted files under TMPDIR it holds open, until it ends
    local pid=$1 peak=0 total target fd size
    while kill -0 "$pid" 2>/dev/null; do
        total=0
        for fd in /proc/"$pid"/fd/*; do
            target=$(readlink "$fd" 2>/dev/null) || continue
            case $target in
                "$TMPDIR"/*) size=$(stat -L -c %s "$fd" 2>/dev/null) && total=$(( total + size )) ;;
            esac
        done
        (( total > peak )) && peak=$total
        sleep 0.1
    done
    echo "$peak"
}

measure() { # label file command... → prints a row, keeps the peak
    local label=$1 file=$2; shift 2
    local name="$*" pid child disk
    if [ "$1" = assemble ]; then
        name="records | assemble"
        "$AICOCO" records "${extra[@]}" "$file" 2>/dev/null \
            | /usr/bin/time -f "%M %e %x" -o "$dir/time.txt" "$AICOCO" assemble "${extra[@]}" >/dev/null 2>"$dir/err.txt" &
    else
        /usr/bin/time -f "%M %e %x" -o "$dir/time.txt" "$AICOCO" "$@" "${extra[@]}" "$file" >/dev/null 2>"$dir/err.txt" &
    fi
    pid=$!
    child=""
    for _ in $(seq 50); do child=$(pgrep -P "$pid" -n 2>/dev/null) && [ -n "$child" ] && break; sleep 0.02; done
    disk=$([ -n "$child" ] && disk_peak "$child" || echo 0)
    wait "$pid"
    local kb seconds code
    read -r kb seconds code < <(tail -n 1 "$dir/time.txt")
    [ -z "$code" ] && code=0
    peaks["$label/$name"]=$kb
    disks["$label/$name"]=$disk
    local perMillion="-"
    local count=${annotations[$file]:-0}
    (( count > 0 )) && perMillion=$(echo "scale=1; $disk / $count" | bc -l)  # bytes per annotation = MB per million
    printf '| %-24s | %-40s | %6.1f MiB | %8.1f MB | %7s | %7s s | exit %s |\n' "$label" "$name" \
        "$(echo "$kb / 1024" | bc -l)" "$(echo "$disk / 1000000" | bc -l)" "$perMillion" "$seconds" "$code"
    if (( kb >= 32 * 1024 )); then echo "  FAIL: $label $name: $(( kb / 1024 )) MiB >= 32 MiB"; status=1; fi
    echo "$code" > "$dir/code.txt"
}

IFS='|' read -r -a commands <<< "${COMMANDS:-stats|validate|records|convert --to coco --image-size 512x512|filter --category Lesion|assemble}"
echo "| input | command | peak RSS | temp disk | MB per M annotations | time | exit |"
echo "|---|---|---:|---:|---:|---:|---|"
for shape in $shapes; do
    for order in $orders; do
        for size in $small $big; do
            file=$(input "$shape" "$size" "$order")
            count_annotations "$file"
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
    # The big file cut at a random byte (seeded by the shape's name): exit 1, under 32 MiB.
    whole=$(input "$shape" "$big" normal)
    cut="$dir/$shape-$big-cut.json"
    if [ ! -s "$cut" ]; then
        total=$(stat -c %s "$whole")
        RANDOM=${#shape}
        at=$(( (RANDOM * 32768 + RANDOM) % (total / 2) + total / 4 ))
        head -c "$at" "$whole" > "$cut"
    fi
    for command in "${commands[@]}"; do
        # shellcheck disable=SC2086
        measure "$shape $big cut" "$cut" $command
        if [ "$(cat "$dir/code.txt")" != 1 ]; then echo "  FAIL: $command on the cut file did not exit 1"; status=1; fi
    done
done

# Summary: peak RSS in MiB per subcommand and input (the README's table).
echo
header="| subcommand |"; rule="|---|"
columns=()
for shape in $shapes; do
    for order in $orders; do
        suffix=""; [ "$order" = reordered ] && suffix=" reordered"
        for size in $small $big; do columns+=("$shape $order $size"); header+=" $shape $size$suffix |"; rule+="---:|"; done
    done
    columns+=("$shape $big cut"); header+=" $shape $big cut |"; rule+="---:|"
done
echo "$header"; echo "$rule"
for command in "${commands[@]}"; do
    name=$command; [ "$command" = assemble ] && name="records | assemble"
    row="| ${name/|/\\|} |"
    for column in "${columns[@]}"; do
        kb=${peaks["$column/$name"]:-}
        if [ -n "$kb" ]; then row+=" $(printf '%.1f' "$(echo "$kb / 1024" | bc -l)") |"; else row+=" |"; fi
    done
    echo "$row"
done
[ -z "${1:-}" ] && rm -rf "$dir"
exit $status
