"""The correction pipeline: BAM pair -> windows -> model -> reads -> file.

Preprocessing (`dczoo.data.iter_zmw_windows`) runs in worker processes
(`cpus >= 2`) or in a background thread (`cpus <= 1`), ahead of the model by
up to `batch_zmws` ZMWs; the model runs in fixed-size batches in the main
thread (a `dczoo.inference.engine.Engine`: `BatchedPredictor` for Keras,
`OnnxPredictor` for an exported ONNX model with `engine="onnxruntime"`);
`ZmwCorrector` stitches and filters the reads in input order; the writer puts
them in a temporary file that is renamed only when the run succeeds. A
summary (`RunStats`: counters, outcomes, timings) goes to
`<output>.summary.json`; it is written before the reads are moved into
place, so that both appear or neither does. An `on_progress` callback
receives a `CorrectionProgress` as ZMWs arrive from preprocessing, after model
batches and before the writing (the Space's progress bar).

Before any work, `dczoo.paths.check_paths` refuses outputs that would
overwrite an input (or each other) and output folders that are missing or
not writable, and `CorrectionOptions.check` refuses NaN, negative and
out-of-range settings and batch sizes that would not fit in memory.
"""

import contextlib
import dataclasses
import json
import os

from dczoo.atomic import TextOutput
from dczoo.constants import INS_TRIM, MAX_BASE_QUALITY
from dczoo.errors import DczooInputError
from dczoo.inference.batched_predictor import check_batch_memory
from dczoo.inference.engine import ENGINES, load_engine
from dczoo.inference.fastq_writer import FastqWriter, is_fastq_path
from dczoo.inference.model_loading import PRECISIONS
from dczoo.inference.prefetch import Prefetcher
from dczoo.inference.quality import QualityCalibration
from dczoo.inference.read_filter import DEFAULT_MIN_QUALITY, SUCCESS, ReadFilter
from dczoo.inference.run_stats import RunStats
from dczoo.inference.window_skipping import DEFAULT_SKIP_WINDOWS_ABOVE
from dczoo.inference.zmw_corrector import ZmwCorrector
from dczoo.paths import check_paths
from dczoo.progress import DEFAULT_PROGRESS_EVERY, Progress
from dczoo.validation import number_problem

