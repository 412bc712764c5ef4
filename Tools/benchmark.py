#!/usr/bin/env python3
"""Benchmarks, side by side in one run (the machine is shared and noisy: compare ratios).

  benchmark.py compile --bin .build/release MODEL...
      graphc compile time per model (median of --repeat runs) and the plan's report.
  benchmark.py run --bin .build/release [--threads 1,2] [--batch 1,8] [--rounds 5] [--runs 10]
                   [--quick] [--write-md docs/benchmarks.md] MODEL...
      graphrun vs onnxruntime (and OpenVINO when `import openvino` works) on the same input:
      every timed run is its own process (`graphrun --bench`, or this script's `_ort`/`_ov`
      helper), started under `chrt -f 10` when running as root, with a short sleep between
      processes; engines alternate (their order flips every round) across all thread/batch
      settings; each process reports the median of its runs after warm-up, and the table shows
      the median over rounds. The machine's single-core FMA peak is measured in the same run
      (a tiny C loop of independent FMA chains at the CPU's widest, AVX-512 or AVX2, compiled on the fly; before and after the
      rounds, the larger kept), and whole-network GFLOP/s are given as % of threads x that peak.
      --quick: 3 rounds of 5 runs, batch 1 only (CI-sized; the full table takes minutes).
      --section NAME: with --write-md, write the table as its own section of the file (between
      `<!-- NAME:begin -->` and `<!-- NAME:end -->` markers), leaving the rest as it is; a run
      without --section rewrites the file's main table and keeps the sections.
  benchmark.py layers --bin .build/release [--threads 1] [--batch 1] [--runs 20] MODEL
      Where the time goes, against onnxruntime's own profiler: graphrun's per-step times
      (`--profile`) and onnxruntime's per-node times (`enable_profiling`), each the median over
      --runs runs in its own process, summed per kind of layer (conv, pool, dense, ...) and
      output shape, since the two engines name, fuse and order their nodes differently. Rows
      sorted by the time graphrun loses; onnxruntime's node times leave out its own overhead.
  benchmark.py export-families DIR [--resolution 224] [--families a,b]
      Exports the modern families (MobileNet-V2, MobileNet-V3-large, EfficientNet-B0, ConvNeXt-T;
      torchvision, seeded weights, TorchScript opset 17, as Tools/check_families.py builds them)
      to DIR/<family>.onnx for `run`. Needs torch (Tools/setup.sh --torch).
Build with `swift build -c release` first. The families' table in docs/benchmarks.md:
  benchmark.py export-families /tmp/families
  benchmark.py run --bin $B --batch 1 --section modern-families --write-md docs/benchmarks.md \
      /tmp/families/mobilenet_v2.onnx /tmp/families/mobilenet_v3_large.onnx \
      /tmp/families/efficientnet_b0.onnx /tmp/families/convnext_tiny.onnx
"""
import argparse
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

GAP_SECONDS = 0.3  # between timed processes, so one's tail does not overlap the next one's start
# The families `export-families` writes (torchvision constructors), in table order.
FAMILIES = ["mobilenet_v2", "mobilenet_v3_large", "efficientnet_b0", "convnext_tiny"]


