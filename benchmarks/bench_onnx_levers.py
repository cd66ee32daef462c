"""Where the model time of `dczoo correct --engine onnxruntime` goes, and what each lever changes.

`dczoo correct` with an int8 ONNX student spends almost all its time in the
model (the summary's `timings_s`: `model` against `preprocess_producer_busy`),
so the levers are inside ONNX Runtime. On the first 1024 real human_1m windows
this times, in rotating rounds after a warm-up round (median windows/s):

* float32, dynamic int8 (what `dczoo export --int8` writes) and static int8
  (QDQ, per-channel weights, activation ranges calibrated on 256 other
  windows), each with identical-output agreement against float32 (share of
  window columns whose most likely token is the same);
* the batch size (64, the engine's default, and 256), the intra-op threads
  (1 and all) and the graph optimization level (basic and all);
* the per-operator time of the default int8 session (ONNX Runtime profiling);
* the CPU's measured int8 and float32 matrix-product peak in ONNX Runtime
  (one large MatMulInteger / MatMul), and the model's share of it: the
  multiply-accumulates of the weight matrix products and the attention per
  window times windows/s.

Usage:
    python benchmarks/bench_onnx_levers.py [--preset student_4layer] [--rounds 3] [--json out.json]
"""

import argparse
import collections
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

WINDOWS = Path(__file__).resolve().parents[2] / "shared" / "data" / "reference" / "windows" / "inference.npz"


def load_windows(path, count, skip=0):
    import numpy as np

    with np.load(path) as archive:
        return np.ascontiguousarray(archive["subreads/encoded"][skip:skip + count, ..., 0]).astype(np.float32)


