#ifndef GRAPHC_CPU_FEATURES_H
#define GRAPHC_CPU_FEATURES_H

/// 1 when the CPU runs AVX2 and FMA instructions (KernelsHaswell), else 0.
int graphc_cpu_supports_avx2_fma(void);

/// 1 when the CPU (and OS) run AVX-512F as well as AVX2 and FMA (KernelsSkylakeX), else 0.
int graphc_cpu_supports_avx512f(void);

/// The cores this process may run on: its affinity mask on Linux (taskset, cpusets), else the
/// online processors; at least 1.
int graphc_available_cores(void);

#endif