DEFAULT_BATCH_ZMWS = 100


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
            `default_batch_size` (256 for Keras, 64 for ONNX Runtime).
        batch_zmws: int. ZMWs preprocessed ahead of the model (memory).
        cpus: int. Preprocessing worker processes; 0 or 1 uses a thread.
        threads: int or None. CPU threads of the model's runtime (None: its
            default, all cores; see `dczoo.inference.threads`).
        skip_windows_above: float. Windows whose draft average quality is
            above this keep the draft (0: every window runs the model).
        min_quality: float. Minimum average read quality.
        min_length: int. Minimum read length.
        max_base_quality: int. Quality cap.
        dc_calibration: str or None. "threshold,w,b", "skip", or None for
            the model's own calibration.
        ccs_calibration: str or None. Calibration of passed-through draft
            qualities: "threshold,w,b", "knots:...", "skip", or None for the
            model's `draft_quality_calibration` (none when it has none).
        ins_trim: int. Subread insertions longer than this are removed.
        chunk: str or None. "i/N" (0-based): ZMWs whose ordinal is i mod N.
        progress: bool. Report progress on stderr: a bar on a terminal,
            else a line every `progress_every` seconds (`dczoo.progress`).
        progress_every: float. Seconds between progress lines when stderr
            is not a terminal (0: one per ZMW).
        jit_compile: bool or "auto". XLA for the TensorFlow backend.
        engine: str. What runs the model: "keras" (the configured Keras
            backend) or "onnxruntime" (an `.onnx` file from `dczoo export`).
        precision: str. "float32", "bfloat16" or "int8" (keras engine).
        verify: bool. Check a preset's files against the sha256 manifest of
            its metadata.json (False: load a preset without one; see
            `DeepConsensusCorrector.from_preset`).
        kinetics: bool. Give every read the per-strand kinetics tags of
            `ccs --hifi-kinetics` (fi, fp, ri, rp, fn, rn; see
            `dczoo.data.kinetics`), in `CorrectedRead.kinetics` and in a BAM
            output. A FASTQ output has no place for them and is refused.
    """

    batch_size: int = None
    batch_zmws: int = DEFAULT_BATCH_ZMWS
    cpus: int = dataclasses.field(default_factory=default_cpus)
    threads: int = None
    skip_windows_above: float = DEFAULT_SKIP_WINDOWS_ABOVE
    min_quality: float = DEFAULT_MIN_QUALITY
    min_length: int = 0
    max_base_quality: int = MAX_BASE_QUALITY
    dc_calibration: str = None
    ccs_calibration: str = None
    ins_trim: int = INS_TRIM
    chunk: str = None
    progress: bool = False
    progress_every: float = DEFAULT_PROGRESS_EVERY
    jit_compile: object = "auto"
    engine: str = ENGINES[0]
    precision: str = PRECISIONS[0]
    verify: bool = True
    kinetics: bool = False

    def check(self):
        """Raises `DczooInputError` for NaN, negative or out-of-range values,
        and for a batch size whose memory estimate exceeds the available
        memory (`check_batch_memory`)."""
        whole, real = True, False
        ranges = (
            ("--batch-size", self.batch_size, 1, None, whole),
            ("--batch-zmws", self.batch_zmws, 1, None, whole),
            ("--cpus", self.cpus, 0, None, whole),
            ("--threads", self.threads, 1, None, whole),
            ("--skip-windows-above", self.skip_windows_above, 0, None, real),
            ("--min-quality", self.min_quality, 0, None, real),
            ("--min-length", self.min_length, 0, None, whole),
            ("--max-base-quality", self.max_base_quality, 0, MAX_BASE_QUALITY, whole),
            ("--ins-trim", self.ins_trim, 0, None, whole),
            ("--progress-every", self.progress_every, 0, None, real),
        )
        problems = [
            number_problem(label, value, low, high, integer)
            for label, value, low, high, integer in ranges
            if value is not None or label not in ("--batch-size", "--threads")
        ]
        problems = [problem for problem in problems if problem]
        if problems:
            raise DczooInputError("; ".join(problems))
        check_batch_memory(self.batch_size)


class CorrectedReads(list):
    """The reads of a run (a list of `CorrectedRead`), with `.summary`."""

    summary = None


def _output_format(output):
    """"fastq" or "bam", by the name of `output`; else `DczooInputError`."""
    output = os.fspath(output)
    if is_fastq_path(output):
        return "fastq"
    if output.lower().endswith(".bam"):
        return "bam"
    raise DczooInputError(
        f"{output}: output must end in .fastq, .fq (optionally .gz) or .bam"
    )


def _open_writer(output, ccs_bam, command_line):
    """The atomic writer of `output` (a null context when it is None)."""
    if output is None:
        return contextlib.nullcontext()
    output = os.fspath(output)
    if _output_format(output) == "fastq":
        return FastqWriter(output)
    from dczoo.data.bam_reader import open_bam
    from dczoo.inference.bam_writer import BamWriter

    bam = open_bam(ccs_bam, "ccs.bam")
    try:
        header = str(bam.header)
    finally:
        bam.close()
    return BamWriter(output, header, command_line)


def _progress(options, subreads_to_ccs):
    """The run's `dczoo.progress.Progress` (silent unless `options.progress`)."""
    if not options.progress:
        return Progress("correct", enabled=False)
    from dczoo.data.pipeline import count_zmws, parse_chunk

    total = count_zmws(subreads_to_ccs, parse_chunk(options.chunk))
    return Progress("correct", total, every=options.progress_every)


PROGRESS_STAGES = ("preprocessing", "model", "writing")


@dataclasses.dataclass(frozen=True)
class CorrectionProgress:
    """Where a correction run is: what an `on_progress` callback receives.

    The stages interleave: preprocessing runs ahead of the model, and a model
    batch runs whenever a batch of windows is waiting.

    Attributes:
        stage: str, one of `PROGRESS_STAGES`. "preprocessing": a ZMW's windows
            arrived from preprocessing (also once before the first, with
            zeros); "model": model batches ran for the windows so far;
            "writing": every ZMW is corrected, the output and summary are
            written next.
        zmws_preprocessed: int. ZMWs whose windows arrived so far.
        zmws_corrected: int. ZMWs stitched and filtered so far.
        windows_for_model: int. Windows of those ZMWs that need the model.
        windows_predicted: int. Windows the model has predicted so far.

    Example:
    ```python
    def on_progress(progress):
        print(progress.stage, progress.zmws_corrected, progress.windows_predicted)

    correct("subreads_to_ccs.bam", "ccs.bam", on_progress=on_progress)
    ```
    """

    stage: str
    zmws_preprocessed: int
    zmws_corrected: int
    windows_for_model: int
    windows_predicted: int


