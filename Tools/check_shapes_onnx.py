#!/usr/bin/env python3
"""Compare `graphc shapes --json` with onnx's own shape inference.

Usage: check_shapes_onnx.py GRAPHC_BINARY FILES...

For every value whose shape onnx infers (or the file declares), the dims must
match graphc's: integers equal, symbols equal by name. Dims onnx leaves unknown
(no value, or an `unk__` symbol it invented) are skipped. Prints one summary
line per file; exits 1 on any mismatch or failure.
"""
import json
import subprocess
import sys

import onnx
from onnx import shape_inference


def onnx_shapes(path):
    """Value name -> list of dims (int, str, or None when unknown) from onnx."""
    model = onnx.load(path, load_external_data=False)
    inferred = shape_inference.infer_shapes(model)
    g = inferred.graph
    shapes = {}
    for vi in list(g.input) + list(g.value_info) + list(g.output):
        t = vi.type.tensor_type
        if not vi.type.HasField("tensor_type") or not t.HasField("shape"):
            continue
        dims = []
        for d in t.shape.dim:
            if d.HasField("dim_value"):
                dims.append(d.dim_value)
            elif d.HasField("dim_param") and not d.dim_param.startswith("unk__"):
                dims.append(d.dim_param)
            else:
                dims.append(None)
        shapes[vi.name] = dims
    for init in g.initializer:
        shapes[init.name] = list(init.dims)
    return shapes


def graphc_shapes(binary, path):
    run = subprocess.run([binary, "shapes", path, "--json"], capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(run.stderr.strip() or f"graphc exited {run.returncode}")
    report = json.loads(run.stdout)
    return {v["name"]: v["shape"] for v in report["values"]}


def compare(expected, actual):
    """Mismatch descriptions, one per value that differs."""
    problems = []
    for name, dims in expected.items():
        if name not in actual:
            problems.append(f"{name}: onnx has {dims}, graphc has no such value")
            continue
        ours = actual[name]
        if len(ours) != len(dims) or any(d is not None and d != o for d, o in zip(dims, ours)):
            problems.append(f"{name}: onnx {dims}, graphc {ours}")
    return problems


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    binary, files = argv[1], argv[2:]
    failed = False
    for path in files:
        try:
            expected = onnx_shapes(path)
            actual = graphc_shapes(binary, path)
        except Exception as e:  # any failure of either side counts against the file
            print(f"FAIL {path}: {e}")
            failed = True
            continue
        problems = compare(expected, actual)
        compared = sum(1 for n in expected if n in actual)
        if problems:
            failed = True
            print(f"FAIL {path}: {len(problems)} of {len(expected)} values differ")
            for p in problems:
                print(f"  {p}")
        else:
            print(f"ok   {path}: {compared} values agree ({len(actual)} from graphc)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
