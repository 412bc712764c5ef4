#!/usr/bin/env bash
# Installs what graphc needs on a fresh Debian machine with Swift:
# libprotobuf-c (the wire format), protoc-c (to check the generated schema),
# and a Python venv in .venv with onnx, onnxruntime and numpy for cross-checks (--python);
# --serve makes .venv-serve with Triton's client for the model server's checks (and curl);
# --torch adds torch, torchvision and onnxscript to .venv for the model families (Tools/check_families.py);
# --openvino adds OpenVINO to .venv for the benchmark's third engine (Tools/benchmark.py).
# Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

python=false serve=false torch=false openvino=false
for flag in "$@"; do
  case "$flag" in
    --python) python=true ;;
    --serve) serve=true ;;
    --torch) python=true torch=true ;;
    --openvino) python=true openvino=true ;;
    *) echo "usage: Tools/setup.sh [--python] [--serve] [--torch] [--openvino]" >&2; exit 2 ;;
  esac
done


if ! pkg-config --exists libprotobuf-c 2>/dev/null || ! command -v protoc-c >/dev/null; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq libprotobuf-c-dev protobuf-c-compiler pkg-config >/dev/null
fi

if $python && ! .venv/bin/python -c "import onnx, onnxruntime, numpy" 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r Tools/requirements.txt
fi

if $torch && ! .venv/bin/python -c "import torch, torchvision, onnxscript" 2>/dev/null; then
  .venv/bin/pip install -q --disable-pip-version-check -r Tools/requirements-torch.txt
fi

if $openvino && ! .venv/bin/python -c "import openvino" 2>/dev/null; then
  .venv/bin/pip install -q --disable-pip-version-check -r Tools/requirements-openvino.txt
fi

# tritonclient pins an older ml_dtypes than onnx needs, so it gets a venv of its own.
if $serve; then
  if ! command -v curl >/dev/null; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get install -y -qq curl >/dev/null
  fi
  if ! .venv-serve/bin/python -c "import tritonclient.http, numpy, yaml" 2>/dev/null; then
    python3 -m venv .venv-serve
    .venv-serve/bin/pip install -q --disable-pip-version-check -r Tools/requirements-serve.txt
  fi
fi
