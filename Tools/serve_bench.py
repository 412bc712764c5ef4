#!/usr/bin/env python3
"""Load benchmark of graphserve over loopback (a benchmark, not a test).

For each network, graphserve runs with dynamic batching (--max-batch B) and without
(--max-batch 1), both servers side by side, the rounds alternating between them; N concurrent clients (separate processes, each a tritonclient.http
client sending one image per request as binary tensors) send requests back to back for a
fixed time. Reported per row: requests/s, p50/p99 latency, the mean batch the server ran
(from its /metrics) and errors; beside them graphrun's own throughput (--bench) at batch 1
and batch B on the same plan and threads. The clients share the machine with the server.

  .venv-serve/bin/python Tools/serve_bench.py --bin "$(swift build -c release --show-bin-path)" \\
      --write-md docs/serving.md resnet18 googlenet
"""
import argparse
import json
import multiprocessing
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

from serve_support import Server, make_repository

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def client(url, model, input_name, shape, start_at, duration, queue):
    """One client process: requests back to back from start_at for duration seconds."""
    import tritonclient.http as httpclient
    c = httpclient.InferenceServerClient(url=url, network_timeout=120)
    image = np.random.default_rng(os.getpid()).random(shape, dtype=np.float32)
    x = httpclient.InferInput(input_name, list(shape), "FP32")
    x.set_data_from_numpy(image, binary_data=True)
    latencies, errors = [], 0
    while time.time() < start_at:
        time.sleep(0.001)
    end = start_at + duration
    while time.time() < end:
        t = time.perf_counter()
        try:
            c.infer(model, [x])
            latencies.append(time.perf_counter() - t)
        except Exception:  # counted, not raised: the table reports errors
            errors += 1
    queue.put((latencies, errors))


def metric_sum_count(server, model):
    _, body = server.get("/metrics")
    values = {}
    for line in body.decode().splitlines():
        for key in ("sum", "count"):
            if line.startswith(f'graphserve_batch_size_items_{key}{{model="{model}"}}'):
                values[key] = float(line.rsplit(" ", 1)[1])
    return values.get("sum", 0), values.get("count", 0)


def load(server, model, input_name, shape, clients, duration):
    """One timed run: every latency, the errors, and the batches the server ran (items, count)."""
    queue = multiprocessing.Queue()
    start_at = time.time() + 1.5  # let every client import and connect first
    before = metric_sum_count(server, model)
    procs = [multiprocessing.Process(target=client, args=(server.url, model, input_name, shape, start_at, duration, queue))
             for _ in range(clients)]
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    after = metric_sum_count(server, model)
    return [l for r in results for l in r[0]], sum(r[1] for r in results), after[0] - before[0], after[1] - before[1]


def summarize(runs, clients, duration):
    """Pools the rounds of one row."""
    latencies = np.array(sorted(l for r in runs for l in r[0]))
    items, batches = sum(r[2] for r in runs), sum(r[3] for r in runs)
    return {
        "clients": clients, "requests": len(latencies), "errors": sum(r[1] for r in runs),
        "throughput": len(latencies) / (duration * len(runs)),
        "p50_ms": 1000 * float(np.percentile(latencies, 50)) if len(latencies) else float("nan"),
        "p99_ms": 1000 * float(np.percentile(latencies, 99)) if len(latencies) else float("nan"),
        "mean_batch": items / batches if batches else float("nan"),
    }


