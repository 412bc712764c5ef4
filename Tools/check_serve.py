#!/usr/bin/env python3
"""graphserve driven by real clients: Triton's own Python client (tritonclient.http, from
PyPI) and curl, against a repository compiled from Graphs/lenet.graph and the trained
digits LeNet (Tests/Fixtures/digits/lenet-digits.onnx).

Checks: health, server/model metadata, config and repository index as tritonclient reads
them; inference with binary and with JSON tensors equal bit for bit to graphrun on the same
input; the classification extension; concurrent requests batched together and still equal
to graphrun on each alone; errors (malformed JSON, wrong shape or datatype, unknown model
or version, oversized body, a client that disconnects mid-body or before its answer) with
the right status while the server keeps serving and leaks no in-flight request; and a
graceful drain on SIGTERM (the request in flight finishes, readiness and new requests get
503, exit status 0).

Usage: .venv-serve/bin/python Tools/check_serve.py --bin "$(swift build -c release --show-bin-path)"
(Tools/setup.sh --serve makes .venv-serve.)
"""
import argparse
import concurrent.futures
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

from serve_support import Server, make_repository

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)


def graphrun(bin_dir, plan, images, folder):
    """graphrun's logits for `images` run as one batch."""
    path = os.path.join(folder, f"in-{images.shape[0]}-{abs(hash(images.tobytes()))}.npy")
    out = path.replace("in-", "out-")
    np.save(path, np.ascontiguousarray(images, dtype=np.float32))
    subprocess.run([os.path.join(bin_dir, "graphrun"), plan, path, "-o", out], check=True, stdout=subprocess.DEVNULL)
    return np.load(out)


def status_of(call):
    """The HTTP status tritonclient reports for a failing call (None if it succeeded)."""
    try:
        call()
    except InferenceServerException as e:
        return e.status(), e.message()
    return None, None


def curl(url, *args):
    """(status, body) of a curl call."""
    r = subprocess.run(["curl", "-s", "-o", "-", "-w", "\n%{http_code}", *args, url], capture_output=True)
    body, _, code = r.stdout.rpartition(b"\n")
    return int(code or 0), body


def infer_input(name, array, binary):
    i = httpclient.InferInput(name, list(array.shape), "FP32")
    i.set_data_from_numpy(array, binary_data=binary)
    return i


def metric(server, line_prefix):
    _, body = server.get("/metrics")
    for line in body.decode().splitlines():
        if line.startswith(line_prefix):
            return float(line.rsplit(" ", 1)[1])
    return None


