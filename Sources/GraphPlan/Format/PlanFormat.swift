/// The layout of `plan.bin` (documented in docs/plan-format.md).
///
/// ```
/// 0   magic "GRPHPLAN"        8 bytes
/// 8   format version          u32
/// 12  section count           u32
/// 16  file size               u64
/// 24  checksum of bytes 64..  u64 (PlanFormat.checksum)
/// 32  reserved                32 bytes of zero
/// 64  section table           count x { kind u32, zero u32, offset u64, size u64 }
/// ... sections, each starting on a 64-byte boundary
/// ```
/// All numbers are little-endian.
public enum PlanFormat {
  /// The first 8 bytes of every plan file.
  public static let magic: [UInt8] = Array("GRPHPLAN".utf8)
  /// The format version this runtime writes and reads; any other is rejected.
  /// 4: a provenance section (compiler version, source model file and SHA-256).
  /// 5: activation tags 6-15, the slice and layer-norm kernels, dense rows.
  /// 6: values without the batch: the arena's fixed region, each view's item count, each
  /// binding's whole shape, the constant kernel,
  /// binary op 4 (pow).
  /// 7: the matmul, concat, gather and batch-mean kernels (tags 16-19); the conv-nd and pool-nd
  /// kernels (tags 20, 21), for three or more spatial axes.
  /// 8: a Winograd conv's GEMM fallback weights for small batches (after the conv's layout); the
  /// conv-transpose and select kernels (tags 24, 25); binary ops 8-16 (comparisons, logic, fmod);
  /// activation tags 25-27 (sign, isNaN, isInf).
  /// 9: no GEMM fallback after a conv's layout (Winograd now wins at every batch); tag 27 is
  /// the resize kernel with per-axis tap tables (linear, cubic, antialiased), not linear only.
  /// 10: Winograd F(4x4, 3x3) weights (layout 2) are transformed for the points 0, ±1, ½, -2, ∞,
  /// not 0, ±1, ±2, ∞ (less rounding error); a format-9 plan's would compute wrong values.
  public static let version: UInt32 = 10
  static let headerSize = 64
  static let sectionEntrySize = 24

  enum Section: UInt32, CaseIterable {
    case metadata = 1
    case steps = 2
    case weights = 3
    case provenance = 4
  }

  /// A fast 64-bit hash of the bytes after the header, read as 8-byte words.
  public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    let words = bytes.count / 8
    var i = 0
    while i < words {
      let w = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
      h = (h ^ w) &* 0x0000_0100_0000_01b3
      h ^= h >> 29
      i += 1
    }
    for j in (words * 8)..<bytes.count {
      h = (h ^ UInt64(bytes[j])) &* 0x0000_0100_0000_01b3
    }
    return h
  }
}