def sh(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as error:  # a missing or non-executable program (a --bin without graphc, ...)
        raise RuntimeError(f"{cmd[0]}: {error.strerror}") from None
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


# MARK: - Timed processes

class Priority:
    """Runs timed processes at real-time priority (`chrt -f 10`) when that works, else plainly, saying why."""

    def __init__(self, enabled):
        self.prefix, self.note = [], "normal priority (--no-realtime)"
        if not enabled:
            return
        if os.geteuid() != 0:
            self.note = "normal priority: not root, so no `chrt -f 10` (timings are noisier)"
        elif not shutil.which("chrt"):
            self.note = "normal priority: `chrt` not found (util-linux)"
        elif subprocess.run(["chrt", "-f", "10", "true"], capture_output=True).returncode != 0:
            self.note = "normal priority: `chrt -f 10` refused (no CAP_SYS_NICE or RT budget in this container)"
        else:
            self.prefix, self.note = ["chrt", "-f", "10"], "SCHED_FIFO priority 10 (`chrt -f 10`)"

    def run(self, cmd):
        out = sh(self.prefix + cmd)
        time.sleep(GAP_SECONDS)
        return out


PEAK_C = r"""
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#ifdef WIDE512  /* AVX-512: 16 lanes per FMA */
typedef __m512 V;
#define SET1 _mm512_set1_ps
#define FMA _mm512_fmadd_ps
#define ADD _mm512_add_ps
#define STORE _mm512_storeu_ps
#define LANES 16
#else  /* AVX2 + FMA: 8 lanes */
typedef __m256 V;
#define SET1 _mm256_set1_ps
#define FMA _mm256_fmadd_ps
#define ADD _mm256_add_ps
#define STORE _mm256_storeu_ps
#define LANES 8
#endif
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
int main(int argc, char **argv) {
  long iters = argc > 1 ? atol(argv[1]) : 50000000;
  V b = SET1(0.9999999f), c = SET1(1e-7f);
  V a[12];
  for (int i = 0; i < 12; i++) a[i] = SET1(1.0f + i);
  double best = 0;
  for (int rep = 0; rep < 5; rep++) {
    V a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3], a4 = a[4], a5 = a[5];
    V a6 = a[6], a7 = a[7], a8 = a[8], a9 = a[9], a10 = a[10], a11 = a[11];
    double t0 = now();
    for (long i = 0; i < iters; i++) {  /* 12 independent chains cover FMA latency x 2 pipes */
      a0 = FMA(a0, b, c); a1 = FMA(a1, b, c); a2 = FMA(a2, b, c); a3 = FMA(a3, b, c);
      a4 = FMA(a4, b, c); a5 = FMA(a5, b, c); a6 = FMA(a6, b, c); a7 = FMA(a7, b, c);
      a8 = FMA(a8, b, c); a9 = FMA(a9, b, c); a10 = FMA(a10, b, c); a11 = FMA(a11, b, c);
    }
    double t = now() - t0, g = iters * 12.0 * 2.0 * LANES / t / 1e9;  /* LANES x (mul + add) per FMA */
    if (g > best) best = g;
    a[0] = a0; a[1] = a1; a[2] = a2; a[3] = a3; a[4] = a4; a[5] = a5;
    a[6] = a6; a[7] = a7; a[8] = a8; a[9] = a9; a[10] = a10; a[11] = a11;
  }
  float out[LANES]; V s = a[0];
  for (int i = 1; i < 12; i++) s = ADD(s, a[i]);
  STORE(out, s);
  printf("%.2f %g\n", best, out[0]);
  return 0;
}
"""


# One cache line bounced between two threads pinned to two CPUs: the one-way time in ns. On a
# shared 2-vCPU VM it read 26-45 ns or 161-190 ns for minutes at a time (the vCPUs on one CCD or on
# two); in the second state 2-thread runs that share data slow down (docs/benchmarks.md).
PINGPONG_C = r"""
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#define ROUNDS 20000
static _Alignas(64) atomic_int flag;
#include <stdlib.h>
static int pin(int cpu) { cpu_set_t s; CPU_ZERO(&s); CPU_SET(cpu, &s); return pthread_setaffinity_np(pthread_self(), sizeof s, &s); }
static void *other(void *arg) {
  for (int i = 0; i < ROUNDS; i++) {
    while (atomic_load_explicit(&flag, memory_order_acquire) != 2 * i + 1) {}
    atomic_store_explicit(&flag, 2 * i + 2, memory_order_release);
  }
  return 0;
}
int main(int argc, char **argv) {  /* pingpong CPU_A CPU_B */
  if (argc != 3 || pin(atoi(argv[1])) != 0) return 1;
  /* Created on its CPU already: a thread started beside a spinning one may never run there. */
  pthread_attr_t attr;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(atoi(argv[2]), &one);
  pthread_attr_init(&attr);
  pthread_attr_setaffinity_np(&attr, sizeof one, &one);
  pthread_t t;
  if (pthread_create(&t, &attr, other, 0) != 0) return 1;
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (int i = 0; i < ROUNDS; i++) {
    atomic_store_explicit(&flag, 2 * i + 1, memory_order_release);
    while (atomic_load_explicit(&flag, memory_order_acquire) != 2 * i + 2) {}
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  pthread_join(t, 0);
  printf("%.0f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / ROUNDS / 2);
  return 0;
}
"""
FAR_NS = 100  # above this, the two CPUs do not share a cache


def compile_c(tmp, name, source, flags):
    """Builds `source` as `tmp/name` with `cc -O2 flags`; returns (path, None), or (None, why not)."""
    cc = next((c for c in ("cc", "gcc", "clang") if shutil.which(c)), None)
    if cc is None:
        return None, "no C compiler (cc/gcc/clang)"
    src, exe = os.path.join(tmp, name + ".c"), os.path.join(tmp, name)
    with open(src, "w") as f:
        f.write(source)
    r = subprocess.run([cc, "-O2", *flags, src, "-o", exe], capture_output=True, text=True)
    if r.returncode != 0:
        return None, f"{cc} failed: {r.stderr.strip()[:200]}"
    return exe, None


def pingpong_cpus():
    """The first two CPUs this process may run on (the probe's and the timed processes'), or None."""
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    return cpus[:2] if len(cpus) >= 2 else None


def peak_isa():
    """The widest FMA the CPU has, as the kernels use it: (name, C intrinsic, cc flags), or None."""
    flags = cpu_flags()
    if "avx512f" in flags:
        return "AVX-512", "_mm512_fmadd_ps", ["-mavx512f", "-DWIDE512"]
    if {"avx2", "fma"} <= flags:
        return "AVX2", "_mm256_fmadd_ps", ["-mavx2", "-mfma"]
    return None


def build_peak_probe(tmp):
    """Compiles the FMA loop at the CPU's widest FMA (AVX-512 where present: graphrun's kernels and
    onnxruntime's use it there, and on a CPU with full-width units it doubles the peak); returns its
    path, or None (and why) when there is no C compiler or no AVX2+FMA."""
    isa = peak_isa()
    if isa is None:
        return None, "no AVX2+FMA on this CPU"
    return compile_c(tmp, "peak", PEAK_C, isa[2])


def cpu_flags():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


# MARK: - Engines (each timed run is one process printing {"median_ms": ...})

def ort_session(model, threads, profile_prefix=None):
    """onnxruntime on the CPU with `threads` intra-op threads (inter-op 1), profiling when given a prefix."""
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    if profile_prefix:
        opts.enable_profiling = True
        opts.profile_file_prefix = profile_prefix
    return ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])


