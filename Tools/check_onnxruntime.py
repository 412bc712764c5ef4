#!/usr/bin/env python3
"""Cross-checks graphc against onnxruntime on the same model files.

For each model: `graphc compile` (symbolic batch), then for each batch size run
`graphrun` and onnxruntime on the same random input and compare every output.
Passes when max|ours - ref| <= 1e-4 * max|ref| for every output.

usage: check_onnxruntime.py --bin .build/release [--batches 1,4] [--threads 2] MODEL...
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnxruntime as ort

TOLERANCE = 1e-4
SEED = 20261126


def run(cmd):
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stderr}")
    return result.stdout


def check(model, bindir, batches, threads, tmp, rng):
    name = os.path.splitext(os.path.basename(model))[0]
    plan = os.path.join(tmp, name + ".plan")
    run([os.path.join(bindir, "graphc"), "compile", model, "-o", plan])
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    (feed,) = session.get_inputs()
    item_shape = [d for d in feed.shape[1:]]
    outputs = [o.name for o in session.get_outputs()]
    rows, ok = [], True
    for batch in batches:
        x = rng.standard_normal([batch] + item_shape).astype(np.float32)
        xin = os.path.join(tmp, f"{name}-in{batch}.npy")
        out = os.path.join(tmp, f"{name}-out{batch}.npy")
        np.save(xin, x)
        run([os.path.join(bindir, "graphrun"), plan, xin, "-o", out, "--top", "0", "--threads", str(threads)])
        refs = session.run(outputs, {feed.name: x})
        for oname, ref in zip(outputs, refs):
            path = out if len(outputs) == 1 else out[:-4] + "." + "".join(
                c if c.isalnum() or c in "_-" else "_" for c in oname) + ".npy"
            ours = np.load(path)
            if ours.shape != ref.shape:
                rows.append((name, batch, oname, f"shape {ours.shape} != {ref.shape}", "", "FAIL"))
                ok = False
                continue
            diff = float(np.abs(ours - ref).max())
            scale = float(np.abs(ref).max())
            passed = diff <= TOLERANCE * scale
            ok &= passed
            rows.append((name, batch, oname, f"{diff:.3e}", f"{diff / scale if scale else 0:.3e}", "ok" if passed else "FAIL"))
    return rows, ok


def cross_check(models, bindir, batches, threads, seed=SEED):
    """Checks every model, printing one row per (model, batch, output); returns the number that failed."""
    rng = np.random.default_rng(seed)
    width = max([12] + [len(os.path.splitext(os.path.basename(m))[0]) for m in models])
    print(f"{'model':<{width}} {'batch':>5} {'output':<15} {'max abs diff':>13} {'/ max |ref|':>12}  result")
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for model in models:
            try:
                rows, ok = check(model, bindir, batches, threads, tmp, rng)
            except Exception as e:  # report and go on with the other models
                print(f"{os.path.basename(model):<{width}} error: {e}")
                failures += 1
                continue
            for r in rows:
                print(f"{r[0]:<{width}} {r[1]:>5} {r[2]:<15} {r[3]:>13} {r[4]:>12}  {r[5]}")
            failures += 0 if ok else 1
            # Plans of the big networks are as large as their weights: free the disk as we go.
            for f in os.listdir(tmp):
                os.remove(os.path.join(tmp, f))
    print(f"onnxruntime cross-check: {len(models) - failures} passed, {failures} failed")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True, help="folder with graphc and graphrun")
    parser.add_argument("--batches", default="1,4")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("models", nargs="+")
    args = parser.parse_args()
    batches = [int(b) for b in args.batches.split(",")]
    return 1 if cross_check(args.models, args.bin, batches, args.threads) else 0


if __name__ == "__main__":
    sys.exit(main())
