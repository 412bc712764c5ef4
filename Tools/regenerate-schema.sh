#!/usr/bin/env bash
# Regenerates Sources/ONNXSchema from Tools/proto/onnx.proto with protoc-c.
# With --check, regenerates into a temporary folder and fails if the committed
# output differs (CI runs it that way, so a stale schema cannot land).
set -euo pipefail
cd "$(dirname "$0")/.."
out=Sources/ONNXSchema
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
protoc-c --proto_path=Tools/proto --c_out="$tmp" Tools/proto/onnx.proto
mkdir -p "$tmp/include"
mv "$tmp/onnx.pb-c.h" "$tmp/include/onnx.pb-c.h"
# The generated .c includes its header by bare name; our header lives in include/.
if [ "${1:-}" = "--check" ]; then
  diff -u "$out/include/onnx.pb-c.h" "$tmp/include/onnx.pb-c.h" && diff -u "$out/onnx.pb-c.c" "$tmp/onnx.pb-c.c" \
    || { echo "Sources/ONNXSchema is stale: run Tools/regenerate-schema.sh" >&2; exit 1; }
  echo "ONNXSchema is up to date"
else
  mkdir -p "$out/include"
  cp "$tmp/include/onnx.pb-c.h" "$out/include/onnx.pb-c.h"
  cp "$tmp/onnx.pb-c.c" "$out/onnx.pb-c.c"
  echo "regenerated $out"
fi