def random_item(model, rng):
    """One item of random input, `[1] + the model's input item shape` (as onnxruntime reads it)."""
    item = [int(d) for d in ort_session(model, 1).get_inputs()[0].shape[1:]]
    return rng.standard_normal([1] + item).astype(np.float32)


def ort_helper(args):
    sess = ort_session(args.model, args.threads)
    feed = {sess.get_inputs()[0].name: np.load(args.input)}
    print(json.dumps({"median_ms": timed(lambda: sess.run(None, feed), args.runs)}))


def ov_helper(args):
    import openvino as ov
    core = ov.Core()
    compiled = core.compile_model(core.read_model(args.model), "CPU", {
        "INFERENCE_NUM_THREADS": args.threads, "PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f32"})
    request = compiled.create_infer_request()
    x = np.load(args.input)
    print(json.dumps({"median_ms": timed(lambda: request.infer({0: x}), args.runs)}))


def ort_profile_helper(args):
    """One process: onnxruntime's per-node median ms (after a warm-up run) as JSON rows."""
    sess = ort_session(args.model, args.threads, os.path.join(tempfile.gettempdir(), f"graphc-layers-{os.getpid()}"))
    feed = {sess.get_inputs()[0].name: np.load(args.input)}
    for _ in range(args.runs + 1):
        sess.run(None, feed)
    path = sess.end_profiling()
    with open(path) as f:
        events = json.load(f)
    os.remove(path)
    times, nodes = {}, {}
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            times.setdefault(e["name"], []).append(e["dur"] / 1000)
            shapes = e["args"].get("output_type_shape") or [{}]
            nodes[e["name"]] = (e["args"].get("op_name", "?"), next(iter(shapes[0].values()), []))
    print(json.dumps([{"op": nodes[n][0], "shape": nodes[n][1], "median_ms": statistics.median(t[1:] or t)}
                      for n, t in times.items()]))


# onnxruntime's op types by the kind graphrun's profile gives the same layer.
ORT_KINDS = {"Conv": "conv", "FusedConv": "conv", "NchwcConv": "conv", "MaxPool": "pool", "AveragePool": "pool",
             "NchwcMaxPool": "pool", "NchwcAveragePool": "pool", "Gemm": "dense", "FusedGemm": "dense",
             "MatMul": "dense", "GlobalAveragePool": "global-pool", "GlobalMaxPool": "global-pool",
             "NchwcGlobalAveragePool": "global-pool"}


