#!/usr/bin/env python3
"""The ONNX node tests (issue 9, item 1): every test of the pinned onnx package
(onnx/backend/test/data/{node,pytorch-converted,pytorch-operator}) whose nodes are all ops that
`graphc ops` lists, compiled by graphc and run by graphrun, outputs compared with the backend
suite's tolerances (|ours - expected| <= 1e-7 + 1e-3 * |expected|, elementwise, same shape).

Inputs an op needs as constants (weights, shapes, axes, pads, bounds, exponents; FROZEN below)
are frozen into initializers from the test's data, as tract's runner does; the other inputs are
fed at run time with graphrun --input NAME=FILE (.npy). Bool and integer outputs must be of the
reference's dtype and equal it exactly. Each test is one of:
  pass         every output within tolerance
  fail         a wrong shape, type or value (with the largest error), or a crash
  unsupported  graphc refuses the model; the reason is graphc's own error, shortened
No test of a supported op is left out.

--write-md FILE puts the totals per op and one row per test into FILE between the node-test
markers. --expect FILE (CI) fails when a test that passes in FILE's table no longer passes, when
a test in that table is no longer run, or when graphc's newest opset is older than the pinned
onnx package's; other changes are printed as notes.

usage: check_node_tests.py --bin .build/release [--filter REGEX] [--jobs 2] [--keep DIR]
                           [--write-md docs/conformance.md] [--expect docs/conformance.md]
"""
import argparse
import concurrent.futures
import glob
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from markdown_section import read_section, replace_section  # noqa: E402

RTOL, ATOL = 1e-3, 1e-7  # onnx.backend.test's defaults
DATA = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data")
KINDS = ["node", "pytorch-converted", "pytorch-operator"]
BEGIN, END = "<!-- node-tests:begin -->", "<!-- node-tests:end -->"
COMMAND = "Tools/check_node_tests.py --bin $B --write-md docs/conformance.md"

# Inputs (by index) frozen into initializers: what an exported model holds as constants.
FROZEN = {
    "BatchNormalization": {1, 2, 3, 4}, "Clip": {1, 2}, "ConstantOfShape": {0}, "Conv": {1, 2}, "ConvTranspose": {1, 2}, "Dropout": {1, 2},
    "Gather": {1}, "Gemm": {1, 2}, "InstanceNormalization": {1, 2}, "LayerNormalization": {1, 2}, "RMSNormalization": {1}, "MatMul": {1}, "Pow": {1}, "Range": {0, 1, 2},
    "PRelu": {1}, "ReduceL1": {1}, "ReduceL2": {1}, "ReduceLogSum": {1}, "ReduceLogSumExp": {1}, "ReduceMax": {1}, "ReduceMean": {1}, "ReduceMin": {1},
    "ReduceProd": {1}, "ReduceSum": {1}, "ReduceSumSquare": {1}, "Reshape": {1}, "Slice": {1, 2, 3, 4}, "Split": {1}, "Squeeze": {1}, "Unsqueeze": {1},
    "Pad": {1, 2, 3}, "Expand": {1}, "Tile": {1}, "Resize": {1, 2, 3}, "Upsample": {1}, "GatherND": {1}, "ScatterND": {1}, "GatherElements": {1}, "ScatterElements": {1}, "Trilu": {1}, "TopK": {1}, "CumSum": {1},
}

# Function ops graphc does not list, whose `_expanded` tests (the function body inlined) take
# these graph inputs (by index) as constants: CenterCropPad's target shape.
FROZEN_EXPANDED = {"CenterCropPad": {1}}


