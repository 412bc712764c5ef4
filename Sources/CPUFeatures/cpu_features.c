// Swift has no per-function target attribute or CPU query: this tiny shim asks the
// compiler's runtime which instruction sets the machine has.
#include "CPUFeatures.h"

int graphc_cpu_supports_avx2_fma(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return 0;
#endif
}

int graphc_cpu_supports_avx512f(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  // The compiler runtime also checks (XGETBV) that the OS saves the 512-bit registers.
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return 0;
#endif
}
