#!/usr/bin/env python3
"""Compare `graphc shapes --json` with onnx's own shape inference.

Usage: check_shapes_onnx.py GRAPHC_BINARY FILES...

For every value whose shape onnx infers (or the file declares), the dims must
match graphc's: integers equal, symbols equal by name. Dims onnx leaves unknown
(no value, or an `unk__` symbol it invented) are skipped. Prints one summary
line per file; exits 1 on any mismatch or failure.

One difference is expected: for MaxPool/AveragePool with ceil_mode=1, graphc (like
onnxruntime and PyTorch) drops a last window that would start in the right padding;
onnx's shape inference keeps it. Such dims, exactly one smaller in graphc, are
counted as known differences, not mismatches.
"""
import json
import subprocess
import sys

import onnx
from onnx import shape_inference


def ceil_pool_outputs(model):
    """Output names of pools with ceil_mode=1."""
    names = set()
    for node in model.graph.node:
        if node.op_type in ("MaxPool", "AveragePool"):
            attrs = {a.name: a for a in node.attribute}
            if "ceil_mode" in attrs and attrs["ceil_mode"].i == 1:
                names.update(node.output[:1])
    return names


def onnx_shapes(path):
    """(value name -> list of dims (int, str, or None when unknown), ceil-mode pool outputs) from onnx."""
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
    return shapes, ceil_pool_outputs(model)


def graphc_shapes(binary, path):
    run = subprocess.run([binary, "shapes", path, "--json"], capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(run.stderr.strip() or f"graphc exited {run.returncode}")
    report = json.loads(run.stdout)
    return {v["name"]: v["shape"] for v in report["values"]}


def compare(expected, actual, ceil_pools):
    """(mismatch descriptions, known ceil_mode differences), one per value."""
    problems, known = [], []
    for name, dims in expected.items():
        if name not in actual:
            problems.append(f"{name}: onnx has {dims}, graphc has no such value")
            continue
        ours = actual[name]
        differing = [(d, o) for d, o in zip(dims, ours) if d is not None and d != o]
        if len(ours) != len(dims):
            problems.append(f"{name}: onnx {dims}, graphc {ours}")
        elif differing and name in ceil_pools and all(
                isinstance(d, int) and isinstance(o, int) and o == d - 1 for d, o in differing):
            known.append(f"{name}: onnx {dims}, graphc {ours} (ceil_mode last-window rule)")
        elif differing:
            problems.append(f"{name}: onnx {dims}, graphc {ours}")
    return problems, known


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    binary, files = argv[1], argv[2:]
    failed = False
    for path in files:
        try:
            expected, ceil_pools = onnx_shapes(path)
            actual = graphc_shapes(binary, path)
        except Exception as e:  # any failure of either side counts against the file
            print(f"FAIL {path}: {e}")
            failed = True
            continue
        problems, known = compare(expected, actual, ceil_pools)
        compared = sum(1 for n in expected if n in actual) - len(known)
        if problems:
            failed = True
            print(f"FAIL {path}: {len(problems)} of {len(expected)} values differ")
            for p in problems:
                print(f"  {p}")
        else:
            note = f", {len(known)} known ceil_mode differences" if known else ""
            print(f"ok   {path}: {compared} values agree ({len(actual)} from graphc){note}")
            for k in known:
                print(f"  note {k}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