def layer_bench(args):
    priority = Priority(not args.no_realtime)
    graphc, graphrun = os.path.join(args.bin, "graphc"), os.path.join(args.bin, "graphrun")
    with tempfile.TemporaryDirectory() as tmp:
        plan, x = os.path.join(tmp, "model.plan"), os.path.join(tmp, "input.npy")
        sh([graphc, "compile", args.model, "-o", plan])
        rng = np.random.default_rng(1)
        np.save(x, np.concatenate([random_item(args.model, rng) for _ in range(args.batch)]))
        ours = json.loads(priority.run([graphrun, plan, x, "--json", "--top", "0", "--profile", "--bench", str(args.runs),
                                        "--threads", str(args.threads)]))["profile"]["steps"]
        theirs = json.loads(priority.run([sys.executable, os.path.abspath(__file__), "_ortprofile", args.model, x,
                                          str(args.threads), str(args.runs)]))
    groups = {}
    for kind, shape, ms, engine in [(s["kind"], s["output_shape"], s["median_ms"], 0) for s in ours] + \
            [(ORT_KINDS.get(n["op"], n["op"]), n["shape"], n["median_ms"], 1) for n in theirs]:
        g = groups.setdefault((kind, "x".join(map(str, shape))), [0.0, 0.0, 0, 0])
        g[engine] += ms
        g[2 + engine] += 1
    total = [sum(g[0] for g in groups.values()), sum(g[1] for g in groups.values())]
    print(f"{os.path.basename(args.model)}, batch {args.batch}, {args.threads} thread(s), median of {args.runs} runs per layer, "
          f"{priority.note}")
    print(f"sum of layers: graphrun {total[0]:.2f} ms, onnxruntime {total[1]:.2f} ms (its nodes only)")
    print(f"{'kind':12s} {'output shape':18s} {'layers':>7s} {'graphrun ms':>11s} {'ORT ms':>8s} {'ratio':>6s} {'lost ms':>8s}")
    for (kind, shape), (a, b, na, nb) in sorted(groups.items(), key=lambda kv: kv[1][1] - kv[1][0]):
        ratio = f"{a / b:6.2f}" if b > 0 else "     -"
        print(f"{kind:12s} {shape:18s} {na:>3d}/{nb:<3d} {a:11.3f} {b:8.3f} {ratio} {a - b:8.3f}")


def timed(fn, runs):
    """Median ms of `runs` calls after graphrun's warm-up (min(3, runs) calls)."""
    for _ in range(min(3, runs)):
        fn()
    t = []
    for _ in range(runs):
        s = time.perf_counter()
        fn()
        t.append((time.perf_counter() - s) * 1000)
    return statistics.median(t)


