#ifndef GRAPHC_FUSED_MULTIPLY_ADD_H
#define GRAPHC_FUSED_MULTIPLY_ADD_H

/// 16 floats; Swift imports this type as SIMD16<Float>.
typedef float graphc_float16 __attribute__((ext_vector_type(16)));

/// `a * b + c` lane by lane, rounded once: one vector FMA instruction (or two at 8 lanes) when
/// the importing Swift module is built for a CPU with FMA (the kernel modules' -target-cpu),
/// inlined into the Swift caller. Swift's own `SIMD16.addingProduct` is written lane by lane,
/// and in VectorMath's exp the vectorizer rebuilt it as a mix of 4-lane, 8-lane and scalar
/// pieces: 2.8x slower than no FMA at all. Only for modules built for FMA: elsewhere each
/// lane would become a call to `fmaf`.
static inline __attribute__((always_inline)) graphc_float16
graphc_fma16(graphc_float16 a, graphc_float16 b, graphc_float16 c) {
  return __builtin_elementwise_fma(a, b, c);
}

#endif
