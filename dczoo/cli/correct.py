"""`dczoo correct`: subreads_to_ccs.bam + ccs.bam -> corrected FASTQ or BAM.

Examples:
    dczoo correct --subreads-to-ccs subreads_to_ccs.bam --ccs-bam ccs.bam \\
        --output corrected.fastq --model student_4layer
    dczoo correct ... --output shard_3.bam --chunk 3/500
    dczoo correct ... --output corrected.bam --kinetics   # keep per-strand kinetics tags
    dczoo correct ... --output out.fastq --model deepconsensus_model/  # official checkpoint
    dczoo correct ... --output out.fastq --engine onnxruntime --model student_4layer.onnx
"""

import contextlib
import shlex
import signal
import sys
import threading

from dczoo.cli._arguments import add_progress_every, add_verbose, number
from dczoo.constants import INS_TRIM, MAX_BASE_QUALITY
from dczoo.inference.batched_predictor import DEFAULT_BATCH_SIZE
from dczoo.inference.engine import ENGINES
from dczoo.inference.model_loading import PRECISIONS
from dczoo.inference.onnx_engine import DEFAULT_ONNX_BATCH_SIZE
from dczoo.inference.pipeline import DEFAULT_BATCH_ZMWS, default_cpus
from dczoo.inference.read_filter import DEFAULT_MIN_QUALITY
from dczoo.inference.window_skipping import DEFAULT_SKIP_WINDOWS_ABOVE
from dczoo.presets import DEFAULT_PRESET


def register(subparsers):
    """Adds the `correct` sub-command."""
    parser = subparsers.add_parser(
        "correct",
        help="correct draft (CCS) reads with a corrector model",
        description=(
            "Correct PacBio draft reads: preprocess subreads aligned to their "
            "draft, run the model on every window whose draft is not already "
            "good, stitch the windows into reads with calibrated qualities, "
            "filter, and write FASTQ or unaligned BAM (with the draft BAM's "
            "header and ec/np/rq/RG/zm tags). Outputs that would overwrite an "
            "input are refused before any work; outputs appear only when complete. "
            "Presets are verified against the sha256 manifest in their "
            "metadata.json (--no-verify for presets saved before manifests)."
        ),
    )
    io = parser.add_argument_group("inputs and output")
    io.add_argument("--subreads-to-ccs", required=True, help="subreads aligned to their draft (actc)")
    io.add_argument("--ccs-bam", required=True, help="draft (CCS) reads, same ZMW order")
    io.add_argument("--output", "-o", required=True,
                    help="corrected reads: .fastq/.fq (optionally .gz) or .bam; "
                    "written to a temporary file, renamed on success")
    io.add_argument("--summary", help="summary JSON path (default: <output>.summary.json)")
    io.add_argument("--kinetics", action="store_true",
                    help="BAM output only: give every read the per-strand kinetics tags of "
                    "`ccs --hifi-kinetics` (fi, fp, ri, rp as codec V1 means of the subreads' "
                    "ip/pw per strand, fn, rn complete passes) for methylation callers")
    model = parser.add_argument_group("model")
    model.add_argument("--model", "--preset", "--checkpoint", dest="model", default=None,
                       help="built-in preset name, preset folder, hf://org/repo, or an "
                       "official DeepConsensus checkpoint folder (converted in memory) "
                       f"(default {DEFAULT_PRESET}, or the first built-in preset whose "
                       "weights are bundled); with --engine onnxruntime, an .onnx file "
                       "from `dczoo export`")
    model.add_argument("--engine", choices=ENGINES, default=ENGINES[0],
                       help="what runs the model: keras (the configured Keras backend) or "
                       "onnxruntime (an exported .onnx model; pip install 'dczoo[onnx]') "
                       "(default keras)")
    model.add_argument("--precision", choices=PRECISIONS, default=PRECISIONS[0],
                       help="Keras engine compute precision: bfloat16 (mixed) or int8 (Keras "
                       "quantize) keep >= 99.98%% of float32's output bases with the trained "
                       "presets but were slower on the CPUs measured; for a faster int8 model "
                       "use `dczoo export --int8` and --engine onnxruntime (default float32)")
    model.add_argument("--dc-calibration", default=None,
                       help="quality calibration 'threshold,w,b', 'knots:x1:y1,...' or 'skip' "
                       "(default: the model's own)")
    model.add_argument("--ccs-calibration", default=None,
                       help="calibration of qualities of windows that keep the draft, same forms "
                       "(default: the model's draft calibration if it has one, else none)")
    model.add_argument("--no-verify", dest="verify", action="store_false",
                       help="load a preset folder whose metadata.json has no sha256 manifest "
                       "(saved before presets carried one) or whose files you changed on purpose: "
                       "skips the sha256 checks of config.json and the weights (the config "
                       "is still checked against the weights' shapes)")
    model.add_argument("--xla", action="store_true",
                       help="TensorFlow backend: compile the model with XLA")
    filters = parser.add_argument_group("windows and filters")
    filters.add_argument("--skip-windows-above", type=number(minimum=0), default=DEFAULT_SKIP_WINDOWS_ABOVE,
                         help="keep the draft for windows whose average draft quality "
                         f"is above this (default {DEFAULT_SKIP_WINDOWS_ABOVE}; 0: run the "
                         "model everywhere)")
    filters.add_argument("--min-quality", type=number(minimum=0), default=DEFAULT_MIN_QUALITY,
                         help=f"minimum average read quality (default {DEFAULT_MIN_QUALITY})")
    filters.add_argument("--min-length", type=number(minimum=0, whole=True), default=0,
                         help="minimum read length (default 0)")
    filters.add_argument("--max-base-quality", type=number(0, MAX_BASE_QUALITY, whole=True), default=MAX_BASE_QUALITY,
                         help=f"quality cap (default {MAX_BASE_QUALITY})")
    filters.add_argument("--ins-trim", type=number(minimum=0, whole=True), default=INS_TRIM,
                         help=f"remove subread insertions longer than this (default {INS_TRIM}; "
                         "0: off)")
    speed = parser.add_argument_group("speed, memory and sharding")
    speed.add_argument("--batch-size", type=number(minimum=1, whole=True), default=None,
                       help=f"windows per model call (default {DEFAULT_BATCH_SIZE} with the "
                       f"keras engine, {DEFAULT_ONNX_BATCH_SIZE} with onnxruntime); refused "
                       "when its memory (about 1 GB + 1.7 MB per window) exceeds the "
                       "available memory")
    speed.add_argument("--batch-zmws", type=number(minimum=1, whole=True), default=DEFAULT_BATCH_ZMWS,
                       help="ZMWs preprocessed ahead of the model; bounds memory "
                       f"(default {DEFAULT_BATCH_ZMWS})")
    speed.add_argument("--cpus", type=number(minimum=0, whole=True), default=default_cpus(),
                       help="preprocessing worker processes; 0 or 1 uses a background "
                       f"thread (default {default_cpus()} on this machine)")
    speed.add_argument("--threads", type=number(minimum=1, whole=True), default=None,
                       help="CPU threads of the model's runtime: ONNX Runtime's intra-op threads, "
                       "PyTorch's and TensorFlow's thread pools; JAX takes only 1 (the summary's "
                       "model_threads says what applied) (default: all cores)")
    speed.add_argument("--chunk", help="only ZMWs i, i+N, i+2N, ... (0-based), given as i/N")
    speed.add_argument("--quiet", action="store_true",
                       help="no progress bar, no progress lines and no final message "
                       "(errors still print)")
    add_progress_every(speed)
    add_verbose(speed)
    parser.set_defaults(func=run)


