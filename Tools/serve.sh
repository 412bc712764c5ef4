#!/usr/bin/env bash
# One command to serve Graphs/ over the Open Inference Protocol (KServe v2 / Triton HTTP):
# builds graphc and graphserve (release), compiles every Graphs/*.graph into a model
# repository (out/models/NAME/plan.bin; LeNet gets digit labels), and runs graphserve on it.
#
#   Tools/serve.sh                          all of Graphs/ on 127.0.0.1:8000
#   Tools/serve.sh lenet resnet18           only these networks
#   Tools/serve.sh -- --port 9000 --max-batch 16   options after -- go to graphserve
#
# Networks with generated weights need Tools/make-graphs.sh first (it is run when any is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
Tools/setup.sh

names=() options=()
while [ $# -gt 0 ]; do
  if [ "$1" = "--" ]; then shift; options=("$@"); break; fi
  names+=("$1"); shift
done
if [ ${#names[@]} -eq 0 ]; then
  for graph in Graphs/*.graph; do names+=("$(basename "$graph" .graph)"); done
fi

for name in "${names[@]}"; do
  [ -f "Graphs/$name.graph" ] || { echo "serve.sh: no Graphs/$name.graph" >&2; exit 2; }
  if [ "$name" != lenet ] && [ ! -f "Graphs/$name.weights" ]; then Tools/make-graphs.sh; fi
done

echo "building graphc and graphserve (release)..."
for product in graphc graphserve; do
  swift build -c release --product $product >/tmp/graphserve-build.log 2>&1 || { cat /tmp/graphserve-build.log; exit 1; }
done
bin=$(swift build -c release --show-bin-path)

repository=out/models
mkdir -p "$repository"
for folder in "$repository"/*/; do  # serve only the networks asked for
  [ -d "$folder" ] || continue
  case " ${names[*]} " in *" $(basename "$folder") "*) ;; *) rm -r "$folder" ;; esac
done
for name in "${names[@]}"; do
  mkdir -p "$repository/$name"
  plan="$repository/$name/plan.bin"
  if [ ! -f "$plan" ] || [ "Graphs/$name.graph" -nt "$plan" ] || [ "$bin/graphc" -nt "$plan" ]; then
    "$bin/graphc" compile "Graphs/$name.graph" -o "$plan"
  fi
done
[ -d "$repository/lenet" ] && seq 0 9 | sed 's/^/digit /' > "$repository/lenet/labels.txt"

echo "serving ${names[*]} from $repository (GET /v2/models/NAME for metadata, POST /v2/models/NAME/infer)"
exec "$bin/graphserve" --model-repository "$repository" "${options[@]}"