def openvino_version():
    r = subprocess.run([sys.executable, "-c", "import openvino; print(openvino.__version__)"], capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


def onnx_copy(model, tmp):
    """OpenVINO picks its ONNX reader by extension: link the .graph as .onnx next to its external weights.
    The weights are hard-linked (copied across file systems): OpenVINO refuses external data whose
    resolved path lies outside the model's folder, so a symlink will not do."""
    folder = os.path.join(tmp, "ov-" + os.path.basename(model))
    os.makedirs(folder, exist_ok=True)
    stem = os.path.splitext(os.path.basename(model))[0]
    for name in os.listdir(os.path.dirname(os.path.abspath(model))):
        if name.startswith(stem + ".") and not name.endswith(".graph"):
            target = os.path.join(folder, name)
            if not os.path.exists(target):
                source = os.path.join(os.path.dirname(os.path.abspath(model)), name)
                try:
                    os.link(source, target)
                except OSError:
                    shutil.copyfile(source, target)
    link = os.path.join(folder, stem + ".onnx")
    if not os.path.exists(link):
        os.symlink(os.path.abspath(model), link)
    return link


# MARK: - run

def run_bench(args):
    import onnxruntime as ort
    threads = [int(t) for t in args.threads.split(",")]
    batches = [int(b) for b in args.batch.split(",")]
    if args.quick:
        args.rounds, args.runs, batches = min(args.rounds, 3), min(args.runs, 5), [1]
    priority = Priority(not args.no_realtime)
    ov_version = None if args.no_openvino else openvino_version()
    engines = ["graphrun", "onnxruntime"] + (["openvino"] if ov_version else [])
    print(f"timed processes: {priority.note}; engines: {', '.join(engines)}"
          + ("" if ov_version or args.no_openvino else " (OpenVINO not installed: `import openvino` failed)"), flush=True)
    me = os.path.abspath(__file__)
    graphc, graphrun = os.path.join(args.bin, "graphc"), os.path.join(args.bin, "graphrun")
    rng = np.random.default_rng(1)
    started = datetime.datetime.now(datetime.timezone.utc)

    with tempfile.TemporaryDirectory() as tmp:
        probe, why_no_peak = build_peak_probe(tmp)
        peaks = []

        def measure_peak():
            if probe:
                peaks.append(float(priority.run([probe]).split()[0]))

        measure_peak()
        cpus = pingpong_cpus()
        pingpong = compile_c(tmp, "pingpong", PINGPONG_C, ["-pthread"])[0] if cpus else None

        def cross_core_ns():
            """The probe's one-way time before a multi-threaded group of processes, or None."""
            if not pingpong:
                return None
            # At normal priority (two real-time threads spinning would starve anything else) and bounded.
            try:
                r = subprocess.run([pingpong, *map(str, cpus)], capture_output=True, text=True, timeout=10)
            except subprocess.TimeoutExpired:
                return None
            return float(r.stdout) if r.returncode == 0 and r.stdout.strip() else None

        # Per model: plan, inputs per batch, FLOPs per item (conv + dense, from graphrun's profile).
        models = []
        for model in args.models:
            name = os.path.splitext(os.path.basename(model))[0]
            plan = os.path.join(tmp, name + ".plan")
            sh([graphc, "compile", model, "-o", plan])
            x1 = random_item(model, rng)
            inputs = {}
            for b in batches:
                inputs[b] = os.path.join(tmp, f"{name}-b{b}.npy")
                np.save(inputs[b], np.concatenate([x1] * b) if b > 1 else x1)
            profile = json.loads(sh([graphrun, plan, inputs[1] if 1 in inputs else inputs[batches[0]], "--json", "--top", "0",
                                     "--profile", "--bench", "1"]))["profile"]
            flops = sum(s["flops"] for s in profile["steps"] if s["kind"] in ("conv", "dense")) / profile["batch"]
            models.append(dict(name=name, path=model, plan=plan, inputs=inputs, flops=flops,
                               ov_model=onnx_copy(model, tmp) if ov_version else None))

        configs = [(m, t, b) for m in models for b in batches for t in threads]
        times = {(m["name"], t, b, e): [] for m, t, b in configs for e in engines}
        latency = {(m["name"], t, b): [] for m, t, b in configs}
        for r in range(args.rounds):
            for m, t, b in configs:
                if t > 1:
                    ns = cross_core_ns()
                    if ns is not None:
                        latency[(m["name"], t, b)].append(ns)
                order = engines if (r + configs.index((m, t, b))) % 2 == 0 else engines[::-1]
                for e in order:
                    if e == "graphrun":
                        out = json.loads(priority.run([graphrun, m["plan"], m["inputs"][b], "--json", "--top", "0",
                                                       "--threads", str(t), "--bench", str(args.runs)]))
                        ms = out["bench"]["median_ms"]
                    else:
                        helper = "_ort" if e == "onnxruntime" else "_ov"
                        model = m["path"] if e == "onnxruntime" else m["ov_model"]
                        ms = json.loads(priority.run([sys.executable, me, helper, model, m["inputs"][b], str(t), str(args.runs)]))["median_ms"]
                    times[(m["name"], t, b, e)].append(ms)
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr, flush=True)
        measure_peak()

    peak = max(peaks) if peaks else None
    rows = []
    for m, t, b in configs:
        med = {e: statistics.median(times[(m["name"], t, b, e)]) for e in engines}
        row = dict(model=m["name"], threads=t, batch=b, gflop=m["flops"] / 1e9, ms=med,
                   spread={e: (min(times[(m["name"], t, b, e)]), max(times[(m["name"], t, b, e)])) for e in engines})
        row["gflops"] = {e: m["flops"] * b / (med[e] * 1e6) for e in engines}
        # Each round's two processes ran back to back: their ratio cancels the host's slow and fast
        # spells (seen on a shared 2-vCPU VM: the same process took 115 or 165 ms by the minute).
        paired = [g / o for g, o in zip(times[(m["name"], t, b, "graphrun")], times[(m["name"], t, b, "onnxruntime")])]
        row["paired"] = (statistics.median(paired), min(paired), max(paired))
        row["far"] = sum(ns > FAR_NS for ns in latency[(m["name"], t, b)])
        rows.append(row)
    context = dict(
        date=started.strftime("%Y-%m-%d %H:%M UTC"), command="python " + " ".join(shlex.quote(a) for a in sys.argv),
        cpu=cpu_model(), flags=cpu_flags(), cores=os.cpu_count(), kernel=platform.release(), ort=ort.__version__,
        ov=ov_version, priority=priority.note, peak=peak, peaks=peaks, why_no_peak=why_no_peak, rounds=args.rounds,
        runs=args.runs, engines=engines, commit=git_commit(), latency=[ns for v in latency.values() for ns in v],
        cpus=cpus)
    print_table(rows, context)
    if args.write_md:
        write_markdown(args.write_md, markdown(rows, context, args.section), args.section)
        print(f"wrote {args.write_md}" + (f" (section {args.section})" if args.section else ""))


