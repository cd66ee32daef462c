"""The correction pipeline: BAM pair -> windows -> model -> reads -> file.

Preprocessing (`dczoo.data.iter_zmw_windows`) runs in worker processes
(`cpus >= 2`) or in a background thread (`cpus <= 1`), ahead of the model by
up to `batch_zmws` ZMWs; the model runs in fixed-size batches in the main
thread (`BatchedPredictor` for Keras, `OnnxPredictor` for an exported ONNX
model with `engine="onnxruntime"`); `ZmwCorrector` stitches and filters the reads
in input order; the writer puts them in a temporary file that is renamed
only when the run succeeds. A summary (counters, outcomes, timings) goes to
`<output>.summary.json`.
"""

import collections
import dataclasses
import json
import os
import sys
import time

from dczoo.atomic import write_text_atomically
from dczoo.constants import MAX_BASE_QUALITY
from dczoo.errors import DczooInputError
from dczoo.inference.batched_predictor import DEFAULT_BATCH_SIZE, BatchedPredictor
from dczoo.inference.fastq_writer import FastqWriter, is_fastq_path
from dczoo.inference.prefetch import Prefetcher
from dczoo.inference.quality import QualityCalibration
from dczoo.inference.read_filter import DEFAULT_MIN_QUALITY, SUCCESS, ReadFilter
from dczoo.inference.window_skipping import DEFAULT_SKIP_WINDOWS_ABOVE
from dczoo.inference.zmw_corrector import ZmwCorrector
from dczoo.version import __version__

# ONNX Runtime's default windows per call: its int8 models ran faster at
# 32-64 windows than at 256 (benchmarks/bench_onnx_batch.py, docs/onnx.md).
DEFAULT_ONNX_BATCH_SIZE = 64

DEFAULT_BATCH_ZMWS = 100

# What runs the model: Keras on the configured backend, or an exported ONNX
# model in ONNX Runtime (`dczoo export`); everything else is the same code.
ENGINES = ("keras", "onnxruntime")


