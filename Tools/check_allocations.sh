#!/usr/bin/env bash
# Runs into kept outputs (Session.run(_:into:)) allocate nothing: compiles LeNet, AlexNet, GoogLeNet
# and ResNet-18 from Graphs/ and runs Tests/AllocationCheck on them at 1 and 2 threads, batch 1 and 2.
# Needs an optimized build (unspecialized generics in debug builds allocate in the standard library):
#   swift build -c release && Tools/check_allocations.sh "$(swift build -c release --show-bin-path)"
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:?usage: Tools/check_allocations.sh BIN_DIR (the release build products)}
tmp=$(mktemp -d /tmp/graphc-allocations.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
plans=()
for net in lenet alexnet googlenet resnet18; do
  "$bin/graphc" compile "$root/Graphs/$net.graph" -o "$tmp/$net.plan" >/dev/null
  plans+=("$tmp/$net.plan")
done
"$bin/allocation-check" --threads 1,2 --batch 1 "${plans[@]}"
"$bin/allocation-check" --threads 2 --batch 2 --runs 6 "${plans[@]}"
echo "ok: no allocation in steady-state runs into kept outputs"
