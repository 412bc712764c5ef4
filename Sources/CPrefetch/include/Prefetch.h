#ifndef GRAPHC_PREFETCH_H
#define GRAPHC_PREFETCH_H

/// Asks the CPU to bring the cache line holding `address` into every cache level, without
/// waiting for it and without faulting (any address is allowed). Swift has no prefetch of its
/// own; this inline function compiles to one `prefetcht0` inside the Swift caller.
static inline void graphc_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

/// The same for a line about to be written (`prefetchw` where the CPU has it): the line
/// arrives owned, so the store that follows need not ask for it again.
static inline void graphc_prefetch_write(void *address) { __builtin_prefetch(address, 1, 3); }

#endif
