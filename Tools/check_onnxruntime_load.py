#!/usr/bin/env python3
"""Checks every Graphs/*.graph with onnx and onnxruntime.

For each file: onnx.checker.check_model(path, full_check=True) (by path, so external
data next to it is found), an onnxruntime InferenceSession, one run on a random
batch-2 input, and the shape of each output ([2, 10] for lenet, [2, 1000] otherwise,
GoogLeNet's aux1/aux2 included). One line per file; exit status 1 on any failure.

usage: check_onnxruntime_load.py [GRAPHS_DIR or files...]
"""
import glob
import os
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort

EXPECTED_OUTPUTS = {
    "lenet": {"logits": [2, 10]},
    "googlenet": {"logits": [2, 1000], "aux1": [2, 1000], "aux2": [2, 1000]},
}
DEFAULT_OUTPUTS = {"logits": [2, 1000]}


def check(path):
    name = os.path.splitext(os.path.basename(path))[0]
    start = time.time()
    onnx.checker.check_model(path, full_check=True)
    model = onnx.load(path, load_external_data=False)
    if model.ir_version != 8 or [(o.domain, o.version) for o in model.opset_import] != [("", 13)]:
        raise AssertionError(f"ir_version {model.ir_version}, opsets {model.opset_import}: want IR 8, opset 13")
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    inputs = session.get_inputs()
    if [i.name for i in inputs] != ["input"]:
        raise AssertionError(f"inputs {[i.name for i in inputs]}, want ['input']")
    dims = [2 if not isinstance(d, int) else d for d in inputs[0].shape]
    rng = np.random.default_rng(0)
    x = rng.standard_normal(dims).astype(np.float32)
    names = [o.name for o in session.get_outputs()]
    results = session.run(names, {"input": x})
    expected = EXPECTED_OUTPUTS.get(name, DEFAULT_OUTPUTS)
    if names != list(expected):
        raise AssertionError(f"outputs {names}, want {list(expected)}")
    for out_name, value in zip(names, results):
        if list(value.shape) != expected[out_name]:
            raise AssertionError(f"output {out_name} has shape {list(value.shape)}, want {expected[out_name]}")
        if not np.all(np.isfinite(value)):
            raise AssertionError(f"output {out_name} has non-finite values")
    shapes = ", ".join(f"{n} {list(v.shape)}" for n, v in zip(names, results))
    size = os.path.getsize(path)
    return f"{len(model.graph.node)} nodes, input {dims}, {shapes}, .graph {size} bytes, {time.time() - start:.1f}s"


def main(argv):
    args = argv[1:] or [os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Graphs")]
    paths = []
    for a in args:
        paths += sorted(glob.glob(os.path.join(a, "*.graph"))) if os.path.isdir(a) else [a]
    if not paths:
        print(f"check_onnxruntime_load: no .graph files in {args}", file=sys.stderr)
        return 1
    failures = 0
    for path in paths:
        label = os.path.relpath(path)
        try:
            print(f"ok   {label}: {check(path)}", flush=True)
        except Exception as e:  # noqa: BLE001 - every failure is reported the same way
            failures += 1
            print(f"FAIL {label}: {type(e).__name__}: {e}", flush=True)
    print(f"{len(paths) - failures}/{len(paths)} graphs load and run in onnxruntime {ort.__version__}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