def static_int8(float_path, target, calibration):
    """Static QDQ int8 of `float_path` (per-channel int8 weights, uint8 activations) calibrated on windows."""
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    from dczoo.export.int8_quantization import gemm_as_matmul

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.batches = iter([{"windows": calibration[i:i + 32]} for i in range(0, len(calibration), 32)])

        def get_next(self):
            return next(self.batches, None)

    prepared = target + ".prepared.onnx"
    quant_pre_process(float_path, prepared)
    model = onnx.load(prepared)
    gemm_as_matmul(model)
    onnx.save(model, prepared)
    quantize_static(prepared, target, Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"])
    os.remove(prepared)


def session(path, threads=None, level="all", profile_prefix=None):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    options.graph_optimization_level = {
        "basic": onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC,
        "all": onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL,
    }[level]
    if profile_prefix:
        options.enable_profiling = True
        options.profile_file_prefix = profile_prefix
    return onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def run_all(sess, windows, batch):
    import numpy as np

    return np.concatenate([sess.run(None, {"windows": windows[i:i + batch]})[0]
                           for i in range(0, len(windows), batch)])


def agreement(probs, reference):
    return float((probs.argmax(-1) == reference.argmax(-1)).mean())


def time_configs(configs, windows, rounds):
    """configs: name -> (session, batch). Returns name -> median windows/s."""
    times = collections.defaultdict(list)
    for round_index in range(rounds + 1):  # round 0 warms up
        for name, (sess, batch) in configs.items():
            start = time.perf_counter()
            for i in range(0, len(windows), batch):
                sess.run(None, {"windows": windows[i:i + batch]})
            if round_index:
                times[name].append(time.perf_counter() - start)
    return {name: len(windows) / statistics.median(t) for name, t in times.items()}


def matmul_peak(folder, int8, rounds=5):
    """Multiply-accumulates per second of one large matrix product in ONNX Runtime."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper

    m, k, n = 6400, 512, 2048
    if int8:
        node = helper.make_node("MatMulInteger", ["a", "b"], ["c"])
        inputs = [helper.make_tensor_value_info("a", TensorProto.UINT8, [m, k]),
                  helper.make_tensor_value_info("b", TensorProto.INT8, [k, n])]
        output = helper.make_tensor_value_info("c", TensorProto.INT32, [m, n])
        feeds = {"a": np.random.default_rng(0).integers(0, 255, (m, k), dtype=np.uint8),
                 "b": np.random.default_rng(1).integers(-127, 127, (k, n), dtype=np.int8)}
    else:
        node = helper.make_node("MatMul", ["a", "b"], ["c"])
        inputs = [helper.make_tensor_value_info("a", TensorProto.FLOAT, [m, k]),
                  helper.make_tensor_value_info("b", TensorProto.FLOAT, [k, n])]
        output = helper.make_tensor_value_info("c", TensorProto.FLOAT, [m, n])
        feeds = {"a": np.random.default_rng(0).standard_normal((m, k), dtype=np.float32),
                 "b": np.random.default_rng(1).standard_normal((k, n), dtype=np.float32)}
    graph = helper.make_graph([node], "peak", inputs, [output])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 15)])
    path = os.path.join(folder, f"peak_{'int8' if int8 else 'float32'}.onnx")
    onnx.save(model, path)
    sess = session(path)
    sess.run(None, feeds)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        sess.run(None, feeds)
        times.append(time.perf_counter() - start)
    return m * k * n / statistics.median(times)


def macs_per_window(float_path, tokens, layers, hidden):
    """Multiply-accumulates of one window: weight matrix products (from the graph) plus attention."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(float_path)
    weights = {init.name: numpy_helper.to_array(init).shape for init in model.graph.initializer}
    total = 0
    for node in model.graph.node:
        if node.op_type in ("MatMul", "Gemm"):
            shape = next((weights[name] for name in node.input[1:2] if name in weights), None)
            if shape is not None and len(shape) == 2:
                total += tokens * shape[0] * shape[1]
    attention = 2 * layers * tokens * tokens * hidden  # scores and weighted values
    return total + attention


def op_profile(path, windows, batch, folder):
    """Share of the session's kernel time per operator type (ONNX Runtime profiling)."""
    sess = session(path, profile_prefix=os.path.join(folder, "profile"))
    for _ in range(2):
        run_all(sess, windows, batch)
    trace = sess.end_profiling()
    with open(trace) as handle:
        events = json.load(handle)
    per_op = collections.Counter()
    for event in events:
        if event.get("cat") == "Node" and event.get("name", "").endswith("_kernel_time"):
            per_op[event.get("args", {}).get("op_name", "?")] += event.get("dur", 0)
    total = sum(per_op.values()) or 1
    return {op: round(100.0 * t / total, 1) for op, t in per_op.most_common()}


def main(argv=None):
    from dczoo.export import export_onnx
    from dczoo.models import DeepConsensusCorrector

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="student_4layer")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--windows", type=int, default=1024)
    parser.add_argument("--windows-file", default=str(WINDOWS))
    parser.add_argument("--json", help="write the results here too")
    args = parser.parse_args(argv)
    windows = load_windows(args.windows_file, args.windows)
    calibration = load_windows(args.windows_file, 256, skip=args.windows)
    cores = os.cpu_count()
    result = {"preset": args.preset, "windows": len(windows), "cores": cores}
    with tempfile.TemporaryDirectory() as folder:
        paths = {"float32": os.path.join(folder, "float32.onnx"), "dynamic_int8": os.path.join(folder, "int8.onnx"),
                 "static_int8": os.path.join(folder, "static_int8.onnx")}
        export_onnx(args.preset, paths["float32"])
        export_onnx(args.preset, paths["dynamic_int8"], int8=True)
        static_int8(paths["float32"], paths["static_int8"], calibration)
        reference = run_all(session(paths["float32"]), windows, 64)
        result["agreement_with_float32"] = {
            name: agreement(run_all(session(path), windows, 64), reference) for name, path in paths.items()}
        configs = {}
        for name, path in paths.items():
            configs[f"{name} batch 64"] = (session(path), 64)
        configs["dynamic_int8 batch 256"] = (session(paths["dynamic_int8"]), 256)
        configs["dynamic_int8 batch 64, 1 thread"] = (session(paths["dynamic_int8"], threads=1), 64)
        basic = session(paths["dynamic_int8"], level="basic")
        configs["dynamic_int8 batch 64, basic graph optimizations"] = (basic, 64)
        configs["static_int8 batch 256"] = (session(paths["static_int8"]), 256)
        rates = time_configs(configs, windows, args.rounds)
        result["windows_per_second"] = {name: round(rate, 1) for name, rate in rates.items()}
        result["operator_time_percent_dynamic_int8"] = op_profile(paths["dynamic_int8"], windows, 64, folder)
        result["operator_time_percent_static_int8"] = op_profile(paths["static_int8"], windows, 64, folder)
        config = DeepConsensusCorrector.from_preset(args.preset).backbone.get_config()
        macs = macs_per_window(paths["float32"], windows.shape[-1], config["num_layers"], config["hidden_dim"])
        peaks = {"int8": matmul_peak(folder, True), "float32": matmul_peak(folder, False)}
    result["macs_per_window"] = macs
    result["peak_gmacs_per_second"] = {k: round(v / 1e9, 1) for k, v in peaks.items()}
    result["share_of_peak_percent"] = {
        "dynamic_int8 batch 64": round(100 * macs * rates["dynamic_int8 batch 64"] / peaks["int8"], 1),
        "static_int8 batch 64": round(100 * macs * rates["static_int8 batch 64"] / peaks["int8"], 1),
        "float32 batch 64": round(100 * macs * rates["float32 batch 64"] / peaks["float32"], 1),
    }
    print(json.dumps(result, indent=1))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(result, handle, indent=1)
    return result


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
