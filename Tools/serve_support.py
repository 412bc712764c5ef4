"""Shared by Tools/check_serve.py and Tools/serve_bench.py: make a model repository from
graphs with graphc, and start graphserve on loopback (any free port) and stop it."""
import json
import os
import signal
import subprocess
import time
import urllib.request


def make_repository(bin_dir, folder, models, log=print):
    """models: {name: path of a .graph/.onnx}. Compiles each to folder/NAME/plan.bin."""
    for name, graph in models.items():
        os.makedirs(os.path.join(folder, name), exist_ok=True)
        plan = os.path.join(folder, name, "plan.bin")
        if not os.path.exists(plan):
            log(f"compile {graph} -> {plan}")
            subprocess.run([os.path.join(bin_dir, "graphc"), "compile", graph, "-o", plan], check=True,
                           stdout=subprocess.DEVNULL)
    return folder


class Server:
    """graphserve on 127.0.0.1 with a free port; JSON logs go to `log_path`."""

    def __init__(self, bin_dir, repository, log_path, *options):
        self.log_path = log_path
        self.log = open(log_path, "w")
        self.process = subprocess.Popen(
            [os.path.join(bin_dir, "graphserve"), "--model-repository", repository, "--port", "0",
             "--json-logs", *options],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.port = self._wait_for_port()
        self.url = f"127.0.0.1:{self.port}"

    def _wait_for_port(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"graphserve exited with {self.process.returncode}:\n{open(self.log_path).read()}")
            for line in open(self.log_path):
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if entry.get("msg") == "listening":
                    return int(entry["port"])
            time.sleep(0.05)
        raise RuntimeError("graphserve did not start listening")

    def get(self, path):
        """(status, body bytes) of a GET."""
        try:
            with urllib.request.urlopen(f"http://{self.url}{path}", timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def stop(self, timeout=30):
        """SIGTERM, then wait; returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()
