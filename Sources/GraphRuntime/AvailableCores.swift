import CPUFeatures

extension Session {
  /// The cores this process may run on (at most 256): its CPU affinity mask on Linux (what
  /// `taskset`, cgroup cpusets and container runtimes restrict), else the online processors.
  /// `graphrun --threads` defaults to this; pass it to ``CompiledModel/makeSession(threads:)``
  /// to use the whole machine, as onnxruntime does by default.
  public static var availableCores: Int { min(max(1, Int(graphc_available_cores())), 256) }
}
