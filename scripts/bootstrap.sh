#!/usr/bin/env bash
# Installs what swift-aicoco needs on a fresh Debian machine with the Swift toolchain:
# yajl (libyajl-dev, found through pkg-config) and, for the cross-checks in the tests,
# Python's jsonschema. Does nothing when they are already there.
set -euo pipefail
if ! { command -v pkg-config >/dev/null 2>&1 && pkg-config --exists yajl; }; then
    echo "bootstrap: installing libyajl-dev and pkg-config" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq libyajl-dev pkg-config >/dev/null
fi
if command -v python3 >/dev/null 2>&1 && ! python3 -c "import jsonschema" 2>/dev/null; then
    echo "bootstrap: installing jsonschema (Python) for the schema cross-check" >&2
    python3 -m pip install -q jsonschema >&2 || echo "bootstrap: jsonschema not installed; its cross-check will fail" >&2
fi
