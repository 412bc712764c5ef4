#ifndef GRAPHC_CPU_FEATURES_H
#define GRAPHC_CPU_FEATURES_H

/// 1 when the CPU runs AVX2 and FMA instructions (KernelsHaswell), else 0.
int graphc_cpu_supports_avx2_fma(void);

/// 1 when the CPU (and OS) run AVX-512F as well as AVX2 and FMA (KernelsSkylakeX), else 0.
int graphc_cpu_supports_avx512f(void);

/// The cores this process may run on: its affinity mask on Linux (taskset, cpusets), else the
/// online processors; at least 1.
int graphc_available_cores(void);

/// Tells the CPU the caller is spin-waiting (x86 `pause`, Arm `yield`): the loop then issues far
/// fewer loads and leaves the core's execution units to the thread that does the work, which may be
/// its SMT sibling (a virtual CPU may be one). Inline, so it is one instruction in the Swift loop.
static inline void graphc_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
  __asm__ __volatile__("yield");
#endif
}

#endif
