#!/usr/bin/env python3
"""1- vs 2-thread bit-identity: each model's outputs must not depend on the thread count.

For each model: `graphc compile` (symbolic batch), then for each batch size run graphrun
with --threads 1 and --threads 2 on the same seeded random input and require the output
files to be byte-identical. ResNet-18 and GoogLeNet at 224x224 are large enough that the
SGEMM is split into several blocks and the work into several chunks per thread, which
small test graphs are not.

usage: check_threads.py --bin .build/release [--batches 1,2] [--threads 1,2] MODEL...
"""
import argparse
import filecmp
import glob
import os
import sys
import tempfile
import time

import numpy as np
import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_onnxruntime import run  # noqa: E402

SEED = 20261201


def item_shape(model):
    """The per-item dims of the model's (single) input, from the file without its weights."""
    (feed,) = onnx.load(model, load_external_data=False).graph.input[:1]
    return [d.dim_value for d in feed.type.tensor_type.shape.dim[1:]]


def check(model, bindir, batches, thread_counts, tmp, rng):
    name = os.path.splitext(os.path.basename(model))[0]
    plan = os.path.join(tmp, name + ".plan")
    run([os.path.join(bindir, "graphc"), "compile", model, "-o", plan])
    shape = item_shape(model)
    ok = True
    for batch in batches:
        xin = os.path.join(tmp, f"{name}-in{batch}.npy")
        np.save(xin, rng.standard_normal([batch] + shape).astype(np.float32))
        files = {}
        for threads in thread_counts:
            folder = os.path.join(tmp, f"b{batch}t{threads}")
            os.makedirs(folder, exist_ok=True)
            start = time.time()
            run([os.path.join(bindir, "graphrun"), plan, xin, "-o", os.path.join(folder, "out.npy"),
                 "--top", "0", "--threads", str(threads)])
            files[threads] = (sorted(glob.glob(os.path.join(folder, "out*.npy"))), time.time() - start)
        (base, base_time), *others = files.values()
        base_names = [os.path.basename(f) for f in base]
        for threads, (outs, seconds) in list(files.items())[1:]:
            same = [os.path.basename(f) for f in outs] == base_names and all(
                filecmp.cmp(a, b, shallow=False) for a, b in zip(base, outs))
            if not same:
                detail = "; ".join(
                    f"{os.path.basename(a)}: max|diff| {float(np.abs(np.load(a) - np.load(b)).max()):.3e}"
                    for a, b in zip(base, outs))
            ok &= same
            print(f"{name:<12} batch {batch}: {len(outs)} output(s), threads {thread_counts[0]} "
                  f"({base_time:.2f}s) vs {threads} ({seconds:.2f}s): "
                  + ("bit-identical" if same else f"DIFFER ({detail or 'different output files'})"), flush=True)
        for f in sum((v[0] for v in files.values()), []):
            os.remove(f)
    os.remove(plan)
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True, help="folder with graphc and graphrun")
    parser.add_argument("--batches", default="1,2")
    parser.add_argument("--threads", default="1,2", help="thread counts to compare (the first is the baseline)")
    parser.add_argument("models", nargs="+")
    args = parser.parse_args()
    rng = np.random.default_rng(SEED)
    batches = [int(b) for b in args.batches.split(",")]
    thread_counts = [int(t) for t in args.threads.split(",")]
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models:
            try:
                failures += 0 if check(model, args.bin, batches, thread_counts, tmp, rng) else 1
            except Exception as e:  # report and go on with the other models
                print(f"{os.path.basename(model):<12} error: {e}")
                failures += 1
    print(f"thread bit-identity: {len(args.models) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
