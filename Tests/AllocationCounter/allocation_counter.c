// Counts heap allocations for the zero-allocation tests: the test executable defines malloc and
// friends, which takes precedence over the C library's for every library in the process (symbol
// interposition), and forwards to glibc's internal entry points. Only linked into the tests.
// Not under AddressSanitizer, whose runtime owns malloc: memory from glibc's allocator would reach
// ASan's free (a bad-free report), so the sanitized test build counts nothing and the tests skip.
#include "AllocationCounter.h"
#include <stddef.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GRAPHC_UNDER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define GRAPHC_UNDER_ASAN 1
#endif

#if !defined(GRAPHC_UNDER_ASAN) && (defined(__GLIBC__) || (defined(__linux__) && !defined(__ANDROID__)))
#include <errno.h>
#include <stdatomic.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static atomic_long allocations;

void *malloc(size_t n) {
  atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
  return __libc_malloc(n);
}

void *calloc(size_t count, size_t n) {
  atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
  return __libc_calloc(count, n);
}

void *realloc(void *p, size_t n) {
  atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
  return __libc_realloc(p, n);
}

void *memalign(size_t alignment, size_t n) {
  atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
  return __libc_memalign(alignment, n);
}

void *aligned_alloc(size_t alignment, size_t n) { return memalign(alignment, n); }

int posix_memalign(void **out, size_t alignment, size_t n) {
  if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
  void *p = memalign(alignment, n);
  if (!p && n) return ENOMEM;
  *out = p;
  return 0;
}

long graphc_allocation_count(void) { return atomic_load_explicit(&allocations, memory_order_relaxed); }
#else
long graphc_allocation_count(void) { return -1; }
#endif
