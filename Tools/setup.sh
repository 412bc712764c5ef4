#!/usr/bin/env bash
# Installs what graphc needs on a fresh Debian machine with Swift:
# libprotobuf-c (the wire format), protoc-c (to check the generated schema),
# and a Python venv in .venv with onnx, onnxruntime and numpy for cross-checks.
# Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! pkg-config --exists libprotobuf-c 2>/dev/null || ! command -v protoc-c >/dev/null; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq libprotobuf-c-dev protobuf-c-compiler pkg-config >/dev/null
fi

if [ "${1:-}" = "--python" ] && ! .venv/bin/python -c "import onnx, onnxruntime, numpy" 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r Tools/requirements.txt
fi