def default_cpus():
    """Preprocessing workers by default: one per 8 cores, at most 8.

    Preprocessing costs about a tenth of the teacher's inference, so one
    worker (a background thread on machines with up to 8 cores) keeps the
    model busy.
    """
    cores = os.cpu_count() or 1
    return max(1, min(8, cores // 8))


@dataclasses.dataclass
class CorrectionOptions:
    """Settings of a correction run (the CLI's options).

    Attributes:
        batch_size: int or None. Windows per model call; None: the engine's
            default (256 for Keras, 64 for ONNX Runtime).
        batch_zmws: int. ZMWs preprocessed ahead of the model (memory).
        cpus: int. Preprocessing worker processes; 0 or 1 uses a thread.
        skip_windows_above: float. Windows whose draft average quality is
            above this keep the draft (0: every window runs the model).
        min_quality: float. Minimum average read quality.
        min_length: int. Minimum read length.
        max_base_quality: int. Quality cap.
        dc_calibration: str or None. "threshold,w,b", "skip", or None for
            the model's own calibration.
        ccs_calibration: str or None. Calibration of passed-through draft
            qualities ("skip" by default).
        ins_trim: int. Subread insertions longer than this are removed.
        chunk: str or None. "i/N" (0-based): ZMWs whose ordinal is i mod N.
        progress: bool. Show a progress bar (ZMWs/s) on stderr.
        jit_compile: bool or "auto". XLA for the TensorFlow backend.
    """

    batch_size: int = None
    batch_zmws: int = DEFAULT_BATCH_ZMWS
    cpus: int = dataclasses.field(default_factory=default_cpus)
    skip_windows_above: float = DEFAULT_SKIP_WINDOWS_ABOVE
    min_quality: float = DEFAULT_MIN_QUALITY
    min_length: int = 0
    max_base_quality: int = MAX_BASE_QUALITY
    dc_calibration: str = None
    ccs_calibration: str = "skip"
    ins_trim: int = 5
    chunk: str = None
    progress: bool = False
    jit_compile: object = "auto"

    def check(self):
        """Raises `DczooInputError` for out-of-range values."""
        problems = []
        if self.batch_size is not None and self.batch_size < 1:
            problems.append(f"--batch-size must be >= 1 (got {self.batch_size})")
        if self.batch_zmws < 1:
            problems.append(f"--batch-zmws must be >= 1 (got {self.batch_zmws})")
        if self.cpus < 0:
            problems.append(f"--cpus must be >= 0 (got {self.cpus})")
        if self.min_length < 0 or self.skip_windows_above < 0:
            problems.append("--min-length and --skip-windows-above must be >= 0")
        if not 0 <= self.max_base_quality <= 93:
            problems.append("--max-base-quality must be in 0..93")
        if problems:
            raise DczooInputError("; ".join(problems))


class CorrectedReads(list):
    """The reads of a run (a list of `CorrectedRead`), with `.summary`."""

    summary = None


def check_output_path(output):
    """Raises `DczooInputError` unless `output` is a writable FASTQ/BAM path."""
    output = os.fspath(output)
    if not (is_fastq_path(output) or output.lower().endswith(".bam")):
        raise DczooInputError(
            f"{output}: output must end in .fastq, .fq (optionally .gz) or .bam"
        )
    if os.path.isdir(output):
        raise DczooInputError(f"{output}: output is a directory")
    folder = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(folder):
        raise DczooInputError(f"{output}: the output folder {folder} does not exist")


def _open_writer(output, ccs_bam, command_line):
    output = os.fspath(output)
    if is_fastq_path(output):
        return FastqWriter(output)
    if output.lower().endswith(".bam"):
        from dczoo.data.bam_reader import open_bam
        from dczoo.inference.bam_writer import BamWriter

        bam = open_bam(ccs_bam, "ccs.bam")
        try:
            header = str(bam.header)
        finally:
            bam.close()
        return BamWriter(output, header, command_line)
    raise DczooInputError(
        f"{output}: output must end in .fastq, .fq (optionally .gz) or .bam"
    )


def _progress_bar(enabled, subreads_to_ccs, chunk):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    from dczoo.data.pipeline import count_zmws, parse_chunk

    total = count_zmws(subreads_to_ccs, parse_chunk(chunk))
    return tqdm(total=total, unit="ZMW", desc="correct", dynamic_ncols=True, file=sys.stderr)


def _load_engine(model, engine, precision, options):
    """`(model, description, window geometry, predictor)` of an engine."""
    if engine not in ENGINES:
        raise DczooInputError(f"--engine {engine!r}: choose one of {', '.join(ENGINES)}")
    is_onnx_file = (
        isinstance(model, (str, os.PathLike)) and os.fspath(model).lower().endswith(".onnx")
    )
    if engine == "onnxruntime":
        from dczoo.inference.onnx_engine import OnnxPredictor, load_onnx_corrector

        if precision != "float32":
            raise DczooInputError(
                f"--precision {precision} applies to the keras engine; for an int8 "
                "ONNX model export with `dczoo export ... --int8`"
            )
        model, description = load_onnx_corrector(model)
        geometry = dict(use_ccs_bq=model.use_ccs_bq, max_passes=model.max_passes,
                        window_length=model.window_length)
        batch_size = options.batch_size or DEFAULT_ONNX_BATCH_SIZE
        return model, description, geometry, OnnxPredictor(model, batch_size)
    if is_onnx_file:
        raise DczooInputError(
            f"--model {os.fspath(model)}: an ONNX model runs with --engine onnxruntime"
        )
    from dczoo.inference.model_loading import load_corrector

    model, description = load_corrector(model, precision)
    description["engine"] = "keras"
    backbone = model.backbone
    geometry = dict(use_ccs_bq=backbone.use_ccs_bq, max_passes=backbone.max_passes,
                    window_length=backbone.window_length)
    predictor = BatchedPredictor(model, options.batch_size or DEFAULT_BATCH_SIZE,
                                 options.jit_compile)
    return model, description, geometry, predictor


def run_correction(
    subreads_to_ccs,
    ccs_bam,
    model=None,
    output=None,
    options=None,
    *,
    engine="keras",
    precision="float32",
    summary_path=None,
    collect=False,
    command_line=None,
):
    """Corrects every ZMW of a BAM pair (or of one chunk of it).

    Args:
        subreads_to_ccs: str or Path. Subreads aligned to their draft.
        ccs_bam: str or Path. The drafts, same ZMW order.
        model: preset handle, DeepConsensus checkpoint path, a
            `DeepConsensusCorrector`, or None for the default preset
            (`dczoo.inference.model_loading.default_model()`); with
            `engine="onnxruntime"`, an `.onnx` file from `dczoo export`.
        output: str or Path (`.fastq`, `.fq`, `.gz`, `.bam`) or None.
        options: `CorrectionOptions` (defaults when None).
        engine: "keras" (default) or "onnxruntime".
        precision: "float32" (default), "bfloat16" or "int8" (keras engine).
        summary_path: where to write the summary JSON; default
            `<output>.summary.json` when `output` is given, else none.
        collect: bool. Also return the passing reads in memory.
        command_line: str recorded in the summary and the BAM `@PG` line.

    Returns:
        `CorrectedReads` (empty unless `collect`) whose `.summary` is the
        run summary dict; `summary["exit_status"]` is 1 when ZMWs were
        processed but no read passed the filters (the output file is then
        not created, like the reference), else 0.

    Raises:
        DczooInputError: bad inputs or options; nothing is left behind.
    """
    from dczoo.data import iter_zmw_windows

    options = options or CorrectionOptions()
    options.check()
    if output is not None:
        check_output_path(output)
    for path, role in ((subreads_to_ccs, "subreads_to_ccs.bam"), (ccs_bam, "ccs.bam")):
        if not os.path.isfile(path):
            raise DczooInputError(f"{path}: {role} does not exist or is not a file")
    started = time.perf_counter()
    calibration_override = options.dc_calibration
    model, model_info, geometry, predictor = _load_engine(model, engine, precision, options)
    options = dataclasses.replace(options, batch_size=predictor.batch_size)
    calibration_text = (
        model.quality_calibration if calibration_override is None else calibration_override
    )
    calibration = QualityCalibration.parse(calibration_text, "--dc-calibration")
    ccs_calibration = QualityCalibration.parse(options.ccs_calibration, "--ccs-calibration")
    zmws = iter_zmw_windows(
        subreads_to_ccs,
        ccs_bam,
        **geometry,
        ins_trim=options.ins_trim,
        cpus=options.cpus,
        chunk=options.chunk,
        start_method="spawn",
        queue_size=max(1, options.batch_zmws // max(1, options.cpus)),
    )
    reads = CorrectedReads()
    counters = collections.Counter()
    writer = _open_writer(output, ccs_bam, command_line) if output is not None else None
    bar = None
    try:
        def emit(zmw, read, outcome):
            counters.update(zmw.counters)
            if read is not None:
                if writer is not None:
                    writer.write(read)
                if collect:
                    reads.append(read)
            if bar is not None:
                bar.update(1)

        corrector = ZmwCorrector(
            predictor,
            emit,
            calibration=calibration,
            ccs_calibration=ccs_calibration,
            skip_windows_above=options.skip_windows_above,
            max_base_quality=options.max_base_quality,
            read_filter=ReadFilter(options.min_quality, options.min_length),
        )
        setup_seconds = time.perf_counter() - started
        bar = _progress_bar(options.progress, subreads_to_ccs, options.chunk)
        loop_started = time.perf_counter()
        with Prefetcher(zmws, depth=options.batch_zmws) as prefetched:
            for zmw in prefetched:
                corrector.add(zmw)
            corrector.finish()
        loop_seconds = time.perf_counter() - loop_started
        outcomes = dict(corrector.read_filter.counts)
        failed = corrector.counts["zmws"] > 0 and outcomes[SUCCESS] == 0
        if writer is not None:
            if failed:
                writer.abort()
            else:
                writer.commit()
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    finally:
        if bar is not None:
            bar.close()
    summary = _summary(
        subreads_to_ccs, ccs_bam, output, options, engine, precision, model_info,
        calibration, corrector, predictor, prefetched, dict(sorted(counters.items())),
        outcomes, setup_seconds, loop_seconds, time.perf_counter() - started,
        command_line, exit_status=1 if failed else 0,
    )
    if summary_path is None and output is not None:
        summary_path = os.fspath(output) + ".summary.json"
    if summary_path is not None:
        write_text_atomically(summary_path, json.dumps(summary, indent=1) + "\n")
    reads.summary = summary
    return reads


def _summary(subreads_to_ccs, ccs_bam, output, options, engine, precision, model_info,
             calibration, corrector, predictor, prefetched, preprocessing,
             outcomes, setup_seconds, loop_seconds, total_seconds, command_line,
             exit_status):
    counts = corrector.counts
    settings = dataclasses.asdict(options)
    settings.update(engine=engine, precision=precision,
                    dc_calibration=str(calibration) if calibration else "skip")
    settings.pop("progress")
    return {
        "dczoo_version": __version__,
        "command_line": command_line,
        "inputs": {"subreads_to_ccs": os.fspath(subreads_to_ccs), "ccs_bam": os.fspath(ccs_bam)},
        "output": None if output is None else os.fspath(output),
        "output_written": output is not None and exit_status == 0,
        "exit_status": exit_status,
        "model": model_info,
        "settings": settings,
        "zmws": counts["zmws"],
        "windows": {
            "total": counts["windows"],
            "model": counts["windows_model"],
            "skipped_draft_quality": counts["windows_skipped_quality"],
            "overflow": counts["windows_overflow"],
            "padding_computed": predictor.n_padded,
        },
        "outcomes": outcomes,
        "reads_written": outcomes[SUCCESS] if exit_status == 0 else 0,
        "preprocessing_counters": preprocessing,
        "timings_s": {
            "setup_model_loading": round(setup_seconds, 3),
            "preprocess_producer_busy": round(prefetched.busy_seconds, 3),
            "wait_for_preprocessing": round(prefetched.wait_seconds, 3),
            "model": round(predictor.model_seconds, 3),
            "calls_stitch_filter_write": round(corrector.postprocess_seconds, 3),
            "correction_loop": round(loop_seconds, 3),
            "total": round(total_seconds, 3),
        },
        "throughput": {
            "zmws_per_s": round(counts["zmws"] / loop_seconds, 3) if loop_seconds else None,
            "model_windows_per_s": round(predictor.n_predicted / predictor.model_seconds, 2)
            if predictor.model_seconds else None,
        },
    }


def correct(subreads_to_ccs, ccs_bam, model=None, output=None, *,
            engine="keras", precision="float32", **options):
    """Corrects reads and returns them (and writes them when `output` is set).

    Args:
        subreads_to_ccs: str or Path. Subreads aligned to their draft (actc).
        ccs_bam: str or Path. The drafts, in the same ZMW order.
        model: preset name or folder, `hf://` handle, DeepConsensus
            checkpoint folder, a `DeepConsensusCorrector`, or None for the
            default preset (student_4layer, or the first built-in preset
            with bundled weights); with `engine="onnxruntime"`, an `.onnx`
            file from `dczoo export`.
        output: optional `.fastq`/`.fq`/`.gz`/`.bam` path, written atomically
            (with `<output>.summary.json`).
        engine: "keras" (default) or "onnxruntime" (the model call only;
            preprocessing, stitching and writing are the same).
        precision: "float32", "bfloat16" or "int8" (keras engine).
        **options: fields of `CorrectionOptions` (`min_quality=20`,
            `batch_size`, `skip_windows_above`, `chunk`, ...).

    Returns:
        `CorrectedReads`: list of `CorrectedRead` (the reads that pass the
        filters, in input order) with the run summary as `.summary`.

    Example:
    ```python
    reads = dczoo.inference.correct("subreads_to_ccs.bam", "ccs.bam",
                                    model="student_4layer", min_quality=20)
    print(reads[0].name, reads[0].sequence[:20], reads.summary["outcomes"])
    reads = dczoo.inference.correct("subreads_to_ccs.bam", "ccs.bam",
                                    model="student_4layer.onnx", engine="onnxruntime")
    ```
    """
    return run_correction(
        subreads_to_ccs, ccs_bam, model, output, CorrectionOptions(**options),
        engine=engine, precision=precision, collect=True,
    )
