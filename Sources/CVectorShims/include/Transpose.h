#ifndef GRAPHC_TRANSPOSE_H
#define GRAPHC_TRANSPOSE_H

#if defined(__AVX__)
#include <immintrin.h>
#endif

/// Whether ``graphc_transpose16x16`` is the faster transpose in the importing module: with AVX
/// but not AVX-512, where it moves 8-float halves (24 instructions an 8 x 8 block). Swift's
/// 16-lane even/odd splits there became several shuffles per half; through this, the depthwise
/// channel blocks' 3x3/2 convs in EfficientNet-B0 went 0.91 -> 0.56 ms (Zen 3, AVX2, 1 thread).
/// With AVX-512 the splits are one two-source permute each, and stay.
/// (A function, not a macro Swift would import as a constant: Swift warned that the branch it
/// guards "will never be executed" in the modules where it is 0.)
static inline __attribute__((always_inline)) int graphc_transpose16_by_halves(void) {
#if defined(__AVX__) && !defined(__AVX512F__)
  return 1;
#else
  return 0;
#endif
}

#if defined(__AVX__)
/// The 8 x 8 block at `src` (rows `stride` floats apart; rows from `rows` on read as zeros)
/// transposed to `dst` (rows `dstStride` apart): unpack pairs, shuffle quads, swap 128-bit lanes.
static inline __attribute__((always_inline)) void
graphc_transpose8x8(const float *src, long stride, long rows, float *dst, long dstStride) {
  __m256 r[8];
  for (int i = 0; i < 8; i++) r[i] = i < rows ? _mm256_loadu_ps(src + i * stride) : _mm256_setzero_ps();
  __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)), u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)), u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0)), u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0)), u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
  _mm256_storeu_ps(dst + 0 * dstStride, _mm256_permute2f128_ps(u0, u4, 0x20));
  _mm256_storeu_ps(dst + 1 * dstStride, _mm256_permute2f128_ps(u1, u5, 0x20));
  _mm256_storeu_ps(dst + 2 * dstStride, _mm256_permute2f128_ps(u2, u6, 0x20));
  _mm256_storeu_ps(dst + 3 * dstStride, _mm256_permute2f128_ps(u3, u7, 0x20));
  _mm256_storeu_ps(dst + 4 * dstStride, _mm256_permute2f128_ps(u0, u4, 0x31));
  _mm256_storeu_ps(dst + 5 * dstStride, _mm256_permute2f128_ps(u1, u5, 0x31));
  _mm256_storeu_ps(dst + 6 * dstStride, _mm256_permute2f128_ps(u2, u6, 0x31));
  _mm256_storeu_ps(dst + 7 * dstStride, _mm256_permute2f128_ps(u3, u7, 0x31));
}
#endif

/// Rows `0..<rows` (at most 16) of 16 floats, `stride` floats apart from `src`, rows from `rows`
/// on taken as zeros, transposed into the 256 floats at `dst`: float `16 j + i` is row i's lane j.
/// Four 8 x 8 blocks with AVX; element by element elsewhere (a fallback: modules without AVX
/// use their own transpose, see graphc_transpose16_by_halves).
static inline __attribute__((always_inline)) void
graphc_transpose16x16(const float *src, long stride, long rows, float *dst) {
#if defined(__AVX__)
  long upper = rows > 8 ? rows - 8 : 0, lower = rows < 8 ? rows : 8;
  graphc_transpose8x8(src, stride, lower, dst, 16);
  graphc_transpose8x8(src + 8, stride, lower, dst + 8 * 16, 16);
  graphc_transpose8x8(src + 8 * stride, stride, upper, dst + 8, 16);
  graphc_transpose8x8(src + 8 * stride + 8, stride, upper, dst + 8 * 16 + 8, 16);
#else
  for (long j = 0; j < 16; j++)
    for (long i = 0; i < 16; i++) dst[16 * j + i] = i < rows ? src[i * stride + j] : 0;
#endif
}

#endif
