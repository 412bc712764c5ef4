#!/usr/bin/env bash
# Everything CI checks, from a fresh clone: set-up, generated code and graphs up
# to date, the Swift test suite, and the cross-checks against the onnx package
# and onnxruntime on every network in Graphs/ and the op-coverage fixtures, the ONNX node tests,
# 1- vs 2-thread bit-identity, the model server against Triton's client and curl,
# the test suite built with AddressSanitizer, and a short fuzz of each file reader under ASan.
set -euo pipefail
cd "$(dirname "$0")/.."
# Each step's heading carries the seconds since the start, so a CI log shows where its time goes.
step() { echo "== [$(printf '%4d' "$SECONDS") s] $*"; }
Tools/setup.sh --python --serve --torch
py=.venv/bin/python

step "generated schema"
Tools/regenerate-schema.sh --check
step "Graphs/ (regenerates the git-ignored weights)"
Tools/make-graphs.sh --check
step "release build"
swift build -c release
bin=$(swift build -c release --show-bin-path)
step "graphc as a versioned dependency of another package"
Tools/check_dependency.sh "$bin"
step "runs into kept outputs allocate nothing (Graphs/ networks, op coverage, three torchvision families; 1 and 2 threads)"
Tools/check_allocations.sh "$bin"
step "the kernel source compiles for aarch64"
Tools/check_kernels_aarch64.sh
step "Examples/ build and run against this checkout"
Tools/check_examples.sh "$bin"
step "DocC catalog (GraphRuntime) builds without warnings"
swift package generate-documentation --target GraphRuntime --warnings-as-errors >/dev/null
step "shapes vs onnx shape inference"
$py Tools/check_shapes_onnx.py "$bin/graphc" Graphs/*.graph Tests/Fixtures/digits/lenet-digits.onnx Tests/Fixtures/opcoverage/opcoverage.onnx Tests/Fixtures/opcoverage/opcoverage-modern.onnx
step "Graphs/ load and run in onnxruntime"
$py Tools/check_onnxruntime_load.py
step "outputs vs onnxruntime (batch 1 and 4)"
$py Tools/check_onnxruntime.py --bin "$bin" --batches 1,4 Graphs/*.graph Tests/Fixtures/digits/lenet-digits.onnx
step "op coverage vs onnxruntime (batch 1 and 3; Tests/Fixtures/opcoverage, current with Tools/make_opcoverage.py)"
$py Tools/check_opcoverage.py --bin "$bin" --batches 1,3
step "ONNX node tests of the supported ops; a test that passes in docs/conformance.md must still pass (Tools/check_node_tests.py)"
$py Tools/check_node_tests.py --bin "$bin" --expect docs/conformance.md
step "modern CNN families vs onnxruntime and PyTorch, fast subset (full sweep: Tools/check_families.py, docs/conformance.md)"
$py Tools/check_families.py --bin "$bin" --families fast
step "1- vs 2-thread bit-identity (batch 1 and 2)"
$py Tools/check_threads.py --bin "$bin" --batches 1,2 Graphs/resnet18.graph Graphs/googlenet.graph
step "graphserve driven by tritonclient and curl (Tools/check_serve.py), deploy/ manifests parse"
.venv-serve/bin/python Tools/check_serve.py --bin "$bin"
.venv-serve/bin/python -c 'import sys, yaml; [list(yaml.safe_load_all(open(f))) for f in sys.argv[1:]]; print(len(sys.argv) - 1, "manifests parse")' deploy/*.yaml
step "swift test"
# XCTest only: the suite has no Swift Testing tests, whose empty run would otherwise print the last line.
swift test --disable-swift-testing
step "swift test under AddressSanitizer (.build-asan), but CompiledNetworkTests and LargeGraphTests (docs/fuzzing.md)"
# Its own scratch path, so the sanitized objects never mix with .build. The two suites left out
# compile the big Graphs/ networks and 100k-node graphs: half the sanitized run's time, and code
# the other suites reach at small sizes. The full run: docs/fuzzing.md. Swift's backtracer
# misreports under ASan; LSan's report at exit lists XCTest's and Foundation's own allocations.
# Two workers (one test per process): 290 s instead of 440 s serially. The plain run above stays
# serial, so its "skipping ... this CPU does not run it" lines show in the log.
SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 swift test --disable-swift-testing --sanitize=address \
  --scratch-path .build-asan --skip CompiledNetworkTests --skip LargeGraphTests --parallel --num-workers 2
step "fuzz: ONNX, plan and .npy readers under ASan + libFuzzer, 40 s each (docs/fuzzing.md)"
Tools/fuzz.sh ci 40
step "done"
