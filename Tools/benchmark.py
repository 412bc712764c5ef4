#!/usr/bin/env python3
"""Benchmarks, side by side in one run (the machine is shared and noisy: compare ratios).

  benchmark.py compile --bin .build/release MODEL...
      graphc compile time per model (median of --repeat runs) and the plan's report.
  benchmark.py run --bin .build/release [--threads 2] [--batch 1] [--rounds 5] MODEL...
      graphrun --bench vs onnxruntime on the same input, alternating rounds,
      same thread count; medians of per-round medians and the ratio ours/onnxruntime.
Build with `swift build -c release` first.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np


def sh(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {r.stderr.strip()}")
    return r.stdout


def compile_bench(args):
    print(f"{'model':<12} {'compile s':>9} {'steps':>5} {'BN':>3} {'c+r':>4} {'c+a+r':>5} {'g+r':>4} "
          f"{'concat':>6} {'arena MB':>8} {'bound MB':>8} {'naive MB':>8} {'weights MB':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models:
            plan = os.path.join(tmp, "p.plan")
            times, report = [], None
            for _ in range(args.repeat):
                start = time.perf_counter()
                report = json.loads(sh([os.path.join(args.bin, "graphc"), "compile", model, "-o", plan, "--json"]))
                times.append(time.perf_counter() - start)
            f = report["fused"]
            mb = lambda b: b / 1048576
            print(f"{os.path.basename(model):<12} {statistics.median(times):9.3f} {report['steps']:5d} "
                  f"{report['batchnorm_folded']:3d} {f['conv_relu']:4d} {f['conv_add_relu']:5d} {f['gemm_relu']:4d} "
                  f"{report['concat_in_place']:6d} {mb(report['arena_bytes']):8.2f} {mb(report['lower_bound_bytes']):8.2f} "
                  f"{mb(report['naive_bytes']):8.2f} {mb(report['weights_bytes']):10.1f}")


def run_bench(args):
    import onnxruntime as ort
    rng = np.random.default_rng(1)
    print(f"{'model':<12} {'threads':>7} {'batch':>5} {'graphc ms':>10} {'onnxrt ms':>10} {'ratio':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models:
            plan = os.path.join(tmp, "p.plan")
            sh([os.path.join(args.bin, "graphc"), "compile", model, "-o", plan])
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = args.threads
            opts.inter_op_num_threads = 1
            sess = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
            feed = sess.get_inputs()[0]
            x = rng.standard_normal([args.batch] + list(feed.shape[1:])).astype(np.float32)
            xin = os.path.join(tmp, "x.npy")
            np.save(xin, x)
            ours, theirs = [], []
            for _ in range(args.rounds):
                out = json.loads(sh([os.path.join(args.bin, "graphrun"), plan, xin, "--top", "0", "--json",
                                     "--threads", str(args.threads), "--bench", str(args.runs)]))
                ours.append(out["bench"]["median_ms"])
                sess.run(None, {feed.name: x})
                t = []
                for _ in range(args.runs):
                    s = time.perf_counter()
                    sess.run(None, {feed.name: x})
                    t.append((time.perf_counter() - s) * 1000)
                theirs.append(statistics.median(t))
            a, b = statistics.median(ours), statistics.median(theirs)
            print(f"{os.path.basename(model):<12} {args.threads:7d} {args.batch:5d} {a:10.2f} {b:10.2f} {a / b:6.2f}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="what", required=True)
    c = sub.add_parser("compile")
    c.add_argument("--bin", required=True)
    c.add_argument("--repeat", type=int, default=3)
    c.add_argument("models", nargs="+")
    r = sub.add_parser("run")
    r.add_argument("--bin", required=True)
    r.add_argument("--threads", type=int, default=2)
    r.add_argument("--batch", type=int, default=1)
    r.add_argument("--rounds", type=int, default=5)
    r.add_argument("--runs", type=int, default=10)
    r.add_argument("models", nargs="+")
    args = p.parse_args()
    (compile_bench if args.what == "compile" else run_bench)(args)


if __name__ == "__main__":
    sys.exit(main())
