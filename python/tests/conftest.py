"""Shared fixtures: the repository, its fixture files, and the `aicoco` command to compare with.

The tests import the installed package (`pip install ./python`); the command is the one
installed with it (built from the same sources), or $AICOCO_CLI.
"""
import os
import subprocess
from pathlib import Path

import pytest

import aicoco

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "Fixtures"


def fixture_files():
    """Every AiCOCO fixture but JSONTestSuite's: real FLaVor outputs, broken ones, hostile ones."""
    files = [path for path in sorted(FIXTURES.rglob("*.json")) if "JSONTestSuite" not in path.parts]
    assert len(files) > 50, f"fixtures not found under {FIXTURES}"
    return files


@pytest.fixture(scope="session")
def cli():
    path = os.environ.get("AICOCO_CLI") or aicoco.cli_path()
    assert path, "no aicoco command: install the package with `pip install ./python` (it builds one)"
    return path


def run(cli, *args):
    return subprocess.run([cli, *map(str, args)], capture_output=True, text=True, cwd=ROOT)


@pytest.fixture(scope="session")
def generated(tmp_path_factory, cli):
    """A few generated files of about 1 MB (noisy, smooth, detection) and a broken one."""
    folder = tmp_path_factory.mktemp("generated")
    files = []
    for seed, shape in enumerate(["noisy", "smooth", "detection", "noisy"]):
        path = folder / f"{shape}-{seed}.json"
        with open(path, "wb") as out:
            subprocess.run([cli, "generate", "--bytes", "1M", "--shape", shape, "--seed", str(seed + 1)],
                           stdout=out, check=True)
        files.append(path)
    bad = folder / "bad.json"
    text = files[0].read_bytes()
    bad.write_bytes(text[: len(text) // 2])  # cut short: a syntax error at its end
    files.insert(2, bad)
    return files
