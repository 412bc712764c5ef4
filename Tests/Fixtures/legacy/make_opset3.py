"""Writes opset3-zoo.onnx: a small network in the forms of the ONNX model zoo's opset-3 files
(bvlc_googlenet-3, resnet50-caffe2-v1-3): `consumed_inputs` on most ops, BatchNormalization
and Dropout with `is_test`, Reshape's shape as an attribute, Concat without an axis, Gemm with
`broadcast`, Sum, LRN, Cast with a type name. onnxruntime does not run opset 3, so the expected
output comes from the same network written at opset 13 (built in memory, not saved).
Run once from this folder with onnx + onnxruntime; the outputs are committed."""
import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(5)
def w(*dims, lo=-0.5, hi=0.5): return rng.uniform(lo, hi, dims).astype(np.float32)
P = dict(W1=w(8, 3, 3, 3), B1=w(8), W2=w(4, 8, 1, 1), W3=w(4, 8, 3, 3),
         scale=w(8, lo=0.5, hi=1.5), bias=w(8), mean=w(8), var=w(8, lo=0.5, hi=1.5),
         FC=w(5, 8 * 2 * 2), FCB=w(5))

def build(opset):
    legacy = opset < 5
    def attrs(**kw): return kw
    consumed = (lambda n: {"consumed_inputs": [0] * n}) if legacy else (lambda n: {})
    inits = [numpy_helper.from_array(v, k) for k, v in P.items()]
    nodes = [
        helper.make_node("Conv", ["x", "W1", "B1"], ["c1"], name="conv1", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c1", "scale", "bias", "mean", "var"], ["bn"], name="bn", epsilon=1e-3,
                         **({"is_test": 1, "spatial": 1, "consumed_inputs": [0, 0, 0, 1, 1]} if legacy else {})),
        helper.make_node("Relu", ["bn"], ["r1"], name="relu1", **consumed(1)),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("LRN", ["p1"], ["n1"], name="norm1", size=3, alpha=1e-3, beta=0.75, bias=1.0),
        helper.make_node("Conv", ["n1", "W2"], ["a"], name="branch1x1"),
        helper.make_node("Conv", ["n1", "W3"], ["b"], name="branch3x3", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Concat", ["a", "b"], ["cat"], name="concat", **({} if legacy else {"axis": 1})),
        helper.make_node("Sum", ["cat", "n1"], ["s"], name="residual", **consumed(2)),
        helper.make_node("Relu", ["s"], ["r2"], name="relu2", **consumed(1)),
        helper.make_node("AveragePool", ["r2"], ["p2"], name="pool2", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Dropout", ["p2"], ["d"], name="drop", **({"is_test": 1, "ratio": 0.4} if legacy else {})),
        helper.make_node("Reshape", ["d"] + ([] if legacy else ["shape"]), ["flat"], name="flatten",
                         **({"shape": [1, 32], "consumed_inputs": [0]} if legacy else {})),
        helper.make_node("Gemm", ["flat", "FC", "FCB"], ["g"], name="fc", transB=1, **({"broadcast": 1} if legacy else {})),
        helper.make_node("Cast", ["g"], ["gc"], name="cast", to="FLOAT" if legacy else TensorProto.FLOAT),
        helper.make_node("Softmax", ["gc"], ["y"], name="prob"),
    ]
    if not legacy: inits.append(numpy_helper.from_array(np.array([1, 32], np.int64), "shape"))
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])]
    if legacy:  # IR 3: every initializer is also a graph input
        inputs += [helper.make_tensor_value_info(i.name, i.data_type, list(i.dims)) for i in inits]
    graph = helper.make_graph(nodes, "zoo", inputs,
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="opset3-test")
    model.ir_version = 3 if legacy else 7
    onnx.checker.check_model(model)
    return model

onnx.save(build(3), "opset3-zoo.onnx")
twin = build(13)
x = rng.standard_normal((1, 3, 8, 8)).astype(np.float32)
np.save("opset3-input.npy", x)
y = ort.InferenceSession(twin.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
np.save("opset3-output-onnxruntime.npy", y)
print(y)
