#!/usr/bin/env bash
# The main job on the bundled default graph: compile Graphs/lenet.graph (a LeNet
# with real trained weights) into a plan and classify a bundled handwritten digit.
set -euo pipefail
cd "$(dirname "$0")/.."
Tools/setup.sh
swift build -c release --product graphc >/dev/null
swift build -c release --product graphrun >/dev/null
bin=$(swift build -c release --show-bin-path)
mkdir -p out
"$bin/graphc" compile Graphs/lenet.graph -o out/lenet.plan --report
echo "classifying Graphs/samples/digit-7.npy (a 7 from the held-out test set):"
"$bin/graphrun" out/lenet.plan Graphs/samples/digit-7.npy --top 3
