"""`dczoo export`: a preset (or checkpoint) as a standalone ONNX model.

Examples:
    dczoo export teacher_6layer --format onnx --output teacher_6layer.onnx
    dczoo export my_preset/ --format onnx --output student.onnx --int8
    dczoo correct ... --engine onnxruntime --model student.onnx
"""

import sys

from dczoo.cli._arguments import number

FORMATS = ("onnx",)


def register(subparsers):
    """Adds the `export` sub-command."""
    parser = subparsers.add_parser(
        "export",
        help="export a corrector to ONNX (for --engine onnxruntime)",
        description=(
            "Export a corrector to a standalone ONNX model with a dynamic batch "
            "dimension, its quality calibration and window geometry in the "
            "metadata, for `dczoo correct --engine onnxruntime` or any ONNX "
            "Runtime deployment. The file is written to a temporary name and "
            "renamed when the export and a check against the Keras model pass. "
            "Exit status 2 for bad inputs."
        ),
    )
    parser.add_argument("model", metavar="PRESET_OR_FOLDER",
                        help="built-in preset name, preset folder, hf://org/repo, or an "
                        "official DeepConsensus checkpoint folder")
    parser.add_argument("--format", choices=FORMATS, default="onnx", help="(default onnx)")
    parser.add_argument("--output", "-o", required=True, help="the .onnx file to write")
    parser.add_argument("--int8", action="store_true",
                        help="quantize the weights to int8 (ONNX Runtime dynamic "
                        "quantization); see docs/onnx.md for its agreement with float32")
    parser.add_argument("--opset", type=number(minimum=1, whole=True), default=None,
                        help="ONNX opset (default: the converter's)")
    parser.add_argument("--no-verify", dest="verify", action="store_false",
                        help="load a preset without a sha256 manifest in its metadata.json "
                        "(saved before presets carried one); see `dczoo correct --help`")
    parser.add_argument("--no-check", dest="check", action="store_false",
                        help="skip comparing ONNX Runtime with Keras after export")
    parser.add_argument("--quiet", action="store_true", help="no final message")
    parser.set_defaults(func=run)


def run(args):
    """Runs the command; returns the exit status."""
    from dczoo.export.onnx_export import export_onnx

    metadata = export_onnx(args.model, args.output, int8=args.int8, opset=args.opset,
                           check=args.check, verify=args.verify)
    if not args.quiet:
        print(f"dczoo export: wrote {args.output} ({metadata['preset']}, "
              f"{metadata['num_layers']} layers, opset {metadata['opset']}, "
              f"{'int8' if args.int8 else 'float32'}, via {metadata['exported_with']})",
              file=sys.stderr)
    return 0
