"""The Python blocks of the README's Python section run as written (from the repository root)."""
import re
import subprocess
import sys

from conftest import ROOT


def python_blocks():
    text = (ROOT / "README.md").read_text()
    section = text[text.index("\n## Python\n"):]
    section = section[:section.index("\n## ", 1)]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def run_block(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=600)


def test_the_api_block_runs_and_prints_what_it_says():
    blocks = python_blocks()
    assert len(blocks) == 2
    out = run_block(blocks[0])
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("15 {'Kidney': 2, 'Liver': 1, 'Spleen': 1}\n")
    assert "False 24:19: reference error: annotation refers to image" in out.stdout


def test_the_dask_block_runs_on_a_local_cluster():
    block = python_blocks()[1]
    assert 'Client("scheduler:8786")' in block
    code = "from dask.distributed import LocalCluster\n" + block.replace(
        '"scheduler:8786"', "LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None)")
    code = "if __name__ == '__main__':\n" + "".join("    " + line + "\n" for line in code.splitlines())
    out = run_block(code)
    assert out.returncode == 0, out.stderr
    assert "Fixtures/broken/reference-dangling-image-id.json:24:19: reference error:" in out.stdout
    assert "flavor-seg3d-smooth.json" in out.stdout and "False" in out.stdout
