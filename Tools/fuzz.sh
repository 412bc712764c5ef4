#!/usr/bin/env bash
# libFuzzer targets under AddressSanitizer (docs/fuzzing.md).
#   Tools/fuzz.sh build                  build the targets into .build-fuzz/ (not part of `swift build`)
#   Tools/fuzz.sh corpus                 write the seed corpora into .fuzz/seeds/TARGET/
#   Tools/fuzz.sh run TARGET SECONDS     fuzz one target (onnx, plan or npy); new inputs go to
#                                        .fuzz/corpus/TARGET/, crashes to .fuzz/crashes/TARGET/
#   Tools/fuzz.sh ci [SECONDS]           build, seed, and fuzz every target briefly (default 40 s each)
#   Tools/fuzz.sh replay TARGET FILE...  run a target once on each file (reproduce a finding)
set -euo pipefail
cd "$(dirname "$0")/.."
targets=(onnx plan npy)
scratch=.build-fuzz
work=.fuzz
# Swift's backtracer misreports under ASan (and hangs under TSan); libFuzzer prints the stack.
export SWIFT_BACKTRACE=enable=no
# Recording a deep stack on every allocation costs more than the code under test (Swift
# allocates a lot); Swift's runtime caches look like leaks to LSan. Replay a finding with
# ASAN_OPTIONS= for full allocation stacks.
export ASAN_OPTIONS=${ASAN_OPTIONS:-malloc_context_size=2:detect_leaks=0}
# One flag: `-sanitize=fuzzer -sanitize=address` as two flags silently drops the coverage
# instrumentation. The C targets (protobuf-c's generated tables, the CPU probe) get the same.
# ld.gold (the default) dies with an internal error on the sanitized objects: link with lld.
flags=(-Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld -Xcc -fsanitize=fuzzer-no-link,address)

build() {
  local log
  log=$(mktemp)
  for t in "${targets[@]}"; do
    # GRAPHC_FUZZ adds the fuzz targets to Package.swift; only this scratch path ever sees them.
    if ! GRAPHC_FUZZ=1 swift build --scratch-path "$scratch" "${flags[@]}" --product "fuzz-$t" >"$log" 2>&1; then
      grep -v -e "Cannot export local symbol" -e "is not concurrency-safe" "$log" >&2
      rm -f "$log"
      echo "fuzz-$t did not build" >&2
      exit 1
    fi
    echo "built $scratch/debug/fuzz-$t"
  done
  rm -f "$log"
}

corpus() {
  local seeds=$work/seeds
  rm -rf "$seeds"
  mkdir -p "$seeds"/{onnx,plan,npy}
  # ONNX: the small fixtures whole, every Graphs/ model with its weights stripped, a tiny net;
  # with a weights blob (external data loaded): the first layers of each Graphs/ model, the
  # tiny net and the small fixtures with every tensor external.
  cp Tests/Fixtures/opcoverage/*.onnx Tests/Fixtures/legacy/*.onnx "$seeds/onnx/"
  .venv/bin/python Tools/fuzz_seeds.py "$seeds/npy" "$seeds/onnx" Graphs/*.graph --external Tests/Fixtures/opcoverage/*.onnx
  # Plans: compiled from the small models, symbolic and fixed batch.
  swift build -c release --product graphc >/dev/null
  local graphc
  graphc="$(swift build -c release --show-bin-path)/graphc"
  for model in "$seeds"/onnx/tiny-net.onnx Tests/Fixtures/opcoverage/*.onnx; do
    name=$(basename "$model" .onnx)
    "$graphc" compile "$model" -o "$seeds/plan/$name.plan"
    "$graphc" compile "$model" --batch 2 -o "$seeds/plan/$name-batch2.plan"
  done
  # .npy: the small fixtures (the generated ones cover every dtype and header version).
  cp Tests/Fixtures/legacy/legacy-input.npy Tests/Fixtures/digits/digits-test-labels.npy "$seeds/npy/"
  # Every regression file is a seed too, so each run replays them first.
  for t in "${targets[@]}"; do
    if [ -d "Tests/Fixtures/fuzz-regressions/$t" ]; then cp Tests/Fixtures/fuzz-regressions/$t/* "$seeds/$t/"; fi
  done
  du -sh "$seeds"/*
}

max_len() {
  case $1 in onnx) echo 65536 ;; plan) echo 65536 ;; npy) echo 4096 ;; *) echo "unknown target $1" >&2; exit 2 ;; esac
}

# A libFuzzer dictionary where a target has one (Fuzz/fuzz-TARGET/*.dict).
dict() {
  local file
  for file in Fuzz/fuzz-"$1"/*.dict; do [ -e "$file" ] && echo "-dict=$file"; done
}

run() {
  local t=$1 seconds=$2
  mkdir -p "$work/corpus/$t" "$work/crashes/$t"
  # -timeout: a step that takes 20 s on a small input is a finding too.
  nice -n 10 "$scratch/debug/fuzz-$t" -max_len="$(max_len "$t")" -timeout=20 -max_total_time="$seconds" $(dict "$t") \
    -print_final_stats=1 -artifact_prefix="$work/crashes/$t/" "$work/corpus/$t" "$work/seeds/$t"
}

case ${1:-} in
  build) build ;;
  corpus) corpus ;;
  run) run "$2" "$3" ;;
  ci)
    build
    corpus
    for t in "${targets[@]}"; do run "$t" "${2:-40}"; done
    ;;
  replay)
    t=$2
    shift 2
    "$scratch/debug/fuzz-$t" "$@"
    ;;
  *) sed -n 2,8p "$0" >&2; exit 2 ;;
esac
