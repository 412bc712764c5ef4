#!/usr/bin/env bash
# Builds and runs the standalone packages in Examples/ against this checkout, as CI does:
# ClassifyBatch classifies the 360 digits fixture images with a LeNet plan compiled by BIN/graphc,
# and its answers must agree with the fixture's labels as often as the model does (≥ 95%).
#
#   Tools/check_examples.sh BIN    # BIN: a folder with graphc (e.g. `swift build --show-bin-path`)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$1
py=${PY:-$root/.venv/bin/python}
tmp=$(mktemp -d /tmp/graphc-examples.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

example=$root/Examples/ClassifyBatch
(cd "$example" && swift build 2>&1 | tail -1)
"$bin/graphc" compile "$root/Tests/Fixtures/digits/lenet-digits.onnx" -o "$tmp/lenet.plan"
"$(cd "$example" && swift build --show-bin-path)/ClassifyBatch" "$tmp/lenet.plan" "$root/Tests/Fixtures/digits/digits-test-images.npy" > "$tmp/out.txt"
"$py" - "$tmp/out.txt" "$root/Tests/Fixtures/digits/digits-test-labels.npy" <<'PY'
import sys, numpy as np
lines = open(sys.argv[1]).read().split("\n")[:-1]
labels = np.load(sys.argv[2]).reshape(-1)
predicted = [int(line.split(": ")[1].split(" ")[0]) for line in lines]
assert len(predicted) == len(labels), f"{len(predicted)} answers for {len(labels)} images"
accuracy = float(np.mean(np.array(predicted) == labels))
print(f"ClassifyBatch: {len(predicted)} images, accuracy {accuracy:.3f}")
assert accuracy >= 0.95, "ClassifyBatch disagrees with the labels"
PY