@contextlib.contextmanager
def _sigterm_as_exit():
    """Turns SIGTERM (a workflow engine cancelling a job) into SystemExit, so
    that the temporary output is removed as on Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum, frame):
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run(args):
    """Runs the command; returns the exit status."""
    with _sigterm_as_exit():
        return _run(args)


def _run(args):
    from dczoo.inference.pipeline import CorrectionOptions, run_correction

    options = CorrectionOptions(
        batch_size=args.batch_size,
        batch_zmws=args.batch_zmws,
        cpus=args.cpus,
        threads=args.threads,
        skip_windows_above=args.skip_windows_above,
        min_quality=args.min_quality,
        min_length=args.min_length,
        max_base_quality=args.max_base_quality,
        dc_calibration=args.dc_calibration,
        ccs_calibration=args.ccs_calibration,
        ins_trim=args.ins_trim,
        chunk=args.chunk,
        progress=not args.quiet,
        progress_every=args.progress_every,
        jit_compile=args.xla,
        engine=args.engine,
        precision=args.precision,
        verify=args.verify,
        kinetics=args.kinetics,
    )
    command_line = "dczoo " + " ".join(shlex.quote(arg) for arg in sys.argv[1:])
    reads = run_correction(
        args.subreads_to_ccs,
        args.ccs_bam,
        args.model,
        args.output,
        options,
        summary_path=args.summary,
        command_line=command_line,
    )
    summary = reads.summary
    if not args.quiet:
        outcomes = ", ".join(f"{k}={v}" for k, v in summary["outcomes"].items())
        rate = summary["throughput"]["zmws_per_s"]
        dropped = sum(summary["zmws_dropped"].values())
        if dropped:
            reasons = ", ".join(f"{k}={v}" for k, v in summary["zmws_dropped"].items() if v)
            print(f"dczoo correct: {dropped} ZMWs dropped ({reasons})", file=sys.stderr)
        print(f"dczoo correct: {summary['zmws']} ZMWs ({outcomes}); "
              f"{summary['windows']['model']} of {summary['windows']['total']} windows "
              f"through the model; {rate} ZMWs/s", file=sys.stderr)
        if summary["exit_status"]:
            print(f"dczoo correct: no read passed the filters; {args.output} was not "
                  "written (see the summary JSON)", file=sys.stderr)
        else:
            print(f"dczoo correct: wrote {summary['reads_written']} reads to {args.output}",
                  file=sys.stderr)
    return summary["exit_status"]