def write_markdown(path, text, section):
    """Writes `text` as the file's main table (keeping its sections) or as its section `section`."""
    old = open(path).read() if os.path.exists(path) else ""
    if section is None:
        kept = [m.group(0) for m in re.finditer(r"<!-- (\S+):begin -->.*?<!-- \1:end -->", old, re.S)]
        new = text.rstrip("\n") + "\n" + "".join("\n" + block + "\n" for block in kept)
    else:
        begin, end = f"<!-- {section}:begin -->", f"<!-- {section}:end -->"
        block = f"{begin}\n{text.rstrip()}\n{end}"
        if begin in old and end in old:
            new = old[:old.index(begin)] + block + old[old.index(end) + len(end):]
        else:
            new = (old.rstrip("\n") + "\n\n" if old else "# Benchmarks\n\n") + block + "\n"
    with open(path, "w") as f:
        f.write(new)


def git_commit():
    here = os.path.dirname(os.path.abspath(__file__))
    r = subprocess.run(["git", "-C", here, "describe", "--always", "--dirty"], capture_output=True, text=True)
    return r.stdout.strip() or "unknown"


def percent(row, e, peak):
    return f"{row['gflops'][e] * 100 / (peak * row['threads']):.0f}%" if peak else "–"


def print_table(rows, c):
    peak = c["peak"]
    print(f"single-core FMA peak: {f'{peak:.1f} GFLOP/s' if peak else 'not measured (' + c['why_no_peak'] + ')'}")
    head = f"{'model':<10} {'thr':>3} {'batch':>5} {'GFLOP':>6} {'graphrun ms':>11} {'ORT ms':>8} {'ratio':>6}"
    if "openvino" in c["engines"]:
        head += f" {'OV ms':>8} {'g/OV':>6}"
    print(head + f" {'paired':>6} {'graphrun GF/s':>13} {'%peak':>6} {'ORT %peak':>9}")
    for r in rows:
        ms = r["ms"]
        line = (f"{r['model']:<10} {r['threads']:>3} {r['batch']:>5} {r['gflop']:6.3g} {ms['graphrun']:11.2f} "
                f"{ms['onnxruntime']:8.2f} {ms['graphrun'] / ms['onnxruntime']:6.2f}")
        if "openvino" in c["engines"]:
            line += f" {ms['openvino']:8.2f} {ms['graphrun'] / ms['openvino']:6.2f}"
        print(line + f" {r['paired'][0]:6.2f} {r['gflops']['graphrun']:13.1f} {percent(r, 'graphrun', peak):>6} "
              f"{percent(r, 'onnxruntime', peak):>9}" + (f"  far cores in {r['far']} round(s)" if r["far"] else ""))


