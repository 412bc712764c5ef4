import XCTest
@testable import GraphPlan

final class Window2DTests: XCTestCase {
  func testOutputExtentByHand() {
    // 224 input, 7x7/2 pad 3: (224 + 6 - 7) / 2 + 1 = 112.
    XCTAssertEqual(Window2D.outputExtent(input: 224, kernel: 7, stride: 2, padBegin: 3, padEnd: 3), 112)
    // Dilation 2 makes a 3-tap window span 5: (10 - 5) / 1 + 1 = 6.
    XCTAssertEqual(Window2D.outputExtent(input: 10, kernel: 3, stride: 1, padBegin: 0, padEnd: 0, dilation: 2), 6)
    // A window larger than the padded input gives no output.
    XCTAssertEqual(Window2D.outputExtent(input: 2, kernel: 5, stride: 1, padBegin: 1, padEnd: 1), 0)
    // Ceil mode: 6 input, 3/2 -> floor 2, ceil 3 (the last window starts inside the input).
    XCTAssertEqual(Window2D.outputExtent(input: 6, kernel: 3, stride: 2, padBegin: 0, padEnd: 0), 2)
    XCTAssertEqual(Window2D.outputExtent(input: 6, kernel: 3, stride: 2, padBegin: 0, padEnd: 0, ceilMode: true), 3)
    // Ceil mode never adds a window that would start in the end padding only:
    // 5 input, 2/2 pad 0,1 -> span 4, ceil 3; window 3 would start at 4 < 5, kept.
    XCTAssertEqual(Window2D.outputExtent(input: 5, kernel: 2, stride: 2, padBegin: 0, padEnd: 1, ceilMode: true), 3)
    // 4 input, 1/3 pad 0,2 -> span 5, ceil 3, but window 3 starts at 6 >= 4: dropped.
    XCTAssertEqual(Window2D.outputExtent(input: 4, kernel: 1, stride: 3, padBegin: 0, padEnd: 2, ceilMode: true), 2)
  }

  func testPerAxisExtentsUseTheirOwnFields() {
    let w = Window2D(
      kernelHeight: 3, kernelWidth: 1, strideHeight: 2, strideWidth: 1, padTop: 1, padLeft: 0, padBottom: 0, padRight: 2,
      dilationHeight: 1, dilationWidth: 3)
    XCTAssertEqual(w.outputHeight(input: 9), (9 + 1 - 3) / 2 + 1)
    XCTAssertEqual(w.outputWidth(input: 9), 9 + 2)
    XCTAssertFalse(w.isUnpadded)
    XCTAssertTrue(Window2D(kernelHeight: 2, kernelWidth: 2).isUnpadded)
  }

  func testGeometriesShareTheWindow() {
    var conv = Conv2DGeometry(
      inChannels: 4, inHeight: 8, inWidth: 6, outChannels: 8, kernelHeight: 3, kernelWidth: 3, strideHeight: 2,
      padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, groups: 2)
    XCTAssertEqual(conv.kernelHeight, 3)
    XCTAssertEqual(conv.strideHeight, conv.window.strideHeight)
    XCTAssertEqual([conv.outHeight, conv.outWidth], [4, 6])
    conv.strideWidth = 3
    XCTAssertEqual(conv.window.strideWidth, 3, "writes go through to the window")
    XCTAssertEqual(conv.outWidth, 2)
    let pool = Pool2DGeometry(channels: 4, inHeight: 8, inWidth: 6, outHeight: 4, outWidth: 2, window: conv.window)
    XCTAssertEqual(pool.padTop, 1)
    XCTAssertEqual(Pool2DGeometry.outputExtent(input: 6, kernel: 3, stride: 2, padBegin: 0, padEnd: 0, ceilMode: true), 3)
  }

  func testValidationNamesTheProblem() {
    func message(_ body: () throws -> Void) -> String {
      do { try body(); return "" } catch { return "\(error)" }
    }
    let good = Conv2DGeometry(inChannels: 2, inHeight: 4, inWidth: 4, outChannels: 2, kernelHeight: 3, kernelWidth: 3)
    XCTAssertEqual(message(good.validate), "")
    var bad = good
    bad.strideHeight = 0
    XCTAssertTrue(message(bad.validate).contains("stride"))
    bad = good
    bad.padLeft = -1
    XCTAssertTrue(message(bad.validate).contains("negative padding"))
    bad = good
    bad.groups = 3
    XCTAssertTrue(message(bad.validate).contains("groups 3"))
    bad = good
    bad.kernelWidth = 9
    XCTAssertTrue(message(bad.validate).contains("empty output"))
    var pool = Pool2DGeometry(channels: 1, inHeight: 4, inWidth: 4, outHeight: 2, outWidth: 2, kernelHeight: 2, kernelWidth: 2)
    XCTAssertEqual(message(pool.validate), "")
    pool.dilationWidth = 0
    XCTAssertTrue(message(pool.validate).hasPrefix("Pool2D: "))
  }
}

final class BroadcastTests: XCTestCase {
  func testShapes() {
    XCTAssertEqual(Broadcast.shape([2, 1], [3]), [2, 3])
    XCTAssertEqual(Broadcast.shape([1, 5, 1], [3, 1, 1, 4]), [3, 1, 5, 4])
    XCTAssertEqual(Broadcast.shape([], [4]), [4])
    XCTAssertNil(Broadcast.shape([2, 3], [4]))
  }

  func testStridesSkipBroadcastDimensions() {
    XCTAssertEqual(Broadcast.strides([3, 1], to: [2, 3, 4]), [0, 1, 0])
    XCTAssertEqual(Broadcast.strides([2, 3, 4], to: [2, 3, 4]), [12, 4, 1])
  }
}

final class FloatTensorTests: XCTestCase {
  func testWrongCountThrowsInsteadOfTrapping() throws {
    XCTAssertEqual(try FloatTensor(shape: [2, 2], values: [1, 2, 3, 4]).shape, [2, 2])
    XCTAssertEqual(try FloatTensor(shape: [], values: [7]).values, [7])
    XCTAssertThrowsError(try FloatTensor(shape: [2, 3], values: [1, 2])) { error in
      guard case .shape(let m) = error as? PlanError else { return XCTFail("\(error)") }
      XCTAssertTrue(m.contains("needs 6 values, got 2"), m)
    }
    XCTAssertThrowsError(try FloatTensor(shape: [-1, -2], values: [1, 2]))
    XCTAssertThrowsError(try FloatTensor(shape: [1 << 40, 1 << 40], values: []))
  }
}