class _ProgressReport:
    """Calls `on_progress` (when given) with a `CorrectionProgress` of `corrector`."""

    def __init__(self, on_progress, corrector):
        self.on_progress = on_progress
        self.corrector = corrector
        self.predicted = 0

    def __call__(self, stage=None):
        """Reports `stage`; None: after a ZMW was added ("model" if a batch
        ran). "model" is reported only when windows were predicted since the
        last report."""
        if self.on_progress is None:
            return
        corrector = self.corrector
        predicted = getattr(corrector.predictor, "n_predicted", 0)
        if stage is None:
            stage = "model" if predicted > self.predicted else "preprocessing"
        elif stage == "model" and predicted == self.predicted:
            return
        self.predicted = predicted
        self.on_progress(CorrectionProgress(
            stage, corrector.counts["zmws"], sum(corrector.read_filter.counts.values()),
            corrector.counts["windows_model"], predicted))


class _ReadSink:
    """Takes each `ZmwResult` of `ZmwCorrector`: counts it, writes and keeps
    its read, counts it and its windows in `progress` and hands it to
    `on_zmw`."""

    def __init__(self, stats, writer=None, reads=None, on_zmw=None):
        self.stats = stats
        self.writer = writer
        self.reads = reads
        self.on_zmw = on_zmw
        self.progress = None

    def __call__(self, result):
        self.stats.add_counters(result.zmw.counters)
        if result.read is not None:
            if self.writer is not None:
                self.writer.write(result.read)
                self.stats.add_read(result.zmw.ordinal)
            if self.reads is not None:
                self.reads.append(result.read)
        if self.progress is not None:
            self.progress.update(1, windows=result.zmw.n_windows)
        if self.on_zmw is not None:
            self.on_zmw(result)


def _summary_path(output, summary_path):
    if summary_path is None and output is not None:
        return os.fspath(output) + ".summary.json"
    return summary_path


def _check_inputs(subreads_to_ccs, ccs_bam, model, output, summary_path):
    """Checks inputs and outputs before any work (`dczoo.paths.check_paths`)."""
    if output is not None:
        _output_format(output)
    for path, role in ((subreads_to_ccs, "subreads_to_ccs.bam"), (ccs_bam, "ccs.bam")):
        if not os.path.isfile(path):
            raise DczooInputError(f"{path}: {role} does not exist or is not a file")
    model_path = model if isinstance(model, (str, os.PathLike)) and os.path.exists(model) else None
    check_paths(
        inputs=[("--subreads-to-ccs", subreads_to_ccs), ("--ccs-bam", ccs_bam), ("--model", model_path)],
        files=[("--output", output), ("--summary", summary_path)],
    )


def _check_kinetics(options, output):
    """Refuses kinetics with a FASTQ output (FASTQ has no tags to hold them)."""
    if options.kinetics and output is not None and _output_format(output) == "fastq":
        raise DczooInputError(
            f"{os.fspath(output)}: --kinetics needs a .bam output; FASTQ has no place for "
            "the fi/fp/ri/rp/fn/rn kinetics tags"
        )


def _correct_all(zmws, corrector, sink, stats, options, subreads_to_ccs, on_progress=None):
    """Feeds every ZMW to `corrector`; returns the `Prefetcher` (timings)."""
    report = _ProgressReport(on_progress, corrector)
    stats.end_setup()
    sink.progress = _progress(options, subreads_to_ccs)
    try:
        with stats.timed_loop(), Prefetcher(zmws, depth=options.batch_zmws) as prefetched:
            report("preprocessing")
            for zmw in prefetched:
                corrector.add(zmw)
                report()
            corrector.finish()
            report("model")
            report("writing")
    finally:
        sink.progress.close()
    return prefetched