def markdown(rows, c, section=None):
    peak, ov = c["peak"], "openvino" in c["engines"]
    flags = ", ".join(f for f in ("avx2", "fma", "avx512f") if f in c["flags"]) or "none of avx2/fma/avx512f"
    lines = [
        "# Benchmarks" if section is None else "## " + (section[:1].upper() + section[1:]).replace("-", " "),
        "",
        "graphrun against onnxruntime" + (" and OpenVINO" if ov else "") + " on the same inputs, in one run of "
        "`Tools/benchmark.py` (written by its `--write-md`; the machine is shared, so compare ratios within the table, "
        "not with other runs).",
        "",
        f"- **Date**: {c['date']}; graphc commit `{c['commit']}`",
        f"- **Command**: `{c['command']}`",
        f"- **Machine**: {c['cpu']}, {c['cores']} cores (flags: {flags}), Linux {c['kernel']}",
        f"- **Engines**: graphrun (release build), onnxruntime {c['ort']} (CPUExecutionProvider, intra-op threads = "
        "threads, inter-op 1)" + (f", OpenVINO {c['ov']} (CPU, f32, latency hint)" if ov else "; OpenVINO not installed"),
        f"- **Method**: each timed run is its own process, {c['priority']}, {GAP_SECONDS} s apart; engines alternate "
        f"(order flipped every round); each process reports the median of {c['runs']} runs after min(3, runs) warm-up "
        f"runs; the table holds the median over {c['rounds']} round{'s' if c['rounds'] != 1 else ''} "
        "(min–max of the rounds in brackets). *Paired*: the median over rounds of graphrun's time over onnxruntime's "
        "in the same round (the two processes ran back to back), with its range: on a shared host it moves less than "
        "the ratio of medians, and a range that spans 1.00 is a tie.",
    ]
    if peak:
        isa = peak_isa()
        lines.append(
            f"- **FMA peak**: {peak:.1f} GFLOP/s on one core (before/after the rounds: "
            + " / ".join(f"{p:.1f}" for p in c["peaks"]) + f"), from a C loop of 12 independent {isa[0]} "
            f"`{isa[1]}` chains compiled with `cc -O2 {' '.join(isa[2])}` in the same run, best of 5. "
            "% of peak = network GFLOP/s / (threads × that peak).")
    else:
        lines.append(f"- **FMA peak**: not measured ({c['why_no_peak']}).")
    if c["latency"]:
        far = sum(ns > FAR_NS for ns in c["latency"])
        lines.append(
            f"- **Cross-core latency**: one cache line bounced between threads pinned to CPUs {c['cpus'][0]} and {c['cpus'][1]}, one way, before "
            f"each multi-threaded group of processes: {min(c['latency']):.0f}–{max(c['latency']):.0f} ns (median "
            f"{statistics.median(c['latency']):.0f}); {far} of {len(c['latency'])} groups above {FAR_NS} ns (the two CPUs not "
            "sharing a cache, or a busy machine), where threads that share data slow down; † marks the rows with such rounds.")
    lines += [
        "- **GFLOP** per item: convolutions 2·M·(C/g)·KH·KW·OH·OW and dense layers 2·K·N (from `graphrun --profile`; "
        "pooling and element-wise work not counted).",
        "",
    ]
    head = "| network | threads | batch | GFLOP/item | graphrun ms | onnxruntime ms | graphrun / ORT | paired |"
    rule = "|---|---:|---:|---:|---:|---:|---:|---:|"
    if ov:
        head += " OpenVINO ms | graphrun / OV |"
        rule += "---:|---:|"
    head += " graphrun GFLOP/s | graphrun % of peak | ORT % of peak |"
    rule += "---:|---:|---:|"
    lines += [head, rule]
    span = lambda r, e: f"{r['ms'][e]:.2f} ({r['spread'][e][0]:.2f}–{r['spread'][e][1]:.2f})"
    for r in rows:
        ms = r["ms"]
        line = (f"| {r['model']}{' †' if r['far'] else ''} | {r['threads']} | {r['batch']} | {r['gflop']:.3g} | {span(r, 'graphrun')} | "
                f"{span(r, 'onnxruntime')} | **{ms['graphrun'] / ms['onnxruntime']:.2f}** | "
                f"{r['paired'][0]:.2f} ({r['paired'][1]:.2f}–{r['paired'][2]:.2f}) |")
        if ov:
            line += f" {span(r, 'openvino')} | {ms['graphrun'] / ms['openvino']:.2f} |"
        line += f" {r['gflops']['graphrun']:.1f} | {percent(r, 'graphrun', peak)} | {percent(r, 'onnxruntime', peak)} |"
        lines.append(line)
    # Thread scaling and batch throughput, where the table has both settings.
    by = {(r["model"], r["threads"], r["batch"]): r for r in rows}
    scaling = [(m, b) for (m, t, b) in by if t == 1 and (m, 2, b) in by]
    if scaling:
        lines += ["", "1 → 2 threads speedup (time at 1 thread / time at 2):", "",
                  "| network | batch | graphrun | onnxruntime |", "|---|---:|---:|---:|"]
        for m, b in scaling:
            one, two = by[(m, 1, b)]["ms"], by[(m, 2, b)]["ms"]
            lines.append(f"| {m} | {b} | {one['graphrun'] / two['graphrun']:.2f} | {one['onnxruntime'] / two['onnxruntime']:.2f} |")
    batched = [r for r in rows if r["batch"] > 1]
    if batched:
        lines += ["", "Throughput (items/s) at batch > 1:", "",
                  "| network | threads | batch | graphrun | onnxruntime | graphrun / ORT |", "|---|---:|---:|---:|---:|---:|"]
        for r in batched:
            g, o = (r["batch"] * 1000 / r["ms"][e] for e in ("graphrun", "onnxruntime"))
            lines.append(f"| {r['model']} | {r['threads']} | {r['batch']} | {g:.1f} | {o:.1f} | {g / o:.2f} |")
    lines += ["", "Per-step times: `graphrun PLAN INPUT --profile` (and `--profile-json trace.json` for chrome://tracing).", ""]
    return "\n".join(lines)


