// swift-tools-version:6.2
// 6.2: the first tools version whose packages may keep `unsafeFlags` (KernelsHaswell's
// -target-cpu) and still be used as a versioned dependency (`from: "0.1.0"`); with 6.0 a
// dependent package failed with "contains unsafe build flags". Tools/check_dependency.sh checks it.
import PackageDescription

// KernelsHaswell and KernelsSkylakeX are the micro-kernels' source built for AVX2 + FMA and for
// AVX-512. The manifest is compiled for the machine that builds, so this picks the flags for a native
// build: x86-64 gets -target-cpu (an x86 CPU name is a hard error elsewhere); arm64 has FMA in its
// baseline, so the same source only needs GRAPHC_FMA there. CPUFeatures reports neither AVX2 nor
// AVX-512 off x86, so the runtime then runs KernelsGeneric. (Cross-compiling from x86-64 to another
// architecture is not covered.)
func kernelSettings(cpu: String) -> [SwiftSetting] {
  #if arch(x86_64)
  return [.unsafeFlags(["-target-cpu", cpu]), .define("GRAPHC_FMA")]
  #elseif arch(arm64)
  return [.define("GRAPHC_FMA")]
  #else
  return []
  #endif
}

let package = Package(
  name: "graphc",
  // Synchronization's Atomic (the runtime's thread pool) needs these on Apple platforms.
  platforms: [.macOS(.v15), .iOS(.v18), .tvOS(.v18), .watchOS(.v11), .visionOS(.v2)],
  products: [
    .library(name: "GraphRuntime", targets: ["GraphRuntime"]),
    .library(name: "GraphPlan", targets: ["GraphPlan"]),
    .library(name: "GraphCompiler", targets: ["GraphCompiler"]),
    .executable(name: "graphc", targets: ["graphc"]),
    .executable(name: "graphrun", targets: ["graphrun"]),
    .executable(name: "graphserve", targets: ["graphserve"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    // The model server (graphserve) only; the compiler and runtime do not depend on these.
    // No default traits: swift-configuration support is not used.
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0", traits: []),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
    .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
    .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
    // `swift package generate-documentation --target GraphRuntime` (the DocC catalog in Sources/GraphRuntime).
    .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
  ],
  targets: [
    // MARK: - Wire format (protobuf through libprotobuf-c)

    .systemLibrary(
      name: "CProtobufC",
      pkgConfig: "libprotobuf-c",
      providers: [.apt(["libprotobuf-c-dev"])]
    ),
    // protoc-c output for Tools/proto/onnx.proto; regenerate with Tools/regenerate-schema.sh.
    .target(name: "ONNXSchema", dependencies: ["CProtobufC"]),

    // MARK: - Compiler side

    .target(name: "GraphIR", dependencies: ["ONNXSchema", "CProtobufC", "AtomicFile", "GraphPlan"]),
    .target(name: "GraphZoo", dependencies: ["GraphIR", "GraphPlan"]),
    .target(name: "GraphCompiler", dependencies: ["GraphIR", "GraphPlan", "GraphReference"]),

    // MARK: - Plan format and reference kernels (the Swift standard library and libc only)

    // What the compiler writes and the runtime reads: steps, geometry, writer, reader, validation.
    .target(name: "GraphPlan"),
    // Naive, obviously correct kernels: the oracle for the runtime's kernels and the compiler's evaluator.
    .target(name: "GraphReference", dependencies: ["GraphPlan"]),

    // MARK: - Runtime (depends on nothing outside the Swift toolchain and its own kernel modules)

    .target(name: "GraphRuntime", dependencies: ["GraphPlan", "AtomicFile", "CPUFeatures", "CPrefetch", "KernelsGeneric", "KernelsHaswell", "KernelsSkylakeX"]),
    // Whole-file writes that never leave a half-written file or touch another one (standard library and libc only).
    .target(name: "AtomicFile"),
    // Micro-kernels, one module per instruction set from one source file, chosen at run time.
    .target(name: "KernelsGeneric", dependencies: ["CPrefetch"]),
    .target(name: "KernelsHaswell", dependencies: ["CPrefetch", "CVectorShims"], swiftSettings: kernelSettings(cpu: "haswell")),
    .target(name: "KernelsSkylakeX", dependencies: ["CPrefetch", "CVectorShims"], swiftSettings: kernelSettings(cpu: "skylake-avx512")),
    // C shim: a cache-line prefetch, inlined into the micro-kernels.
    .target(name: "CPrefetch"),
    // C shims: a 16-lane fused multiply-add (VectorMath's polynomials) and the epilogues' clamp, inlined into the FMA kernel modules.
    .target(name: "CVectorShims"),
    // C shim: which instruction sets this CPU has.
    .target(name: "CPUFeatures"),

    // MARK: - Command-line tools

    .executableTarget(
      name: "graphc",
      dependencies: [
        "GraphCompiler", "GraphIR", "GraphPlan",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    // Writes the seed networks into Graphs/ (Tools/make-graphs.sh).
    .executableTarget(name: "graphzoo", dependencies: ["GraphZoo", "GraphIR"]),
    .executableTarget(
      name: "graphrun",
      dependencies: [
        "GraphRuntime",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),

    // MARK: - Model server

    // The Open Inference Protocol (KServe v2 / Triton HTTP) over compiled plans: tensor
    // decoding, the binary-tensor extension, dynamic batching, routes and metrics.
    .target(
      name: "GraphServing",
      dependencies: [
        "GraphRuntime",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HTTPTypes", package: "swift-http-types"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Prometheus", package: "swift-prometheus"),
      ]
    ),
    .executableTarget(
      name: "graphserve",
      dependencies: [
        "GraphServing",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),

    // MARK: - Tests

    // Seeded random data, closeness assertions and fixture paths, shared by the test targets.
    .target(name: "TestSupport", dependencies: ["GraphPlan"], path: "Tests/TestSupport"),
    // Counts the process's heap allocations (interposes malloc; linked into the tests only).
    .target(name: "AllocationCounter", path: "Tests/AllocationCounter"),
    // Checks that runs into kept outputs allocate nothing, on compiled plans (Tools/check_allocations.sh).
    .executableTarget(name: "allocation-check", dependencies: ["GraphRuntime", "GraphPlan", "AllocationCounter"], path: "Tests/AllocationCheck"),

    .testTarget(name: "AtomicFileTests", dependencies: ["AtomicFile"]),
    .testTarget(name: "GraphIRTests", dependencies: ["GraphIR", "TestSupport"]),
    .testTarget(name: "GraphZooTests", dependencies: ["GraphZoo", "GraphIR"]),
    .testTarget(
      name: "GraphCompilerTests",
      dependencies: ["GraphCompiler", "GraphIR", "GraphPlan", "GraphRuntime", "TestSupport"],
      exclude: ["Golden"]
    ),
    .testTarget(name: "GraphPlanTests", dependencies: ["GraphPlan"]),
    .testTarget(
      name: "GraphRuntimeTests",
      dependencies: [
        "GraphRuntime", "GraphPlan", "GraphReference", "KernelsGeneric", "KernelsHaswell", "KernelsSkylakeX", "TestSupport",
        "AllocationCounter",
      ]
    ),
    .testTarget(
      name: "GraphServingTests",
      dependencies: ["GraphServing", "GraphRuntime", "GraphCompiler", "GraphIR", "TestSupport"]
    ),
    .testTarget(name: "CLITests", dependencies: ["GraphIR", "GraphRuntime", "TestSupport"]),
  ]
)

// MARK: - Fuzzing (built only by Tools/fuzz.sh, which sets GRAPHC_FUZZ and its own scratch path)

// libFuzzer targets, kept out of normal builds: they link only with `-sanitize=fuzzer`.
if Context.environment["GRAPHC_FUZZ"] != nil {
  package.targets += [
    // Calls libFuzzer's driver from the targets' Swift main.
    .target(name: "FuzzDriver", path: "Fuzz/FuzzDriver"),
    .executableTarget(name: "fuzz-onnx", dependencies: ["FuzzDriver", "GraphIR", "GraphCompiler"], path: "Fuzz/fuzz-onnx"),
    .executableTarget(name: "fuzz-plan", dependencies: ["FuzzDriver", "GraphPlan", "GraphRuntime"], path: "Fuzz/fuzz-plan"),
    .executableTarget(name: "fuzz-npy", dependencies: ["FuzzDriver", "GraphRuntime"], path: "Fuzz/fuzz-npy"),
  ]
}
