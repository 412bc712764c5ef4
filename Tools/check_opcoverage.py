#!/usr/bin/env python3
"""Cross-checks the op-coverage fixtures (Tests/Fixtures/opcoverage/) against onnxruntime.

1. The committed fixtures are what Tools/make_opcoverage.py writes (not stale).
2. Each fixture still holds every op it is meant to cover (REQUIRED_OPS).
3. graphc compiles each (symbolic batch); graphrun and onnxruntime run it on the same
   seeded random input at each batch size, compared with check_onnxruntime.py's rule
   (max|ours - ref| <= 1e-4 * max|ref| for every output).

usage: check_opcoverage.py --bin .build/release [--batches 1,3] [--threads 2]
"""
import argparse
import os
import sys

import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_opcoverage  # noqa: E402
from check_onnxruntime import cross_check  # noqa: E402

REQUIRED_OPS = {
    "opcoverage.onnx": {
        "Sub", "Mul", "Div", "Add", "Sum", "MatMul", "Gemm", "LRN", "Softmax", "Clip", "Transpose",
        "ReduceMean", "Conv", "Relu", "MaxPool", "AveragePool", "Concat",
    },
    "opcoverage-activations.onnx": {"Conv", "Sigmoid", "HardSwish", "HardSigmoid", "AveragePool", "Concat"},
    "opcoverage-modern.onnx": {
        "Conv", "Sigmoid", "Mul", "GlobalAveragePool", "Split", "Slice", "Concat", "Reshape", "Transpose", "LeakyRelu",
        "Tanh", "Exp", "Reciprocal", "Sqrt", "Abs", "Neg", "Pow", "Erf", "Div", "LayerNormalization", "MatMul",
        "ReduceMean", "Sub",
    },
    "opcoverage-tensor.onnx": {"MatMul", "Reshape", "Transpose", "Mul", "Softmax", "Concat", "Gather", "Add", "Unsqueeze"},
    "opcoverage-reduce.onnx": {
        "ReduceSum", "ReduceMax", "ReduceMin", "ReduceL2", "ReduceSumSquare", "ReduceProd", "ReduceLogSumExp", "LogSoftmax",
        "Max", "Min", "Mean", "PRelu", "Elu", "Log", "Softplus", "Softsign", "Selu", "Celu", "ThresholdedRelu",
    },
    "opcoverage-decoder.onnx": {"Conv", "Relu", "ConvTranspose", "Concat", "Sigmoid"},
    "opcoverage-logic.onnx": {
        "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "Not", "Where", "Mod", "Cast",
        "Expand", "Softmax",
    },
}


def conv_kinds(model):
    """Which of grouped / depthwise / dilated convolutions the model has."""
    kinds = set()
    weights = {t.name: list(t.dims) for t in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type != "Conv":
            continue
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        group = attrs.get("group", 1)
        if group > 1:
            kinds.add("depthwise" if weights[node.input[1]][:2] == [group, 1] else "grouped")
        if any(d > 1 for d in attrs.get("dilations", [])):
            kinds.add("dilated")
    return kinds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True, help="folder with graphc and graphrun")
    parser.add_argument("--batches", default="1,3")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    problems = []
    models = []
    for file, make in make_opcoverage.FIXTURES.items():
        path = os.path.join(make_opcoverage.FOLDER, file)
        with open(path, "rb") as f:
            committed = f.read()
        if committed != make().SerializeToString():
            problems.append(f"{file} is stale: regenerate with Tools/make_opcoverage.py")
        model = onnx.load_from_string(committed)
        missing = REQUIRED_OPS[file] - {n.op_type for n in model.graph.node}
        if file == "opcoverage.onnx":
            missing |= {k + " Conv" for k in {"grouped", "depthwise", "dilated"} - conv_kinds(model)}
        if missing:
            problems.append(f"{file} no longer covers: {', '.join(sorted(missing))}")
        models.append(path)
    for p in problems:
        print("FAIL " + p)

    failures = cross_check(models, args.bin, [int(b) for b in args.batches.split(",")], args.threads)
    return 1 if failures or problems else 0


if __name__ == "__main__":
    sys.exit(main())
