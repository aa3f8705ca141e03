"""Builds the native parts with SwiftPM before packing the package.

- `libAiCOCOCAPI.so` (product AiCOCOCAPI): the C ABI the package loads with ctypes, with the
  Swift runtime linked in (`-Xswiftc -static-stdlib`) and only the `aicoco_*` symbols exported
  (version script `aicoco.map`); it needs libc, libstdc++, zlib and yajl at run time.
- `aicoco/bin/aicoco`: the command, built the same way (no Swift library needed to run it).

The repository root is the folder above this one (or $AICOCO_SOURCE_ROOT); the SwiftPM build
goes to its `.build/python` (or $AICOCO_SCRATCH_PATH), so a second build is incremental.
"""
import os
import shutil
import subprocess
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

try:
    from wheel.bdist_wheel import bdist_wheel
except ImportError:  # setuptools >= 70 has its own
    from setuptools.command.bdist_wheel import bdist_wheel

HERE = Path(__file__).resolve().parent


def _swift_build(root, scratch, product, *extra):
    command = ["swift", "build", "-c", "release", "--package-path", str(root), "--scratch-path", str(scratch),
               "--product", product, "-Xswiftc", "-static-stdlib", *extra]
    print("aicoco: " + " ".join(command), flush=True)
    subprocess.run(command, check=True)
    out = subprocess.run(command + ["--show-bin-path"], check=True, capture_output=True, text=True)
    return Path(out.stdout.strip())


def _install_stripped(source, target):
    """Copies a built file without its debug information (a sixth of the size)."""
    shutil.copy2(source, target)
    if shutil.which("strip"):
        subprocess.run(["strip", "--strip-unneeded", str(target)], check=True)


class BuildWithSwift(build_py):
    """build_py, then the Swift library and command into the build's `aicoco` folder."""

    def run(self):
        super().run()
        root = Path(os.environ.get("AICOCO_SOURCE_ROOT") or HERE.parent)
        if not (root / "Package.swift").exists():
            raise SystemExit(f"aicoco: {root} holds no Package.swift: build from a checkout of swift-aicoco "
                             "(or set AICOCO_SOURCE_ROOT to one)")
        if shutil.which("swift") is None:
            raise SystemExit("aicoco: building needs the Swift toolchain (`swift` on the PATH); "
                             "the wheel it makes does not")
        scratch = Path(os.environ.get("AICOCO_SCRATCH_PATH") or root / ".build" / "python")
        bin_path = _swift_build(root, scratch, "AiCOCOCAPI", "-Xlinker", f"--version-script={HERE / 'aicoco.map'}")
        target = Path(self.build_lib) / "aicoco"
        target.mkdir(parents=True, exist_ok=True)
        _install_stripped(bin_path / "libAiCOCOCAPI.so", target / "libAiCOCOCAPI.so")
        shutil.copy2(root / "Sources" / "CAiCOCOABI" / "include" / "aicoco.h", target / "aicoco.h")
        if os.environ.get("AICOCO_WITHOUT_CLI") != "1":
            bin_path = _swift_build(root, scratch, "aicoco")
            (target / "bin").mkdir(exist_ok=True)
            _install_stripped(bin_path / "aicoco", target / "bin" / "aicoco")


class PlatformWheel(bdist_wheel):
    """A wheel for this platform (native code inside) for any Python 3 (ctypes, no extension)."""

    def get_tag(self):
        _, _, platform = super().get_tag()
        return "py3", "none", platform


class NativeDistribution(Distribution):
    """Holds native code: the wheel is not pure (its files go to platlib)."""

    def has_ext_modules(self):
        return True


setup(distclass=NativeDistribution, cmdclass={"build_py": BuildWithSwift, "bdist_wheel": PlatformWheel})
