"""int8 export: bias-free Gemm nodes become MatMul (same product) so that
ONNX Runtime's dynamic quantization reaches the attention projections."""

import keras
import numpy as np

from tests.export.conftest import require_onnx_packages

require_onnx_packages()

import onnx  # noqa: E402
import onnxruntime  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from dczoo.export import export_onnx  # noqa: E402
from dczoo.export.int8_quantization import gemm_as_matmul  # noqa: E402

from tests.models.tiny import tiny_corrector  # noqa: E402


def _gemm_graph():
    rng = np.random.default_rng(0)
    weight = numpy_helper.from_array(rng.normal(size=(6, 4)).astype(np.float32), "w")
    bias = numpy_helper.from_array(rng.normal(size=(6,)).astype(np.float32), "b")
    nodes = [
        helper.make_node("Gemm", ["x", "w"], ["plain"], transB=1),             # rewritten
        helper.make_node("Gemm", ["x", "w"], ["biased"], transB=1),            # rewritten (beta 0)
        helper.make_node("Gemm", ["x", "w"], ["scaled"], transB=1, alpha=2.0),  # kept
        helper.make_node("Gemm", ["x", "w", "b"], ["with_bias"], transB=1),     # kept
    ]
    nodes[1].input.append("b")
    nodes[1].attribute.append(helper.make_attribute("beta", 0.0))
    outputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [None, 6])
               for n in ("plain", "biased", "scaled", "with_bias")]
    graph = helper.make_graph(nodes, "gemms", [helper.make_tensor_value_info(
        "x", TensorProto.FLOAT, [None, 4])], outputs, initializer=[weight, bias])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 15)])


def _outputs(model, x):
    session = onnxruntime.InferenceSession(model.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})


def test_only_bias_free_unscaled_gemms_are_rewritten_and_results_are_unchanged():
    model = _gemm_graph()
    x = np.random.default_rng(1).normal(size=(3, 4)).astype(np.float32)
    before = _outputs(model, x)
    assert gemm_as_matmul(model) == 2
    assert [n.op_type for n in model.graph.node] == ["MatMul", "MatMul", "Gemm", "Gemm"]
    onnx.checker.check_model(model)
    for expected, got in zip(before, _outputs(model, x), strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def test_int8_export_leaves_no_float_weight_product(tmp_path):
    path = tmp_path / "tiny_int8.onnx"
    export_onnx(tiny_corrector(), path, int8=True)
    graph = onnx.load(str(path)).graph
    float_weights = {t.name for t in graph.initializer
                     if t.data_type == TensorProto.FLOAT and len(t.dims) == 2}
    products = [n for n in graph.node if n.op_type in ("MatMul", "Gemm", "Einsum")]
    with_float_weight = [n.name for n in products if float_weights & set(n.input)]
    assert sum(n.op_type == "MatMulInteger" for n in graph.node) > 0
    if keras.backend.backend() == "torch":
        # The dynamo exporter writes the attention projections as Einsum,
        # which ONNX Runtime's dynamic quantizer leaves in float32.
        assert all(n.op_type == "Einsum" for n in products if n.name in with_float_weight)
    else:
        assert with_float_weight == []
