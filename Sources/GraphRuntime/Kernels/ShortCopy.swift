extension Kernels {
  /// Copies `count` floats (`src` and `dst` apart) with vector loads and stores in line, the
  /// tail by one vector that overlaps the last one. For the rows of small planes (a bordered
  /// copy's 14 floats, a tile's 16 lanes) a call to memmove cost more than the copy: it was a
  /// quarter of a grouped conv's time at 14x14. Runs over 64 floats go to memmove.
  @inline(__always)
  static func copyShort(_ src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int) {
    if count > 64 {
      dst.update(from: src, count: count)
      return
    }
    let s = UnsafeRawPointer(src), d = UnsafeMutableRawPointer(dst)
    if count >= 8 {
      var i = 0
      while i &+ 8 <= count {
        d.storeBytes(of: s.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self), toByteOffset: i &* 4, as: SIMD8<Float>.self)
        i &+= 8
      }
      if i < count {
        let last = (count &- 8) &* 4
        d.storeBytes(of: s.loadUnaligned(fromByteOffset: last, as: SIMD8<Float>.self), toByteOffset: last, as: SIMD8<Float>.self)
      }
    } else if count >= 4 {
      let last = (count &- 4) &* 4
      let head = s.loadUnaligned(as: SIMD4<Float>.self), tail = s.loadUnaligned(fromByteOffset: last, as: SIMD4<Float>.self)
      d.storeBytes(of: head, as: SIMD4<Float>.self)
      d.storeBytes(of: tail, toByteOffset: last, as: SIMD4<Float>.self)
    } else {
      if count > 0 { dst[0] = src[0] }
      if count > 1 { dst[1] = src[1] }
      if count > 2 { dst[2] = src[2] }
    }
  }

  /// Sets `count` floats to zero in line, as ``copyShort(_:to:count:)`` copies.
  @inline(__always)
  static func zeroShort(_ dst: UnsafeMutablePointer<Float>, count: Int) {
    if count > 64 {
      dst.update(repeating: 0, count: count)
      return
    }
    let d = UnsafeMutableRawPointer(dst)
    if count >= 8 {
      var i = 0
      while i &+ 8 <= count {
        d.storeBytes(of: SIMD8<Float>(), toByteOffset: i &* 4, as: SIMD8<Float>.self)
        i &+= 8
      }
      if i < count { d.storeBytes(of: SIMD8<Float>(), toByteOffset: (count &- 8) &* 4, as: SIMD8<Float>.self) }
    } else if count >= 4 {
      d.storeBytes(of: SIMD4<Float>(), as: SIMD4<Float>.self)
      d.storeBytes(of: SIMD4<Float>(), toByteOffset: (count &- 4) &* 4, as: SIMD4<Float>.self)
    } else {
      if count > 0 { dst[0] = 0 }
      if count > 1 { dst[1] = 0 }
      if count > 2 { dst[2] = 0 }
    }
  }
}