def supported_ops(bindir):
    """(op types, opset range text) from `graphc ops`."""
    out = subprocess.run([os.path.join(bindir, "graphc"), "ops"], capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    opsets = re.search(r"opsets (\d+)\.\.\.(\d+)", lines[0])
    return {line.split()[0] for line in lines[1:] if line.strip()}, (int(opsets[1]), int(opsets[2]))


def snake(op):
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", op).lower()


def op_under_test(name, ops, supported):
    """The op a test is about: its only op, else the one its name starts with (e.g. an
    `_expanded` test's function body), else its ops joined."""
    main = sorted(ops - {"Constant", "Identity"}) or sorted(ops)
    if len(main) == 1:
        return main[0]
    stem = re.sub(r"^test_(operator_)?", "", name).lower()
    named = [op for op in supported if stem.startswith(snake(op)) or stem.startswith(op.lower())]
    return max(named, key=len) if named else "+".join(main)


def load_tensor(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def collect(supported, pattern):
    """Every test whose nodes are all supported default-domain ops: (id, folder, model, op)."""
    tests = []
    for kind in KINDS:
        for folder in sorted(glob.glob(os.path.join(DATA, kind, "*"))):
            name = os.path.basename(folder)
            test_id = name if kind == "node" else f"{kind}/{name}"
            if pattern and not re.search(pattern, test_id):
                continue
            model = onnx.load(os.path.join(folder, "model.onnx"))
            ops = {n.op_type for n in model.graph.node}
            if any(n.domain not in ("", "ai.onnx") for n in model.graph.node) or not ops <= supported:
                continue
            tests.append((test_id, folder, model, op_under_test(name, ops, supported)))
    return tests


def prepare(model, folder):
    """The model with constant inputs frozen, the run-time inputs {name: array}, the expected
    outputs [(name, array)] and the frozen input names."""
    graph = model.graph
    data_set = os.path.join(folder, "test_data_set_0")
    initialized = {t.name for t in graph.initializer}
    feeds = [i for i in graph.input if i.name not in initialized]
    # Sequence and optional values (test_identity_sequence, _opt) have no tensor to load: None,
    # which only a model graphc refuses can get away with.
    values = {i.name: load_tensor(os.path.join(data_set, f"input_{k}.pb")) if i.type.HasField("tensor_type") else None
              for k, i in enumerate(feeds)}
    expected = [(o.name, load_tensor(os.path.join(data_set, f"output_{k}.pb")) if o.type.HasField("tensor_type") else None)
                for k, o in enumerate(graph.output)]
    frozen = set()
    for node in graph.node:
        for i in FROZEN.get(node.op_type, ()):
            if i < len(node.input) and node.input[i] in values:
                frozen.add(node.input[i])
    stem = re.sub(r"^test_", "", os.path.basename(folder))
    for op, indices in FROZEN_EXPANDED.items():
        if stem.startswith(snake(op)) and "_expanded" in stem:
            frozen |= {feeds[i].name for i in indices if i < len(feeds)}
    frozen = {name for name in frozen if values[name] is not None}
    for name in sorted(frozen):
        graph.initializer.append(numpy_helper.from_array(values.pop(name), name))
    kept = [i for i in graph.input if i.name not in frozen]
    del graph.input[:]
    graph.input.extend(kept)
    return model, values, expected, sorted(frozen)


def shorten(text, *paths):
    """graphc's or graphrun's error: its `error:` line without file paths, short enough for a table cell."""
    lines = [l.strip() for l in text.strip().splitlines() if l.strip()]
    line = next((l for l in lines if l.startswith("error")), lines[-1] if lines else "no message")
    line = re.sub(r"^error:\s*", "", line)
    for p in paths:
        line = line.replace(p + ": ", "").replace(p, os.path.basename(p))
    return line if len(line) <= 240 else line[:237] + "..."


def run_test(test, bindir, tmp):
    """(status, detail, frozen names) of one test."""
    test_id, folder, model, _ = test
    work = os.path.join(tmp, test_id.replace("/", "_"))
    os.makedirs(work, exist_ok=True)
    model, feeds, expected, frozen = prepare(model, folder)
    file, plan, out = (os.path.join(work, f) for f in ("model.onnx", "model.plan", "out.npy"))
    onnx.save(model, file)
    r = subprocess.run([os.path.join(bindir, "graphc"), "compile", file, "-o", plan], capture_output=True, text=True)
    if r.returncode < 0:
        return "fail", f"graphc crashed (signal {-r.returncode})", frozen
    if r.returncode != 0:
        return "unsupported", shorten(r.stderr, file), frozen
    if any(v is None for v in feeds.values()) or any(v is None for _, v in expected):
        return "fail", "graphc compiled a model with a sequence or optional input or output", frozen
    command = [os.path.join(bindir, "graphrun"), plan, "-o", out, "--top", "0", "--threads", "1"]
    for name, value in feeds.items():
        path = os.path.join(work, f"input-{len(command)}.npy")
        np.save(path, value)
        command += ["--input", f"{name}={path}"]
    r = subprocess.run(command, capture_output=True, text=True)
    if r.returncode < 0:
        return "fail", f"graphrun crashed (signal {-r.returncode})", frozen
    if r.returncode != 0:
        return "fail", "graphrun: " + shorten(r.stderr, plan, out, work), frozen
    worst = 0.0
    for name, ref in expected:
        path = out if len(expected) == 1 else out[:-4] + "." + re.sub(r"[^A-Za-z0-9_-]", "_", name) + ".npy"
        if not os.path.exists(path):
            return "fail", f"output '{name}' was not written", frozen
        ours = np.load(path)
        if ours.dtype != ref.dtype:
            return "fail", f"output '{name}' is {ours.dtype}, expected {ref.dtype}", frozen
        if ours.shape != ref.shape:
            return "fail", f"output '{name}' has shape {list(ours.shape)}, expected {list(ref.shape)}", frozen
        # Bools and integers compare exactly (a tolerance would let a large integer be off by one).
        if ref.dtype.kind in "biu":
            wrong = ours != ref
            if wrong.any():
                return "fail", f"output '{name}': {int(wrong.sum())} of {ref.size} values differ (exact {ref.dtype})", frozen
            continue
        # NaN where the reference has NaN (Sqrt of a negative) agrees, and so does the same infinity
        # (a masked attention score of -inf), as in numpy's assert_allclose; anything else is wrong.
        agree = (np.isnan(ours) & np.isnan(ref)) | (np.isinf(ref) & (ours == ref))
        with np.errstate(invalid="ignore"):
            error = np.where(agree, 0.0, np.abs(ours.astype(np.float64) - ref.astype(np.float64)))
        bad = ~agree & ~(error <= ATOL + RTOL * np.abs(ref.astype(np.float64)))
        largest = float(np.max(np.where(np.isnan(error), np.inf, error))) if error.size else 0.0
        if bad.any():
            return "fail", f"output '{name}': {int(bad.sum())} of {ref.size} values off, max error {largest:.3g}", frozen
        worst = max(worst, largest)
    return "pass", f"max error {worst:.2g}", frozen


def markdown(results, opsets):
    """Totals per op, then one row per test."""
    ops = {}
    for test_id, op, status, detail, frozen in results:
        ops.setdefault(op, {"pass": 0, "fail": 0, "unsupported": 0})[status] += 1
    total = {s: sum(c[s] for c in ops.values()) for s in ("pass", "fail", "unsupported")}
    onnx_opset = onnx.defs.onnx_opset_version()
    lines = [f"Written by `{COMMAND}` from onnx {onnx.__version__} (opsets up to {onnx_opset}); graphc supports "
             f"opsets {opsets[0]}...{opsets[1]}. {len(results)} tests: **{total['pass']} pass, {total['fail']} fail, "
             f"{total['unsupported']} unsupported**.", "",
             "| op | tests | pass | fail | unsupported |", "|---|---|---|---|---|"]
    for op in sorted(ops, key=lambda o: (-sum(ops[o].values()), o)):
        c = ops[op]
        lines.append(f"| {op} | {sum(c.values())} | {c['pass']} | {c['fail']} | {c['unsupported']} |")
    lines += ["", "| test | op | status | detail | frozen inputs |", "|---|---|---|---|---|"]
    for test_id, op, status, detail, frozen in sorted(results, key=lambda r: (r[1], r[0])):
        cell = detail.replace("|", "\\|")
        lines.append(f"| {test_id} | {op} | {status} | {cell} | {', '.join(frozen) or '–'} |")
    return "\n".join(lines)


def committed_statuses(path):
    """{test: status} from the table in `path`, or None when it has none."""
    section = read_section(path, BEGIN, END)
    if section is None:
        return None
    rows = re.findall(r"^\| ((?:node|pytorch)\S*|test_\S+) \| \S+ \| (pass|fail|unsupported) \|", section, re.M)
    return dict(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True, help="folder with graphc and graphrun")
    parser.add_argument("--filter", help="only tests whose id matches this regular expression")
    parser.add_argument("--jobs", type=int, default=2, help="tests run at once (each graphrun uses one thread)")
    parser.add_argument("--keep", help="keep the prepared models, plans and data in this folder")
    parser.add_argument("--write-md", help="write the totals and the per-test table into this markdown file")
    parser.add_argument("--expect", help="fail when a test that passes in this file's table does not pass now")
    parser.add_argument("--verbose", action="store_true", help="print every test, not only the totals")
    args = parser.parse_args()

    started = time.time()
    supported, opsets = supported_ops(args.bin)
    tests = collect(supported, args.filter)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or tmp
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            outcomes = list(pool.map(lambda t: run_test(t, args.bin, folder), tests))
    results = [(t[0], t[3], *o) for t, o in zip(tests, outcomes)]
    counts = {s: sum(r[2] == s for r in results) for s in ("pass", "fail", "unsupported")}
    for test_id, op, status, detail, _ in results:
        if args.verbose or status == "fail":
            print(f"{status:<11} {test_id:<60} {detail}")
    print(f"node tests: {len(results)} of supported ops ({len(supported)} ops, opsets {opsets[0]}...{opsets[1]}; "
          f"onnx {onnx.__version__} knows up to {onnx.defs.onnx_opset_version()}): {counts['pass']} pass, "
          f"{counts['fail']} fail, {counts['unsupported']} unsupported in {time.time() - started:.0f} s")

    problems = []
    if args.expect and opsets[1] < onnx.defs.onnx_opset_version():
        # A newer pinned onnx: review what its new opsets changed for the supported ops, then raise the range.
        problems.append(f"graphc supports opsets up to {opsets[1]}, onnx {onnx.__version__} writes up to "
                        f"{onnx.defs.onnx_opset_version()} (OperatorRegistry.opsetVersions)")
    if args.expect:
        expected = committed_statuses(args.expect)
        if expected is None:
            problems.append(f"{args.expect} has no node-test table (write it with --write-md)")
        else:
            now = {r[0]: r[2] for r in results}
            for test_id, status in sorted(expected.items()):
                if args.filter and not re.search(args.filter, test_id):
                    continue
                if test_id not in now:
                    problems.append(f"{test_id} is in {args.expect} but was not run")
                elif status == "pass" and now[test_id] != "pass":
                    detail = next(r[3] for r in results if r[0] == test_id)
                    problems.append(f"{test_id} passed and now is {now[test_id]}: {detail}")
                elif status != now[test_id]:
                    print(f"note: {test_id} was {status}, now {now[test_id]} (regenerate the table with --write-md)")
            for test_id in sorted(set(now) - set(expected)):
                print(f"note: {test_id} ({now[test_id]}) is not in {args.expect} yet (regenerate the table with --write-md)")
    for p in problems:
        print("FAIL " + p)
    if args.write_md:
        replace_section(args.write_md, BEGIN, END, markdown(results, opsets), heading="## ONNX node tests\n\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
