"""Whole archives on a Dask cluster: map files over the workers, gather a pandas DataFrame.

    from dask.distributed import Client
    import aicoco.dask
    client = Client("scheduler:8786")          # or LocalCluster(); the default client is used
    frame = aicoco.dask.validate(paths)        # one row per file; a bad file is a row, not a crash
    frame = aicoco.dask.stats(paths)
    frame = aicoco.dask.measure(paths, image_size=(512, 512), spacing=(0.7, 0.7, 5))

Workers get the paths (they must see the same files, e.g. a shared file system) and run the
engine there: a native reader cannot be pickled. Every worker needs the `aicoco` package.
"""
import functools
import io
import os
import subprocess

import pandas as pd

import aicoco


def _client(client):
    if client is not None:
        return client
    from distributed import get_client

    try:
        return get_client()
    except ValueError:
        raise ValueError("aicoco.dask: no Dask client: start one first (Client('scheduler:8786') for a "
                         "cluster, Client(LocalCluster()) on this machine) or pass client=") from None


def _gather(function, paths, client, **options):
    """`function(path, **options)` of every path on the workers, gathered in the paths' order."""
    client = _client(client)
    paths = [os.fspath(path) for path in paths]
    futures = client.map(functools.partial(function, **options) if options else function, paths, pure=False)
    return client.gather(futures)


def _failure(path, error):
    if isinstance(error, aicoco.AiCOCOError):
        return {"file": path, "ok": False, "error": error.describe(path), "error_kind": error.kind}
    return {"file": path, "ok": False, "error": f"{type(error).__name__}: {error}", "error_kind": "io"}


def stats_one(path):
    """`aicoco.stats(path)` as one flat row (annotated_images.* and meta.* spread out), or a row
    saying why it could not be read."""
    try:
        value = aicoco.stats(path)
    except Exception as error:  # a worker's answer, never its crash
        return _failure(path, error)
    row = {"file": path, "ok": True, "error": None, "error_kind": None}
    for key, item in value.items():
        if key in ("annotated_images", "meta") and isinstance(item, dict):
            row.update({f"{key}.{name}": part for name, part in item.items()})
        else:
            row[key] = item
    return row


def validate_one(path, max_errors=100):
    """`aicoco.validate(path)` as one row: valid, error_count, the problems as dicts, the first
    as `aicoco validate` prints it."""
    try:
        report = aicoco.validate(path, max_errors=max_errors)
    except Exception as error:
        row = _failure(path, error)
        row.update(valid=False, readable=False, error_count=None, problems=[], first_problem=row["error"])
        return row
    return {"file": path, "ok": True, "error": None, "error_kind": None, "valid": report.valid, "readable": True,
            "error_count": report.error_count, "truncated": report.truncated, "bytes": report.bytes,
            "problems": [problem.as_dict() for problem in report.problems],
            "first_problem": report.problems[0].describe(path) if report.problems else None}


def measure_one(path, image_size=None, spacing=None, command=None):
    """`aicoco measure --format csv` of one file (the command installed with the package) as a
    DataFrame with a `file` column; a one-row frame with `error` when it fails."""
    command = command or aicoco.cli_path()
    if command is None:
        return pd.DataFrame([_failure(path, RuntimeError("no aicoco command (reinstall the package)"))])
    args = [command, "measure", "--format", "csv", path]
    if image_size:
        args += ["--image-size", f"{image_size[0]}x{image_size[1]}"]
    if spacing:
        args += ["--spacing", ",".join(str(value) for value in spacing)]
    out = subprocess.run(args, capture_output=True, text=True)
    if out.returncode != 0:
        message = (out.stderr.strip().splitlines() or [f"exit {out.returncode}"])[0]
        return pd.DataFrame([{"file": path, "ok": False, "error": message,
                              "error_kind": "io" if out.returncode == 2 else "invalid"}])
    frame = pd.read_csv(io.StringIO(out.stdout), dtype={"id": str, "name": str, "image_id": str})
    frame.insert(0, "file", path)
    frame["ok"], frame["error"], frame["error_kind"] = True, None, None
    return frame


def stats(paths, client=None):
    """`aicoco.stats` of every file, on the cluster's workers: one row per file (column `ok`
    False and `error` set for a file that could not be read)."""
    return pd.DataFrame(_gather(stats_one, paths, client))


def validate(paths, client=None, max_errors=100):
    """`aicoco.validate` of every file, on the workers: one row per file (valid, error_count,
    problems, first_problem); a broken file is a row like any other."""
    return pd.DataFrame(_gather(validate_one, paths, client, max_errors=max_errors))


def measure(paths, client=None, image_size=None, spacing=None):
    """`aicoco measure` of every file, on the workers: the rows of its CSV (scope, id, name, index,
    image_id, pixels, area_mm2, voxels, volume_ml) with a `file` column, all files in one frame."""
    frames = _gather(measure_one, paths, client, image_size=image_size, spacing=spacing)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
