import GraphPlan

/// What a step's kernel needs that depends on the plan alone (window taps, index layouts), worked
/// out once when a ``CompiledModel`` loads and shared by its sessions: these hold arrays, and a
/// run into kept outputs allocates nothing.
enum PreparedStep: Sendable {
  case none
  case pool(PoolAxes)
  /// A binary step's operands, or a select's x, y and condition.
  case binary(BroadcastRows)
  case gather(StridedGather)
  case matmul(MatMulLayout)
  case indexCopy(AxisOffsets)

  /// An average pool step's window taps (max pooling's kernel needs none).
  var poolAxes: PoolAxes? {
    if case .pool(let axes) = self { axes } else { nil }
  }

  /// The prepared state of every step of `plan` (validated: the shapes fit).
  static func prepare(_ plan: Plan) throws(RuntimeError) -> [PreparedStep] {
    var prepared: [PreparedStep] = []
    for step in plan.steps {
      switch step.kernel {
      case .pool(let p) where p.kind == .average: prepared.append(.pool(PoolAxes(p.geometry)))
      case .binary(let b):
        let (left, right) = b.constantIsLeft ? (b.rightDims, b.leftDims) : (b.leftDims, b.rightDims)
        do { prepared.append(.binary(try BroadcastRows(left, right))) } catch {
          throw .format("step '\(step.name)': \(error.message)")
        }
      case .select(let select):
        do { prepared.append(.binary(try BroadcastRows(select.dims[1], select.dims[2], select.dims[0]))) } catch {
          throw .format("step '\(step.name)': \(error.message)")
        }
      case .transpose(let perm): prepared.append(.gather(StridedGather(transposing: step.inputs[0].dims, perm: perm)))
      case .slice(let starts, let steps):
        prepared.append(.gather(StridedGather(slicing: step.inputs[0].dims, starts: starts, steps: steps, outShape: step.output.dims)))
      case .matmul(let m): prepared.append(.matmul(MatMulLayout(left: m.leftDims, right: m.rightDims)))
      case .indexCopy(let sources, let fill):
        prepared.append(.indexCopy(AxisOffsets(inputShape: step.inputs[0].dims, sources: sources, fill: fill)))
      default: prepared.append(.none)
      }
    }
    return prepared
  }
}