def client_checks(server, bin_dir, repository, work, images, labels):
    client = httpclient.InferenceServerClient(url=server.url)
    check(client.is_server_live(), "tritonclient: server live")
    check(client.is_server_ready(), "tritonclient: server ready")
    meta = client.get_server_metadata()
    check(meta["name"] == "graphserve" and "binary_tensor_data" in meta["extensions"], f"server metadata {meta}")
    index = client.get_model_repository_index()
    check(sorted(m["name"] for m in index) == ["digits", "lenet"], f"repository index {index}")

    for model in ["lenet", "digits"]:
        plan = os.path.join(repository, model, "plan.bin")
        check(client.is_model_ready(model) and client.is_model_ready(model, "1"), f"{model}: ready (and version 1)")
        md = client.get_model_metadata(model)
        name_in, name_out = md["inputs"][0]["name"], md["outputs"][0]["name"]
        check(md["inputs"][0]["shape"] == [-1, 1, 28, 28] and md["outputs"][0]["shape"] == [-1, 10]
              and md["inputs"][0]["datatype"] == "FP32", f"{model}: metadata {md}")
        config = client.get_model_config(model)
        check(config["max_batch_size"] == 8 and config["input"][0]["dims"] == [1, 28, 28], f"{model}: config max_batch_size 8, dims [1, 28, 28]")

        batch = images[:4]
        expected = graphrun(bin_dir, plan, batch, work)
        for binary in [True, False]:
            result = client.infer(model, [infer_input(name_in, batch, binary)],
                                  outputs=[httpclient.InferRequestedOutput(name_out, binary_data=binary)], request_id="r-1")
            got = result.as_numpy(name_out)
            check(got is not None and got.dtype == np.float32 and got.shape == (4, 10) and np.array_equal(got, expected),
                  f"{model}: infer with {'binary' if binary else 'JSON'} tensors equals graphrun bit for bit")
            check(result.get_response()["id"] == "r-1", f"{model}: the request id comes back")
        # No requested outputs: tritonclient asks for every output in binary.
        got = client.infer(model, [infer_input(name_in, batch, True)]).as_numpy(name_out)
        check(np.array_equal(got, expected), f"{model}: infer without requested outputs")

        top = client.infer(model, [infer_input(name_in, batch, True)],
                           outputs=[httpclient.InferRequestedOutput(name_out, class_count=3)]).as_numpy(name_out)
        best = [row[0].decode().split(":") for row in top]
        check(top.shape == (4, 3) and [int(b[1]) for b in best] == list(expected.argmax(axis=1))
              and all(b[2] == f"digit {b[1]}" for b in best), f"{model}: classification top-3 with labels {best}")
        if model == "digits":
            check([int(b[1]) for b in best] == list(labels[:4]), f"digits: the trained model classifies its test digits {labels[:4]}")

        # Concurrent single images: batched by the server (max-batch 8), each still equal to graphrun on it alone.
        count = 24
        before = metric(server, f'graphserve_batch_size_items_count{{model="{model}"}}') or 0
        alone = [graphrun(bin_dir, plan, images[i:i + 1], work) for i in range(count)]

        def one(i):
            c = httpclient.InferenceServerClient(url=server.url)
            return c.infer(model, [infer_input(name_in, images[i:i + 1], True)]).as_numpy(name_out)

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            results = list(pool.map(one, range(count)))
        check(all(np.array_equal(r, a) for r, a in zip(results, alone)),
              f"{model}: {count} concurrent requests equal graphrun on each image alone")
        batches = metric(server, f'graphserve_batch_size_items_count{{model="{model}"}}') - before
        check(batches < count, f"{model}: the {count} concurrent requests ran in {batches:.0f} batches")

    # Errors through tritonclient.
    good = infer_input("input", images[:1], True)
    status, _ = status_of(lambda: client.infer("nosuch", [good]))
    check(status == "404", f"tritonclient: unknown model -> {status}")
    status, _ = status_of(lambda: client.get_model_metadata("lenet", "7"))
    check(status == "404", f"tritonclient: unknown version -> {status}")
    status, message = status_of(lambda: client.infer("lenet", [infer_input("input", images[0], True)]))
    check(status == "400" and "expected [-1, 1, 28, 28]" in message, f"tritonclient: wrong shape -> {status} {message}")
    wrong = httpclient.InferInput("input", [1, 1, 28, 28], "BYTES")
    wrong.set_data_from_numpy(np.array([b"x"] * 784, dtype=np.object_).reshape(1, 1, 28, 28))
    status, message = status_of(lambda: client.infer("lenet", [wrong]))
    check(status == "400" and "BYTES" in message, f"tritonclient: BYTES datatype -> {status} {message}")
    ints = httpclient.InferInput("input", [1, 1, 28, 28], "INT32")
    ints.set_data_from_numpy(np.round(images[:1]).astype(np.int32), binary_data=True)
    got = client.infer("lenet", [ints]).as_numpy("logits")
    check(np.array_equal(got, graphrun(bin_dir, os.path.join(repository, "lenet", "plan.bin"), np.round(images[:1]), work)),
          "tritonclient: INT32 input converted to FP32")


def curl_checks(server, images):
    base = f"http://{server.url}"
    infer = f"{base}/v2/models/lenet/infer"
    status, body = curl(infer, "-d", '{"inputs": [')
    check(status == 400 and json.loads(body)["error"].startswith("malformed JSON at byte"), f"curl: malformed JSON -> {status} {body[:80]}")
    request = {"inputs": [{"name": "input", "shape": [1, 1, 28, 28], "datatype": "FP32", "data": images[0].flatten().tolist()}]}
    request["inputs"][0]["datatype"] = "STRING"
    status, body = curl(infer, "-d", json.dumps(request))
    check(status == 400 and "datatype 'STRING'" in json.loads(body)["error"], f"curl: unknown datatype -> {status}")
    request["inputs"][0]["datatype"] = "FP32"
    request["inputs"][0]["shape"] = [1, 28, 28, 1]
    status, body = curl(infer, "-d", json.dumps(request))
    check(status == 400 and "expected [-1, 1, 28, 28]" in json.loads(body)["error"], f"curl: wrong shape -> {status}")
    status, body = curl(f"{base}/v2/models/nosuch/infer", "-d", "{}")
    check(status == 404 and "unknown model 'nosuch'" in json.loads(body)["error"], f"curl: unknown model -> {status}")
    status, _ = curl(f"{base}/v2/models/lenet/versions/2/infer", "-d", "{}")
    check(status == 404, f"curl: unknown version -> {status}")
    status, _ = curl(f"{base}/nothing/here")
    check(status == 404, f"curl: unknown route -> {status}")
    status, _ = curl(infer)
    check(status == 405, f"curl: GET on infer -> {status}")
    big = os.path.join(tempfile.gettempdir(), f"graphserve-big-{os.getpid()}.json")
    with open(big, "wb") as f:
        f.write(b'{"inputs": [' + b" " * 3_000_000 + b"]}")
    status, body = curl(infer, "--data-binary", f"@{big}", "-H", "Content-Type: application/json")
    os.remove(big)
    check(status == 413, f"curl: 3 MB body over --max-body-bytes 2000000 -> {status}")
    status, body = curl(f"{base}/v2/health/ready")
    check(status == 200, f"curl: still ready after the errors -> {status}")


