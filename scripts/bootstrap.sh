#!/usr/bin/env bash
# Sets up a fresh Debian machine that has the Swift toolchain, for building and testing:
# - yajl (libyajl-dev) and zlib (zlib1g-dev), found through pkg-config, installed with apt-get
#   when missing;
# - the project's Python virtual environment .venv (python3 -m venv; python3-venv with apt-get
#   when venv is missing) with the packages of scripts/requirements.txt, which the cross-checks
#   in the tests use.
# Does nothing that is already done. Exits non-zero, saying why, when something cannot be set up.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "bootstrap: $*" >&2; exit 1; }

apt_install() {
    [ "$(id -u)" = 0 ] || fail "cannot install $* (Debian packages): run as root, or install them yourself"
    export DEBIAN_FRONTEND=noninteractive
    if [ -z "${bootstrap_apt_updated:-}" ]; then
        apt-get update -qq || fail "apt-get update failed"
        bootstrap_apt_updated=1
    fi
    apt-get install -y -qq "$@" >/dev/null || fail "apt-get install $* failed"
}

if ! { command -v pkg-config >/dev/null 2>&1 && pkg-config --exists yajl; }; then
    echo "bootstrap: installing libyajl-dev and pkg-config" >&2
    apt_install libyajl-dev pkg-config
fi

# zlib (zlib1g-dev, found through pkg-config) for convert --to nifti's .nii.gz.
if ! pkg-config --exists zlib; then
    echo "bootstrap: installing zlib1g-dev" >&2
    apt_install zlib1g-dev
fi

# jq for the examples of README.md and docs/, which the tests run.
if ! command -v jq >/dev/null 2>&1; then
    echo "bootstrap: installing jq" >&2
    apt_install jq
fi

command -v python3 >/dev/null 2>&1 || { echo "bootstrap: installing python3" >&2; apt_install python3; }

venv=.venv
if ! "$venv/bin/python3" -c 'import sys' >/dev/null 2>&1; then
    rm -rf "$venv"
    if ! python3 -m venv "$venv" >/dev/null 2>&1; then
        rm -rf "$venv"
        echo "bootstrap: installing python3-venv (Python's venv module)" >&2
        apt_install python3-venv
        python3 -m venv "$venv" || { rm -rf "$venv"; fail "python3 -m venv $venv failed"; }
    fi
    echo "bootstrap: created the virtual environment $venv" >&2
fi

# pip says nothing and touches nothing when every requirement is already satisfied.
if ! "$venv/bin/python3" -m pip install -q -r scripts/requirements.txt >&2; then
    fail "could not install scripts/requirements.txt into $venv (network? see pip's message above)"
fi
"$venv/bin/python3" - <<'PY' || fail "$venv lacks a package of scripts/requirements.txt"
import importlib.metadata, pathlib, re, sys
missing = []
for line in pathlib.Path("scripts/requirements.txt").read_text().splitlines():
    name = re.split(r"[\s<>=!~;\[#]", line.strip(), maxsplit=1)[0]
    if not name:
        continue
    try:
        importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        missing.append(name)
if missing:
    print("bootstrap: not installed:", ", ".join(missing), file=sys.stderr)
    sys.exit(1)
PY
