#if canImport(Glibc)
  import Glibc
#endif

/// Runs libFuzzer on `target` with the command line's libFuzzer flags, then exits.
///
/// SwiftPM links an executable target's top-level code as `main`, so libFuzzer's own `main`
/// never runs; each fuzz target's main.swift calls this instead, passing its
/// `LLVMFuzzerTestOneInput` (which it also exports, for the libFuzzer archive's sake).
public func runFuzzer(_ target: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Never {
  var argc = CommandLine.argc
  var argv = CommandLine.unsafeArgv
  exit(LLVMFuzzerRunDriver(&argc, &argv, target))
}

@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
  _ argc: UnsafeMutablePointer<Int32>,
  _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
  _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32
