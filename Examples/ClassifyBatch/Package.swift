// swift-tools-version:6.0
// A standalone app that uses graphc's runtime as a dependency, as your own package would (here by
// path, so it builds against this checkout; use `.package(url:from:)` in yours, see README).
import PackageDescription

let package = Package(
  name: "ClassifyBatch",
  platforms: [.macOS(.v15)],
  dependencies: [.package(name: "graphc", path: "../..")],
  targets: [
    .executableTarget(name: "ClassifyBatch", dependencies: [.product(name: "GraphRuntime", package: "graphc")]),
  ]
)
