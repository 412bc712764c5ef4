#!/usr/bin/env bash
# Runs into kept outputs (Session.run(_:into:)) allocate nothing: compiles LeNet, AlexNet, GoogLeNet
# and ResNet-18 from Graphs/, the op-coverage fixtures (every step kind the modern families use) and
# three modern families exported from torchvision at 64x64 (MobileNet-V3-small: depthwise, hard
# activations, squeeze-excitation; EfficientNet-B0: SiLU, sigmoid gates; ShuffleNet-V2-x0.5:
# Transpose and Slice) and a TopK with k over 64, and runs Tests/AllocationCheck on them at 1 and 2 threads, batch 1 and 2.
# When a run allocates, it names the steps that did.
# Needs an optimized build (unspecialized generics in debug builds allocate in the standard library)
# and torch in .venv (Tools/setup.sh --torch; PY=python overrides):
#   swift build -c release && Tools/check_allocations.sh "$(swift build -c release --show-bin-path)"
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:?usage: Tools/check_allocations.sh BIN_DIR (the release build products)}
py=${PY:-$root/.venv/bin/python}
tmp=$(mktemp -d /tmp/graphc-allocations.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$py" -c "import torch" 2>/dev/null || { echo "error: $py cannot import torch (Tools/setup.sh --torch)" >&2; exit 1; }
"$py" "$root/Tools/benchmark.py" export-families "$tmp" --resolution 64 \
  --families mobilenet_v3_small,efficientnet_b0,shufflenet_v2_x0_5 >/dev/null
# TopK with k over 64 sorts whole rows, in scratch (the standard library's sort would allocate).
"$py" - "$tmp/topk-long.onnx" <<'PY'
import sys, numpy as np, onnx
from onnx import helper as h, TensorProto as T
k = h.make_tensor("k", T.INT64, [1], [100])
nodes = [h.make_node("TopK", ["x", "k"], ["values", "indices"], axis=1),
         h.make_node("Cast", ["indices"], ["positions"], to=T.FLOAT), h.make_node("Add", ["values", "positions"], ["y"])]
g = h.make_graph(nodes, "topk-long", [h.make_tensor_value_info("x", T.FLOAT, ["N", 300])],
                 [h.make_tensor_value_info("y", T.FLOAT, None)], [k])
onnx.save(h.make_model(g, opset_imports=[h.make_opsetid("", 17)]), sys.argv[1])
PY
models=("$root"/Graphs/{lenet,alexnet,googlenet,resnet18}.graph "$root"/Tests/Fixtures/opcoverage/*.onnx "$tmp"/*.onnx)
plans=()
for model in "${models[@]}"; do
  name=$(basename "${model%.*}")
  "$bin/graphc" compile "$model" -o "$tmp/$name.plan" >/dev/null
  plans+=("$tmp/$name.plan")
done
"$bin/allocation-check" --threads 1,2 --batch 1 "${plans[@]}"
"$bin/allocation-check" --threads 2 --batch 2 --runs 6 "${plans[@]}"
echo "ok: no allocation in steady-state runs into kept outputs"
