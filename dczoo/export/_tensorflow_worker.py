"""Exports a preset folder to ONNX with the TensorFlow backend (used by
`export_onnx` on backends that cannot export themselves).

Usage: KERAS_BACKEND=tensorflow python -m dczoo.export._tensorflow_worker
PRESET_DIR OUTPUT [OPSET]; prints the converter on the last stdout line.
"""

import sys


def main(argv):
    import keras

    from dczoo.export.onnx_export import _export_tensorflow
    from dczoo.models import DeepConsensusCorrector

    if keras.backend.backend() != "tensorflow":
        raise SystemExit("run with KERAS_BACKEND=tensorflow")
    preset, output = argv[0], argv[1]
    opset = int(argv[2]) if len(argv) > 2 and argv[2] else None
    model = DeepConsensusCorrector.from_preset(preset)
    print(_export_tensorflow(model, output, opset))


if __name__ == "__main__":
    main(sys.argv[1:])
