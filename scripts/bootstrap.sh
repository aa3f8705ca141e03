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
# Python packages the cross-checks use: jsonschema (schema verdicts) and pycocotools (COCO output).
for module in jsonschema pycocotools; do
    if command -v python3 >/dev/null 2>&1 && ! python3 -c "import $module" 2>/dev/null; then
        echo "bootstrap: installing $module (Python) for the cross-checks" >&2
        python3 -m pip install -q "$module" >&2 || echo "bootstrap: $module not installed; its cross-check will fail" >&2
    fi
done
