#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Ties the runtime's large allocations to the machine: a plan or input that asks for
/// more memory than the machine has is an error naming the sizes, not an abort.
enum MemoryBudget {
  /// Physical memory in bytes (or a very large number where the system will not say).
  static let physicalBytes: Int = {
    let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
    guard pages > 0, size > 0 else { return Int.max }
    let (bytes, overflow) = pages.multipliedReportingOverflow(by: size)
    return overflow ? Int.max : bytes
  }()

  /// Floats for `what`, checked against physical memory before anything is allocated.
  static func floats(_ count: Int, for what: String) throws(RuntimeError) -> Int {
    let (bytes, overflow) = count.multipliedReportingOverflow(by: 4)
    guard count >= 0, !overflow, bytes <= physicalBytes else {
      throw .input("\(what) needs \(overflow ? "more than 2^63" : "\(bytes)") bytes; this machine has \(physicalBytes) bytes of memory")
    }
    return count
  }
}
