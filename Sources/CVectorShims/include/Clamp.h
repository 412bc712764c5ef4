#ifndef GRAPHC_CLAMP_H
#define GRAPHC_CLAMP_H

#include "FusedMultiplyAdd.h"
#if defined(__AVX__)
#include <immintrin.h>
#endif

/// 8 floats; Swift imports this type as SIMD8<Float>.
typedef float graphc_float8 __attribute__((ext_vector_type(8)));

/// `v` clamped to `[lower, upper]` as the kernels' epilogues define it: `v < lower ? lower : v`,
/// then the same with `upper`, so NaN passes through and lower > upper gives `upper` (ONNX's
/// Clip). x86's `max(lower, v)` and `min(upper, w)` return their second operand when either is
/// NaN: the same function in one instruction each. Swift's `replacing(with:where:)` gave that in
/// the GEMM tiles but, in the depthwise kernels' stores, masks moved between registers and
/// vectors split in halves (40% of a 3x3 depthwise conv's time at 56x56).
static inline __attribute__((always_inline)) graphc_float8
graphc_clamp8(graphc_float8 v, float lower, float upper) {
#if defined(__AVX__)
  return (graphc_float8)_mm256_min_ps(_mm256_set1_ps(upper), _mm256_max_ps(_mm256_set1_ps(lower), (__m256)v));
#else
  for (int i = 0; i < 8; i++) {
    float x = v[i] < lower ? lower : v[i];
    v[i] = x > upper ? upper : x;
  }
  return v;
#endif
}

/// ``graphc_clamp8`` on 16 floats: one instruction each with AVX-512, else two halves.
static inline __attribute__((always_inline)) graphc_float16
graphc_clamp16(graphc_float16 v, float lower, float upper) {
#if defined(__AVX512F__)
  __m512 x = _mm512_max_ps(_mm512_set1_ps(lower), (__m512)v);
  return (graphc_float16)_mm512_min_ps(_mm512_set1_ps(upper), x);
#else
  graphc_float16 r;
  r.lo = graphc_clamp8(v.lo, lower, upper);
  r.hi = graphc_clamp8(v.hi, lower, upper);
  return r;
#endif
}

#endif