def graphrun_throughput(bin_dir, plan, shape, batch, threads, work):
    path = os.path.join(work, f"bench-{batch}.npy")
    np.save(path, np.random.default_rng(0).random((batch, *shape[1:]), dtype=np.float32))
    runs = 20 if batch == 1 else 8
    r = subprocess.run([os.path.join(bin_dir, "graphrun"), plan, path, "--bench", str(runs), "--threads", str(threads), "--json"],
                       check=True, capture_output=True, text=True)
    return json.loads(r.stdout)["bench"]["throughput_per_s"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True)
    parser.add_argument("--clients", default="1,4,16")
    parser.add_argument("--duration", type=float, default=10, help="seconds of load per round of a row")
    parser.add_argument("--rounds", type=int, default=2, help="rounds per row, alternating with and without batching")
    parser.add_argument("--max-batch", type=int, default=8)
    parser.add_argument("--max-queue-delay-us", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--write-md", help="replace the benchmark section of this markdown file")
    parser.add_argument("networks", nargs="+", help="names in Graphs/ (resnet18, googlenet, ...)")
    args = parser.parse_args()
    clients = [int(c) for c in args.clients.split(",")]

    rows, graphrun_rows = [], []
    args.load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="graphserve-bench-") as work:
        repository = make_repository(args.bin, os.path.join(work, "models"),
                                     {n: os.path.join(ROOT, "Graphs", f"{n}.graph") for n in args.networks})
        for network in args.networks:
            plan = os.path.join(repository, network, "plan.bin")
            # Both servers run side by side (an idle one only waits) and the rounds alternate
            # between them, so a change in the machine's load falls on both alike.
            servers = {}
            try:
                for batching in [True, False]:
                    options = ["--threads", str(args.threads), "--max-batch", str(args.max_batch if batching else 1),
                               "--max-queue-delay-us", str(args.max_queue_delay_us), "--log-level", "notice"]
                    servers[batching] = Server(args.bin, repository, os.path.join(work, f"server-{batching}.log"), *options)
                import urllib.request
                meta = json.loads(urllib.request.urlopen(f"http://{servers[True].url}/v2/models/{network}").read())
                input_name, shape = meta["inputs"][0]["name"], [1] + meta["inputs"][0]["shape"][1:]
                for server in servers.values():
                    load(server, network, input_name, shape, 1, min(2.0, args.duration))  # warm-up
                for n in clients:
                    runs = {True: [], False: []}
                    for _ in range(args.rounds):
                        for batching, server in servers.items():
                            runs[batching].append(load(server, network, input_name, shape, n, args.duration))
                    for batching in [True, False]:
                        r = summarize(runs[batching], n, args.duration)
                        r.update(network=network, batching=batching)
                        rows.append(r)
                        print(f"{network:10} batching={'on ' if batching else 'off'} clients={n:3} "
                              f"{r['throughput']:7.1f} req/s  p50 {r['p50_ms']:7.1f} ms  p99 {r['p99_ms']:7.1f} ms  "
                              f"mean batch {r['mean_batch']:4.1f}  errors {r['errors']}", flush=True)
            finally:
                for server in servers.values():
                    server.__exit__(None, None, None)
            for batch in sorted({1, args.max_batch}):
                t = graphrun_throughput(args.bin, plan, shape, batch, args.threads, work)
                graphrun_rows.append((network, batch, t))
                print(f"{network:10} graphrun --bench batch {batch}: {t:7.1f} images/s", flush=True)

    args.load_after = os.getloadavg()[0]
    if args.write_md:
        write_markdown(args, rows, graphrun_rows)
    return 1 if any(r["errors"] for r in rows) else 0


def write_markdown(args, rows, graphrun_rows):
    command = (f".venv-serve/bin/python Tools/serve_bench.py --bin $B --duration {args.duration:g} --rounds {args.rounds} --clients {args.clients} "
               f"--max-batch {args.max_batch} --max-queue-delay-us {args.max_queue_delay_us} --threads {args.threads} "
               f"--write-md docs/serving.md {' '.join(args.networks)}")
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    lines = [
        "<!-- serve_bench:begin (written by Tools/serve_bench.py --write-md; do not edit by hand) -->",
        f"Machine: {cpu}, {os.cpu_count()} CPUs, shared with other work (1-minute load average {args.load_before:.1f} before, "
        f"{args.load_after:.1f} after); {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        f"Server: `--threads {args.threads}`, one session per model; clients: separate processes on the same machine,",
        f"one image per request as binary tensors, back to back; per row {args.rounds} rounds of {args.duration:g} s, alternating",
        "with the other mode's server (both run side by side), pooled.",
        "",
        f"`{command}`",
        "",
        "| network | dynamic batching | clients | requests/s | p50 ms | p99 ms | mean batch run | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['network']} | {'max-batch ' + str(args.max_batch) if r['batching'] else 'off'} | {r['clients']} | "
                     f"{r['throughput']:.1f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['mean_batch']:.2f} | {r['errors']} |")
    lines += ["", "graphrun's own throughput on the same plan and threads (`graphrun PLAN x.npy --bench N`, median run):", "",
              "| network | batch | images/s |", "|---|---:|---:|"]
    lines += [f"| {n} | {b} | {t:.1f} |" for n, b, t in graphrun_rows]
    lines.append("<!-- serve_bench:end -->")
    block = "\n".join(lines)
    text = open(args.write_md).read() if os.path.exists(args.write_md) else ""
    begin, end = "<!-- serve_bench:begin", "<!-- serve_bench:end -->"
    if begin in text and end in text:
        text = text[:text.index(begin)] + block + text[text.index(end) + len(end):]
    else:
        text += "\n" + block + "\n"
    open(args.write_md, "w").write(text)
    print(f"wrote {args.write_md}")


if __name__ == "__main__":
    sys.exit(main())
