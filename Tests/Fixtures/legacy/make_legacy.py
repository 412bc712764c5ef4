"""Writes legacy-ir3.onnx: an IR version 3 / opset 8 model as old exporters wrote it,
with every initializer also listed as a graph input, tensors in typed fields
(float_data / int64_data, no raw_data), a Constant node feeding Reshape, and
Dropout with its old `ratio` attribute. Also writes the input and onnxruntime's
output for it. Run once with onnx + onnxruntime; the outputs are committed."""
import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

rng = np.random.default_rng(3)
W = rng.standard_normal((4, 2, 3, 3)).astype(np.float32)
B = rng.standard_normal(4).astype(np.float32)
scale, bias = rng.uniform(0.5, 1.5, 4).astype(np.float32), rng.standard_normal(4).astype(np.float32)
mean, var = rng.standard_normal(4).astype(np.float32), rng.uniform(0.5, 1.5, 4).astype(np.float32)
FC = rng.standard_normal((5, 4 * 3 * 3)).astype(np.float32)
FCB = rng.standard_normal(5).astype(np.float32)

def t(name, a):
    return helper.make_tensor(name, TensorProto.FLOAT, a.shape, a.flatten().tolist())  # typed float_data

inits = [t("W", W), t("B", B), t("scale", scale), t("bias", bias), t("mean", mean), t("var", var), t("FC", FC), t("FCB", FCB)]
nodes = [
    helper.make_node("Conv", ["x", "W", "B"], ["c"], name="conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2]),
    helper.make_node("BatchNormalization", ["c", "scale", "bias", "mean", "var"], ["bn"], name="bn", epsilon=1e-3),
    helper.make_node("Relu", ["bn"], ["r"], name="relu"),
    helper.make_node("MaxPool", ["r"], ["p"], name="pool", kernel_shape=[2, 2], strides=[1, 1]),
    helper.make_node("Constant", [], ["shape"], name="shape",
                     value=helper.make_tensor("shape_value", TensorProto.INT64, [2], [0, -1])),
    helper.make_node("Reshape", ["p", "shape"], ["flat"], name="flatten"),
    helper.make_node("Dropout", ["flat"], ["d"], name="dropout", ratio=0.5),
    helper.make_node("Gemm", ["d", "FC", "FCB"], ["g"], name="fc", transB=1),
    helper.make_node("Softmax", ["g"], ["y"], name="softmax", axis=1),
]
inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 2, 8, 8])] + [
    helper.make_tensor_value_info(i.name, TensorProto.FLOAT, list(i.dims)) for i in inits]
graph = helper.make_graph(nodes, "legacy", inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 5])], inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 8)], producer_name="legacy-test")
model.ir_version = 3
onnx.checker.check_model(model)
onnx.save(model, "legacy-ir3.onnx")
x = rng.standard_normal((3, 2, 8, 8)).astype(np.float32)
np.save("legacy-input.npy", x)
y = ort.InferenceSession("legacy-ir3.onnx", providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
np.save("legacy-output-onnxruntime.npy", y)
print(y.shape, model.ir_version)
