#!/usr/bin/env bash
# Regenerates the seed networks into Graphs/ (small .graph files are committed,
# the large .weights external-data files are git-ignored).
#
#   Tools/make-graphs.sh           build graphzoo (release) and write Graphs/*.graph and Graphs/*.weights
#   Tools/make-graphs.sh --check   generate into a temp dir, fail if a committed Graphs/*.graph differs
#                                  (stale or missing); the .weights files still land in Graphs/.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

check=0
for arg in "$@"; do
  case "$arg" in
    --check) check=1 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "make-graphs.sh: unknown argument '$arg'" >&2; exit 2 ;;
  esac
done

start=$(date +%s)
swift build -c release --product graphzoo
bin="$(swift build -c release --show-bin-path)/graphzoo"
mkdir -p Graphs

if [[ $check == 0 ]]; then
  "$bin" Graphs
  echo "make-graphs: wrote Graphs/ in $(( $(date +%s) - start ))s"
  exit 0
fi

# Under .build (git-ignored, same file system as Graphs/) so moving the weights is a rename.
tmp="$(mktemp -d "$root/.build/graphs-check.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
"$bin" "$tmp"

status=0
for generated in "$tmp"/*.graph; do
  name="$(basename "$generated")"
  if [[ ! -f "Graphs/$name" ]]; then
    echo "make-graphs --check: Graphs/$name is missing (run Tools/make-graphs.sh and commit it)" >&2
    status=1
  elif ! cmp -s "$generated" "Graphs/$name"; then
    echo "make-graphs --check: Graphs/$name is stale (run Tools/make-graphs.sh and commit it)" >&2
    status=1
  fi
done
for committed in Graphs/*.graph; do
  [[ -e "$committed" ]] || continue
  if [[ ! -f "$tmp/$(basename "$committed")" ]]; then
    echo "make-graphs --check: $committed is not produced by graphzoo any more" >&2
    status=1
  fi
done

# The weights are needed by later checks whatever the outcome; they are not committed.
for weights in "$tmp"/*.weights; do
  [[ -e "$weights" ]] || continue
  mv -f "$weights" "Graphs/$(basename "$weights")"
done

if [[ $status == 0 ]]; then
  echo "make-graphs --check: all Graphs/*.graph up to date ($(( $(date +%s) - start ))s)"
fi
exit $status
