#ifndef GRAPHC_ALLOCATION_COUNTER_H
#define GRAPHC_ALLOCATION_COUNTER_H

/// Heap allocations (malloc, calloc, realloc, aligned and memalign variants) made by any thread of
/// this process since it started, when the interposed allocator below is in effect; -1 where it is
/// not (not glibc, or an AddressSanitizer build, whose runtime owns malloc), so tests can skip
/// instead of passing vacuously.
long graphc_allocation_count(void);

#endif