# MARK: - export-families

def export_families(args):
    """The families at `--resolution`, built and exported as Tools/check_families.py does (TorchScript, opset 17)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import check_families

    families = args.families.split(",")
    unknown = [f for f in families if f not in check_families.FAMILIES and f not in FAMILIES]
    if unknown:
        raise SystemExit(f"unknown families {unknown}")
    os.makedirs(args.dir, exist_ok=True)
    for family in families:
        file = os.path.join(args.dir, family + ".onnx")
        # check_families' entry gives the constructor (and its arguments); the resolution is ours.
        constructor, _, *arguments = check_families.FAMILIES.get(family, (family, None))
        model = check_families.build(constructor, args.resolution, *arguments)
        error = check_families.export(model, args.resolution, "ts17", file)
        if error:
            raise SystemExit(f"{family}: {error}")
        print(f"wrote {file}", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="what", required=True)
    c = sub.add_parser("compile")
    c.add_argument("--bin", required=True)
    c.add_argument("--repeat", type=int, default=3)
    c.add_argument("models", nargs="+")
    r = sub.add_parser("run")
    r.add_argument("--bin", required=True)
    r.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    r.add_argument("--batch", default="1,8", help="comma-separated batch sizes (default 1,8)")
    r.add_argument("--rounds", type=int, default=5)
    r.add_argument("--runs", type=int, default=10, help="timed runs per process, after warm-up")
    r.add_argument("--quick", action="store_true", help="3 rounds of 5 runs, batch 1 only")
    r.add_argument("--no-realtime", action="store_true", help="do not use chrt -f 10")
    r.add_argument("--no-openvino", action="store_true", help="skip OpenVINO even when installed")
    r.add_argument("--write-md", metavar="FILE", help="write the table, machine and command as Markdown")
    r.add_argument("--section", metavar="NAME", help="with --write-md: replace only this section of the file")
    r.add_argument("models", nargs="+")
    y = sub.add_parser("layers")
    y.add_argument("--bin", required=True)
    y.add_argument("--threads", type=int, default=1)
    y.add_argument("--batch", type=int, default=1, help="items per run (default 1)")
    y.add_argument("--runs", type=int, default=20, help="profiled runs per engine (default 20)")
    y.add_argument("--no-realtime", action="store_true", help="do not use chrt -f 10")
    y.add_argument("model")
    e = sub.add_parser("export-families")
    e.add_argument("dir")
    e.add_argument("--resolution", type=int, default=224)
    e.add_argument("--families", default=",".join(FAMILIES), help="comma-separated torchvision constructors")
    for name, fn in (("_ort", ort_helper), ("_ov", ov_helper), ("_ortprofile", ort_profile_helper)):  # one timed process each (internal)
        h = sub.add_parser(name)
        h.add_argument("model")
        h.add_argument("input")
        h.add_argument("threads", type=int)
        h.add_argument("runs", type=int)
        h.set_defaults(fn=fn)
    args = p.parse_args()
    if hasattr(args, "fn"):  # an internal helper process
        args.fn(args)
    elif args.what == "export-families":
        export_families(args)
    elif args.what == "layers":
        layer_bench(args)
    else:
        (compile_bench if args.what == "compile" else run_bench)(args)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RuntimeError as error:  # a command that failed (sh): its message, not a traceback
        sys.exit(f"benchmark.py: {error}")
