#!/usr/bin/env bash
# The main job on the bundled default graph: compile Graphs/lenet.graph (a LeNet
# with real trained weights) into a plan and classify a bundled handwritten digit.
set -euo pipefail
cd "$(dirname "$0")/.."
Tools/setup.sh
echo "building graphc and graphrun (release)..."
for product in graphc graphrun; do
  swift build -c release --product $product >/tmp/graphc-demo-build.log 2>&1 || { cat /tmp/graphc-demo-build.log; exit 1; }
done
bin=$(swift build -c release --show-bin-path)
mkdir -p out
"$bin/graphc" compile Graphs/lenet.graph -o out/lenet.plan --report
echo "classifying Graphs/samples/digit-7.npy (a 7 from the held-out test set):"
"$bin/graphrun" out/lenet.plan Graphs/samples/digit-7.npy --top 3