def disconnect_checks(server, images):
    """Clients that go away: mid-body, and after a whole request but before the answer."""
    host, port = "127.0.0.1", server.port
    body = json.dumps({"inputs": [{"name": "input", "shape": [1, 1, 28, 28], "datatype": "FP32",
                                   "data": images[0].flatten().tolist()}]}).encode()
    head = (f"POST /v2/models/lenet/infer HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    for cut in [len(body) // 2, len(body)]:
        for _ in range(5):
            s = socket.create_connection((host, port))
            s.sendall(head + body[:cut])
            s.close()
    time.sleep(0.5)
    client = httpclient.InferenceServerClient(url=server.url)
    got = client.infer("lenet", [infer_input("input", images[:1], True)]).as_numpy("logits")
    check(got is not None and got.shape == (1, 10), "disconnects: the server keeps serving")
    deadline = time.time() + 10
    while metric(server, "graphserve_inference_requests_in_flight") != 0 and time.time() < deadline:
        time.sleep(0.1)
    check(metric(server, "graphserve_inference_requests_in_flight") == 0, "disconnects: no request left in flight")


def drain_check(bin_dir, repository, work, images):
    """SIGTERM while a request waits in the queue: it finishes; readiness and new requests get 503; exit 0."""
    log = os.path.join(work, "drain.log")
    # The request waits 3 s in the queue; SIGTERM at 0.3 s; draining until 2.3 s, then the listener
    # closes with the request still in flight.
    server = Server(bin_dir, repository, log, "--max-batch", "64", "--max-queue-delay-us", "3000000", "--drain-delay-ms", "2000")
    results = {}

    def slow():
        c = httpclient.InferenceServerClient(url=server.url, network_timeout=30)
        results["slow"] = c.infer("lenet", [infer_input("input", images[:1], True)]).as_numpy("logits")

    t = threading.Thread(target=slow)
    t.start()
    time.sleep(0.3)
    server.process.send_signal(15)
    time.sleep(0.2)
    ready, _ = server.get("/v2/health/ready")
    status, _ = status_of(lambda: httpclient.InferenceServerClient(url=server.url).infer("lenet", [infer_input("input", images[:1], True)]))
    t.join(timeout=30)
    code = server.stop()
    check(ready == 503, f"drain: readiness during the drain -> {ready}")
    check(status == "503", f"drain: a new request during the drain -> {status}")
    check("slow" in results and results["slow"].shape == (1, 10), "drain: the request in flight finished")
    check(code == 0, f"drain: exit status {code}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True, help="folder with graphc, graphrun and graphserve")
    args = parser.parse_args()
    images = np.load(os.path.join(ROOT, "Tests/Fixtures/digits/digits-test-images.npy"))
    labels = np.load(os.path.join(ROOT, "Tests/Fixtures/digits/digits-test-labels.npy"))
    with tempfile.TemporaryDirectory(prefix="graphserve-check-") as work:
        repository = make_repository(args.bin, os.path.join(work, "models"), {
            "lenet": os.path.join(ROOT, "Graphs/lenet.graph"),
            "digits": os.path.join(ROOT, "Tests/Fixtures/digits/lenet-digits.onnx"),
        })
        for model in ["lenet", "digits"]:
            with open(os.path.join(repository, model, "labels.txt"), "w") as f:
                f.write("".join(f"digit {d}\n" for d in range(10)))
        log = os.path.join(work, "server.log")
        with Server(args.bin, repository, log, "--max-batch", "8", "--max-queue-delay-us", "50000",
                    "--max-body-bytes", "2000000", "--threads", "1") as server:
            client_checks(server, args.bin, repository, work, images, labels)
            curl_checks(server, images)
            disconnect_checks(server, images)
            code = server.stop()
            check(code == 0, f"SIGTERM: exit status {code}")
        drain_check(args.bin, repository, work, images)
        if failures:
            print(open(log).read()[-4000:])
    print(f"{len(failures)} failure(s)" if failures else "all graphserve checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
