#!/usr/bin/env bash
# Checks that graphc works as a *versioned* dependency, as a user's Package.swift would have it:
# clones this repository's HEAD into a temporary folder, tags it with GraphcVersion.current, and
# builds (in release) and runs a throwaway package that depends on it with
# `.package(url: "file://…", from: …)`. Given BIN, the app also classifies a digit with a LeNet plan
# and counts heap allocations per inference (Tests/AllocationCounter) of `Session.run(_:)` and of
# `Session.run(_:into:)` into kept tensors, in an optimized build: the latter must allocate nothing,
# as built by a dependent package too (Tools/check_allocations.sh checks whole networks).
# (SwiftPM refuses unsafeFlags in versioned dependencies before tools-version 6.2: with 6.0 this
# failed with "the target 'KernelsHaswell' in product 'GraphRuntime' contains unsafe build flags".)
#
#   Tools/check_dependency.sh [BIN]   # BIN: a folder with graphc, to also classify a digit with a LeNet plan
#
# Uncommitted changes are not seen: the dependency is what is committed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-}
version=$(sed -n 's/.*static let current = "\(.*\)".*/\1/p' "$root/Sources/GraphPlan/GraphcVersion.swift")
tmp=$(mktemp -d /tmp/graphc-dependency.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT

git clone -q "$root" "$tmp/graphc"
git -C "$tmp/graphc" -c user.name=check -c user.email=check@localhost tag "$version"

mkdir -p "$tmp/app/Sources/app" "$tmp/app/Sources/AllocationCounter"
cp -R "$root/Tests/AllocationCounter/." "$tmp/app/Sources/AllocationCounter/"
cat > "$tmp/app/Package.swift" <<SWIFT
// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "app",
  platforms: [.macOS(.v15)],
  dependencies: [.package(url: "file://$tmp/graphc", from: "$version")],
  targets: [
    .target(name: "AllocationCounter"),
    .executableTarget(name: "app", dependencies: [.product(name: "GraphRuntime", package: "graphc"), "AllocationCounter"]),
  ]
)
SWIFT
cat > "$tmp/app/Sources/app/main.swift" <<'SWIFT'
import AllocationCounter
import GraphRuntime

// Prints the version; with a plan and an image, the top class (the way an app would use the
// runtime) and the heap allocations of 100 runs into kept output tensors.
print("GraphRuntime \(GraphcVersion.current)")
let arguments = CommandLine.arguments
if arguments.count == 3 {
  let model = try CompiledModel(contentsOfFile: arguments[1])
  let image = try NPY.read(path: arguments[2])
  let session = try model.makeSession(threads: 2)
  let input = try FloatTensor(shape: [1] + image.shape.suffix(3), values: image.data)
  let best = try session.run(input)[model.outputs[0].name]!.softmax().topK(1)[0][0]
  print("class \(best.index)")
  var outputs: [String: FloatTensor] = [:]
  for _ in 0..<3 { try session.run(input, into: &outputs) }  // warm every thread's scratch
  var before = graphc_allocation_count()
  for _ in 0..<100 { _ = try session.run(input) }
  let plain = graphc_allocation_count() - before
  before = graphc_allocation_count()
  for _ in 0..<100 { try session.run(input, into: &outputs) }
  let into = graphc_allocation_count() - before
  print("allocations per inference: run \(Double(plain) / 100), run(into:) \(Double(into) / 100)")
  guard plain > 0 else { fatalError("the allocation counter saw nothing (run(_:) returns new arrays)") }
  guard into == 0 else { fatalError("run(_:into:) allocated \(into) times in 100 runs") }
}
SWIFT

echo "building a package that depends on graphc from: \"$version\" (file://$tmp/graphc)"
(cd "$tmp/app" && swift build -c release 2>&1 | tail -3)
app=$(cd "$tmp/app" && swift build -c release --show-bin-path)/app
if [ -n "$bin" ]; then
  "$bin/graphc" compile "$root/Tests/Fixtures/digits/lenet-digits.onnx" -o "$tmp/lenet.plan"
  out=$("$app" "$tmp/lenet.plan" "$root/Graphs/samples/digit-7.npy")
  echo "$out"
  grep -qx "class 7" <<<"$out" || { echo "error: the dependent app did not classify the digit as 7" >&2; exit 1; }
else
  "$app"
fi
echo "ok: graphc $version builds and runs as a versioned dependency"
