import FuzzDriver
import GraphRuntime

// The `.npy` reader (graphrun's input files): any bytes decode to an array or a RuntimeError.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  _ = try? NPY.decode(Array(UnsafeBufferPointer(start: data, count: size)))
  return 0
}

runFuzzer(fuzzOne)
