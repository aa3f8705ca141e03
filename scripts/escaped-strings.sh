#!/usr/bin/env bash
# Decoding time of long escaped strings must grow linearly with their length (issue 14, item 3).
#
#   scripts/escaped-strings.sh [WORKDIR]
#
# Writes documents whose meta holds one string of N MB of `\u00e9` (N = 7, 14, 28, 56; at most
# 56 MB at a time in WORKDIR, default a temporary directory, removed at the end), runs
# `aicoco validate --max-string-bytes 64M --max-token-bytes 80M` on each RUNS times (default 5,
# interleaved) and keeps the best CPU time (user + system, from getrusage: the machine may be
# shared, so wall time, printed too, varies with the load), then checks that 56 MB takes under
# MAX_RATIO (default 4) times the CPU time of 14 MB: linear decoding gives about 4 (less the
# start-up), quadratic 16. Exit status 1 when over. Too slow for the test suite: the tests check
# the decoded text of such strings, fed in small chunks, at a few MB.
set -euo pipefail
cd "$(dirname "$0")/.."

swift build -c release --product aicoco >&2
aicoco=$(swift build -c release --show-bin-path)/aicoco
work=${1:-$(mktemp -d)}
mkdir -p "$work"
trap 'rm -f "$work"/escaped-*.json' EXIT

exec python3 - "$aicoco" "$work" "${RUNS:-5}" "${MAX_RATIO:-4}" <<'EOF'
import os, resource, subprocess, sys, time

aicoco, work, runs, max_ratio = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
sizes = [7, 14, 28, 56]

def write(path, mb):
    with open(path, "w") as f:
        f.write('{"images":[],"annotations":[],"categories":[],"regressions":[],"objects":[],')
        f.write('"meta":{"category_ids":null,"regressions":null,"note":"')
        count = mb * 1000 * 1000 // 6
        block = "\\u00e9" * 100_000  # in blocks: the children's peak RSS starts from ours
        for _ in range(count // 100_000):
            f.write(block)
        f.write("\\u00e9" * (count % 100_000))
        f.write('"}}\n')

def run(path):
    """CPU seconds (user + system), wall seconds and peak RSS (KiB) of one validation."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen([aicoco, "validate", "--max-string-bytes", "64M", "--max-token-bytes", "80M", path],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    stderr = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    if status != 0:
        sys.exit(f"aicoco validate {path} failed ({status}): {stderr}")
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss

best = {}
# Two sizes on disk at a time, runs interleaved (so that load changes hit both alike).
for pair in [(7, 28), (14, 56)]:
    for mb in pair:
        write(f"{work}/escaped-{mb}.json", mb)
    for _ in range(runs):
        for mb in pair:
            cpu, wall, rss = run(f"{work}/escaped-{mb}.json")
            if mb not in best or cpu < best[mb][0]:
                best[mb] = (cpu, wall, rss)
    for mb in pair:
        os.remove(f"{work}/escaped-{mb}.json")

for mb in sizes:
    cpu, wall, rss = best[mb]
    print(f"{mb:3d} MB of \\u00e9: {cpu:6.3f} s CPU  {wall:6.2f} s wall  {rss:8d} KiB peak RSS")
ratio = best[56][0] / best[14][0]
print(f"56 MB / 14 MB: {ratio:.2f}x the CPU time (limit {max_ratio:g}x)")
sys.exit(0 if ratio < max_ratio else 1)
EOF