def run_correction(
    subreads_to_ccs,
    ccs_bam,
    model=None,
    output=None,
    options=None,
    *,
    engine=None,
    precision=None,
    summary_path=None,
    collect=False,
    command_line=None,
    on_zmw=None,
    on_progress=None,
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
        engine: str or None. Replaces `options.engine` when given.
        precision: str or None. Replaces `options.precision` when given.
        summary_path: where to write the summary JSON; default
            `<output>.summary.json` when `output` is given, else none.
        collect: bool. Also return the passing reads in memory.
        command_line: str recorded in the summary and the BAM `@PG` line.
        on_zmw: optional callable taking a `ZmwResult` (the ZMW's windows,
            which kept the draft, every window's calls, the read and its
            outcome), called once per ZMW in input order.
        on_progress: optional callable taking a `CorrectionProgress` (stage
            and counts), called once before the first ZMW, after each ZMW
            arrives from preprocessing (stage "model" when model batches
            ran for it), after the last batch and before the writing.

    Returns:
        `CorrectedReads` (empty unless `collect`) whose `.summary` is the
        run summary dict; `summary["exit_status"]` is 1 when ZMWs were
        processed but no read passed the filters (the output file is then
        not created, like the reference), else 0.

    Raises:
        DczooInputError: bad inputs, options or paths (an output that is an
            input), or a preset that fails its checks; nothing is left behind.
        DczooOutputError: an output could not be written (disk full,
            permissions, ...); nothing is left behind, an earlier output is
            unchanged.
    """
    from dczoo.data import iter_zmw_windows

    chosen = {"engine": engine, "precision": precision}
    options = dataclasses.replace(
        options or CorrectionOptions(), **{k: v for k, v in chosen.items() if v is not None}
    )
    options.check()
    summary_path = _summary_path(output, summary_path)
    _check_inputs(subreads_to_ccs, ccs_bam, model, output, summary_path)
    _check_kinetics(options, output)
    from dczoo.data.pipeline import parse_chunk

    stats = RunStats(subreads_to_ccs, ccs_bam, output, command_line, chunk=parse_chunk(options.chunk))
    engine = load_engine(model, options.engine, options.precision, options.batch_size,
                         options.jit_compile, verify=options.verify, threads=options.threads)
    own = engine.quality_calibration
    calibration = QualityCalibration.parse(
        own if options.dc_calibration is None else options.dc_calibration, "--dc-calibration"
    )
    ccs_calibration = QualityCalibration.parse(
        engine.draft_quality_calibration if options.ccs_calibration is None else options.ccs_calibration,
        "--ccs-calibration")
    options = dataclasses.replace(options, batch_size=engine.batch_size,
                                  dc_calibration=str(calibration) if calibration else "skip",
                                  ccs_calibration=str(ccs_calibration) if ccs_calibration else "skip")
    zmws = iter_zmw_windows(
        subreads_to_ccs, ccs_bam, **engine.geometry(), ins_trim=options.ins_trim,
        cpus=options.cpus, chunk=options.chunk, start_method="spawn",
        queue_size=max(1, options.batch_zmws // max(1, options.cpus)),
        kinetics=options.kinetics,
    )
    reads = CorrectedReads()
    with _open_writer(output, ccs_bam, command_line) as writer:
        sink = _ReadSink(stats, writer, reads if collect else None, on_zmw)
        corrector = ZmwCorrector(
            engine, sink, calibration=calibration, ccs_calibration=ccs_calibration,
            skip_windows_above=options.skip_windows_above,
            max_base_quality=options.max_base_quality,
            read_filter=ReadFilter(options.min_quality, options.min_length),
        )
        prefetched = _correct_all(zmws, corrector, sink, stats, options, subreads_to_ccs,
                                  on_progress)
        failed = corrector.counts["zmws"] > 0 and corrector.read_filter.counts[SUCCESS] == 0
        reads.summary = stats.summary(options, engine, corrector, prefetched, int(failed))
        summary = None if summary_path is None else TextOutput(summary_path)
        with summary or contextlib.nullcontext():
            if summary is not None:
                summary.write(json.dumps(reads.summary, indent=1) + "\n")
                summary.finish()  # fails on a full disk before the reads appear
            if writer is not None and not failed:
                writer.commit()
            if summary is not None:
                summary.commit()
    return reads


def correct(subreads_to_ccs, ccs_bam, model=None, output=None, *, on_zmw=None, on_progress=None,
            **options):
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
        on_zmw: optional callable taking each ZMW's `ZmwResult` (windows,
            `skipped`, per-window `tokens` and `qualities`, `read`,
            `outcome`), in input order, whether or not its read passes.
        on_progress: optional callable taking a `CorrectionProgress` (stage
            "preprocessing", "model" or "writing", ZMWs and windows done),
            see `run_correction`.
        **options: fields of `CorrectionOptions` (`min_quality=20`,
            `batch_size`, `skip_windows_above`, `chunk`, ...), among them
            `engine`: "keras" (default) or "onnxruntime" (the model call
            only; preprocessing, stitching and writing are the same) and
            `precision`: "float32", "bfloat16" or "int8" (keras engine),
            and `kinetics=True`: each read's `kinetics` holds the
            `ccs --hifi-kinetics` tags (written to a `.bam` output).

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
    skipped = {}
    dczoo.inference.correct("subreads_to_ccs.bam", "ccs.bam",
                            on_zmw=lambda result: skipped.update({result.name: result.skipped}))
    ```
    """
    return run_correction(
        subreads_to_ccs, ccs_bam, model, output, CorrectionOptions(**options),
        collect=True, on_zmw=on_zmw, on_progress=on_progress,
    )
