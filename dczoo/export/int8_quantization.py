"""int8 weights for an exported corrector: ONNX Runtime dynamic quantization.

ONNX Runtime's dynamic quantizer turns `MatMul` nodes with a constant weight
into int8 `MatMulInteger` kernels (activations quantized per call), but it
leaves `Gemm` nodes in float32. tf2onnx writes the attention projections of
the corrector (query, key, value, output: a third of the student's weights)
as `Gemm` without a bias, some with a weight that is only constant after
constant folding. `quantize_int8` therefore

1. runs ONNX Runtime's quantization pre-processing (shape inference and
   constant folding), so every projection weight becomes an initializer;
2. rewrites each bias-free `Gemm` with a constant weight as a `MatMul` with
   the weight transposed once, ahead of time (the same product);
3. quantizes every weight `MatMul` to int8 (per tensor, signed weights).

For a 4-layer model this quantizes 26 matrix products instead of 10 (speed
and agreement: `benchmarks/bench_onnx.py`, docs/onnx.md). The PyTorch export
writes the projections as `Einsum`, which stays float32.
"""

import os

import numpy as np


def _attributes(node):
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def gemm_as_matmul(onnx_model):
    """Rewrites bias-free `Gemm(A, W)` with a constant `W` as `MatMul`.

    Only nodes with `alpha == 1`, `transA == 0` and no bias (or `beta == 0`)
    are rewritten; `transB` is applied to the stored weight.

    Args:
        onnx_model: `onnx.ModelProto`, changed in place.

    Returns:
        int: the number of nodes rewritten.
    """
    from onnx import helper, numpy_helper

    graph = onnx_model.graph
    weights = {t.name: t for t in graph.initializer}
    nodes, rewritten = [], 0
    for node in graph.node:
        attributes = _attributes(node)
        no_bias = len(node.input) < 3 or not node.input[2] or attributes.get("beta", 1.0) == 0.0
        if (
            node.op_type == "Gemm"
            and node.input[1] in weights
            and attributes.get("alpha", 1.0) == 1.0
            and not attributes.get("transA", 0)
            and no_bias
        ):
            weight = numpy_helper.to_array(weights[node.input[1]])
            if attributes.get("transB", 0):
                weight = weight.T
            name = f"{node.input[1]}__as_matmul_{rewritten}"
            graph.initializer.append(numpy_helper.from_array(np.ascontiguousarray(weight), name))
            nodes.append(
                helper.make_node(
                    "MatMul", [node.input[0], name], list(node.output),
                    name=f"{node.name or 'gemm'}__as_matmul_{rewritten}",
                )
            )
            rewritten += 1
        else:
            nodes.append(node)
    del graph.node[:]
    graph.node.extend(nodes)
    return rewritten


def quantize_int8(onnx_model, folder):
    """Dynamic int8 quantization of every weight matrix product.

    Args:
        onnx_model: float32 `onnx.ModelProto`.
        folder: str. A scratch folder for the intermediate files.

    Returns:
        `onnx.ModelProto` with int8 weights.
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.shape_inference import quant_pre_process

    source = os.path.join(folder, "float.onnx")
    prepared = os.path.join(folder, "prepared.onnx")
    target = os.path.join(folder, "int8.onnx")
    onnx.save(onnx_model, source)
    quant_pre_process(source, prepared)
    prepared_model = onnx.load(prepared)
    gemm_as_matmul(prepared_model)
    onnx.save(prepared_model, prepared)
    quantize_dynamic(prepared, target, weight_type=QuantType.QInt8)
    return onnx.load(target)
