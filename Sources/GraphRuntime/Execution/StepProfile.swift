import GraphPlan

/// One plan step as a profile names it: what runs, on which shapes, and how much arithmetic
/// that is. For `graphrun --profile` (with ``Session/run(_:stepClock:)``, which times the steps).
package struct StepProfile: Sendable, Equatable {
  /// The step's name (usually its first graph node).
  package var name: String
  /// Short kernel kind: `conv`, `pool`, `dense`, ...
  package var kind: String
  /// The kernel with its key parameters, e.g. `conv 3x3/1 pad 1 64→64 relu +residual`.
  package var summary: String
  /// Per-item shapes of the inputs (batch left out).
  package var inputShapes: [[Int]]
  /// Per-item shape of the output.
  package var outputShape: [Int]
  /// Arithmetic per batch item (see ``operations(_:)``).
  package var operationsPerItem: Int

  /// How much arithmetic a step does per batch item, the convention GFLOP/s figures use:
  /// convolution 2·M·(C/g)·KH·KW·OH·OW (N-D alike; transposed 2·C·(M/g)·taps·input positions) and dense 2·K·N (multiply and add; bias and fused
  /// activations not counted); pooling and LRN one operation per window tap; global pooling one
  /// per input element; element-wise steps one per output element (channel-affine two);
  /// transpose, copy, index copy and constant none (they only move data).
  package static func operations(_ step: Step) -> Int {
    let out = step.output.itemCount
    switch step.kernel {
    case .conv(let c):
      let g = c.geometry
      return 2 * g.outChannels * g.inChannelsPerGroup * g.window.kernelHeight * g.window.kernelWidth * g.outHeight * g.outWidth
    case .dense(let d):
      return 2 * d.inFeatures * d.outFeatures * d.rows
    case .pool(let p):
      return p.geometry.outputCountPerItem * p.geometry.window.kernelHeight * p.geometry.window.kernelWidth
    case .convND(let c):
      return 2 * c.geometry.outChannels * c.geometry.depthPerGroup * c.geometry.outVolume
    case .convTranspose(let c):
      return 2 * c.geometry.inChannels * c.geometry.columnRowsPerGroup * c.geometry.inVolume
    case .poolND(let p):
      return p.geometry.outputCountPerItem * p.geometry.window.taps
    case .globalPool, .reduce, .topK:
      return step.inputs.first?.itemCount ?? 0
    case .lrn(let size, _, _, _):
      return out * size
    case .channelAffine:
      return 2 * out
    case .binary, .select, .activation, .softmax, .logSoftmax, .batchMean, .cumSum:
      return out
    case .resize(let rows, let columns):
      return 2 * rows.taps * columns.taps * out
    case .layerNorm, .channelNorm:
      return 8 * out
    case .matmul(let m):
      let a = m.leftDims.count == 1 ? [1] + m.leftDims : m.leftDims
      return 2 * out * a[a.count - 1]
    case .transpose, .copy, .slice, .constant, .concat, .gather, .indexCopy:
      return 0
    }
  }
}

extension CompiledModel {
  /// Every step of the plan, in schedule order, as a profile names it.
  package var stepProfiles: [StepProfile] {
    plan.steps.map { step in
      StepProfile(
        name: step.name, kind: PlanDescription.kind(step.kernel), summary: PlanDescription.summary(step.kernel),
        inputShapes: step.inputs.map(\.dims), outputShape: step.output.dims, operationsPerItem: StepProfile.operations(step))
    }
  }
}
