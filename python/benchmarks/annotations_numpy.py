"""Annotations of a big generated file into numpy, three ways, side by side:

- `aicoco stats --json FILE` (the command: parses everything, counts, builds nothing);
- aicoco (Python): every annotation's coordinates as a numpy array (a view into its batch);
- ijson (its C yajl2 backend when installed): every annotation's segmentation into numpy arrays.

Each run is a process of its own, measured with /usr/bin/time -v (wall time, CPU time, peak RSS);
rounds are interleaved (the machine may be shared) and the medians reported, with the ratios
to `aicoco stats`.

    python python/benchmarks/annotations_numpy.py --bytes 200M            # generates the file in $TMPDIR
    python python/benchmarks/annotations_numpy.py --file big.json --rounds 5 --no-ijson

Needs the package installed (`pip install ./python`) and, for the ijson column, `pip install ijson`.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

import aicoco

PYTHON_AICOCO = r"""
import sys, aicoco

def main(path):
    annotations = points = 0
    for batch in aicoco.annotations(path):
        for xy in batch.annotation_coordinates():   # one annotation's numbers, x, y, x, y...: a numpy view
            annotations += 1
            points += xy.size // 2
    print(annotations, points)

main(sys.argv[1])
"""

PYTHON_IJSON = r"""
import sys, ijson, numpy as np

def main(path):
    annotations = points = 0
    with open(path, "rb") as file:
        for annotation in ijson.items(file, "annotations.item", use_float=True):
            for polygon in annotation["segmentation"] or []:
                xy = np.asarray(polygon, dtype=np.float64)
                points += xy.size // 2
            annotations += 1
    print(annotations, points, ijson.backend)

main(sys.argv[1])
"""


def measure(command):
    """Runs `command` under /usr/bin/time -v: (wall s, CPU s, peak RSS MiB, stdout)."""
    out = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{out.stderr}")
    field = lambda name: re.search(rf"{re.escape(name)}: (.*)", out.stderr).group(1).strip()
    clock = [float(part) for part in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")]
    wall = sum(value * 60 ** power for power, value in enumerate(reversed(clock)))
    cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
    return wall, cpu, int(field("Maximum resident set size (kbytes)")) / 1024, out.stdout.strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file", help="an AiCOCO file (else one is generated)")
    parser.add_argument("--bytes", default="200M", help="size of the generated file (aicoco generate --bytes)")
    parser.add_argument("--shape", default="noisy")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-ijson", action="store_true", help="leave ijson out (minutes on 200 MB)")
    parser.add_argument("--ijson-rounds", type=int, default=1)
    args = parser.parse_args()
    cli = aicoco.cli_path()
    generated = None
    path = args.file
    if path is None:
        handle, generated = tempfile.mkstemp(prefix=f"aicoco-bench-{args.shape}-{args.bytes}-", suffix=".json")
        with os.fdopen(handle, "wb") as out:
            subprocess.run([cli, "generate", "--bytes", args.bytes, "--shape", args.shape], stdout=out, check=True)
        path = generated
    try:
        runs = {
            "aicoco stats": [cli, "stats", "--json", path],
            "aicoco.annotations (Python)": [sys.executable, "-c", PYTHON_AICOCO, path],
        }
        results = {name: [] for name in runs}
        outputs = {}
        for _ in range(args.rounds):
            for name, command in runs.items():
                wall, cpu, rss, stdout = measure(command)
                results[name].append((wall, cpu, rss))
                outputs[name] = stdout
        if not args.no_ijson:
            results["ijson"] = []
            for _ in range(args.ijson_rounds):
                wall, cpu, rss, stdout = measure([sys.executable, "-c", PYTHON_IJSON, path])
                results["ijson"].append((wall, cpu, rss))
                outputs["ijson"] = stdout
        size = os.path.getsize(path)
        print(f"file: {path} ({size / 1e6:.1f} MB), rounds: {args.rounds} (ijson {args.ijson_rounds}), medians")
        print(f"aicoco.annotations counted (annotations, points): {outputs['aicoco.annotations (Python)']}")
        if "ijson" in outputs:
            print(f"ijson counted (annotations, points, backend):    {outputs['ijson']}")
        base_wall = statistics.median(r[0] for r in results["aicoco stats"])
        base_cpu = statistics.median(r[1] for r in results["aicoco stats"])
        print(f"{'':30} {'wall s':>8} {'CPU s':>8} {'peak RSS MiB':>13} {'wall / stats':>13} {'CPU / stats':>12}")
        for name, rows in results.items():
            wall = statistics.median(r[0] for r in rows)
            cpu = statistics.median(r[1] for r in rows)
            rss = max(r[2] for r in rows)
            print(f"{name:30} {wall:8.2f} {cpu:8.2f} {rss:13.1f} {wall / base_wall:13.2f} {cpu / base_cpu:12.2f}")
    finally:
        if generated:
            os.unlink(generated)


if __name__ == "__main__":
    main()
