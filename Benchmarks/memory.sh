#!/usr/bin/env bash
# Peak resident memory of the aicoco subcommands on generated inputs of 200 MB and 2 GB
# (the constant-memory targets). Usage, from the repository's root:
#   bash Benchmarks/memory.sh [DIR]     (DIR holds the generated files; default: a temporary dir)
# Needs about 4.5 GB of free disk in DIR. Prints one line per run and a verdict per target.
set -euo pipefail
dir=${1:-$(mktemp -d)}
swift build -c release --product aicoco >/dev/null
bin=$(swift build -c release --show-bin-path)/aicoco
order=meta,annotations,objects,categories,regressions,images
"$bin" generate --bytes 200M --seed 1 > "$dir/m200.json"
"$bin" generate --bytes 2G --seed 1 --order "$order" > "$dir/m2g.json"
status=0
peak() { # peak KB of: aicoco ARGS...
    /usr/bin/time -f "%M %e" -o "$dir/time.txt" "$bin" "$@" >/dev/null 2>"$dir/err.txt" || true
    cat "$dir/time.txt"
}
check() { # name limit-MiB kb
    local mib=$(( $3 / 1024 ))
    if (( mib < $2 )); then echo "  ok: $1 ${mib} MiB < $2 MiB"; else echo "  FAIL: $1 ${mib} MiB >= $2 MiB"; status=1; fi
}
for command in "stats" "validate" "records" "convert --to coco --image-size 512x512" "filter --index 100...400"; do
    read -r small small_s < <(peak $command "$dir/m200.json")
    read -r big big_s < <(peak $command "$dir/m2g.json")
    echo "aicoco $command: 200 MB: $(( small / 1024 )) MiB in ${small_s} s; 2 GB: $(( big / 1024 )) MiB in ${big_s} s"
    case "$command" in
        stats) check "stats on 2 GB" 16 "$big"
               if (( big * 10 > small * 11 )); then echo "  FAIL: stats grows by more than 10% from 200 MB to 2 GB"; status=1
               else echo "  ok: stats on 2 GB within 10% of 200 MB"; fi ;;
        validate) check "validate on 2 GB" 128 "$big" ;;
        *) check "$command on 2 GB" 64 "$big" ;;
    esac
done
[ -z "${1:-}" ] && rm -rf "$dir"
exit $status
