"""One Space run: correct a BAM pair with dczoo's pipeline, then describe it.

The reads come from `dczoo.inference.correct` (the code behind `dczoo correct`)
run with `min_quality=0`, so the page can show every read, including the ones
the visitor's quality threshold then drops; `dczoo.inference.ReadFilter` applies
that threshold and `FastqWriter`/`BamWriter` write the downloads. For the
pictures, `correct(..., on_zmw=...)` hands over each ZMW's draft, windows and
which of them kept the draft; where the model changed bases comes from
aligning each corrected read to its draft (edlib). `correct(...,
on_progress=...)` reports the pipeline's stages (preprocessing, model
batches, writing) to the page's progress bar.

Yield is DeepConsensus's measure: the bases of the reads at or above a
quality. Without truth it uses each read's average predicted quality (the
draft's base qualities before, the model's calibrated ones after), with
`dczoo.inference.read_filter.read_quality`, the number `dczoo correct
--min-quality` compares. With truth (`space_inputs.Truth`, from the truth
upload, which the bundled example fills too) identities come from
`dczoo.analysis.identity_to_truth` and the yield at empirical quality from
`dczoo.losses.read_yield`.
"""

import dataclasses
import os
import re
import time

import numpy as np

from dczoo.constants import MAX_BASE_QUALITY
from dczoo.inference.read_filter import DEFAULT_MIN_QUALITY
from dczoo.inference.window_skipping import DEFAULT_SKIP_WINDOWS_ABOVE
from space_inputs import zmw_key

_CIGAR = re.compile(r"(\d+)([=XID])")
STATUS_WRITTEN = "written"
YIELD_QUALITIES = (20, 30)
# What `run_report` tells its `on_progress`: the pipeline's stages, then the page's analysis.
RUN_STAGES = ("preprocessing", "model", "writing", "analysing")


@dataclasses.dataclass
class ReadReport:
    """What the page shows about one ZMW.

    Attributes:
        name: str. Draft read name.
        draft_length: int. corrected_length: int (0 when no read came out).
        draft_quality: float. corrected_quality: float or None. Average
            predicted qualities (probability space, as the read filter).
        window_pos: int array, first draft base of each window.
        passed_through: bool array, windows that kept the draft.
        changes: int array, bases the model changed per window.
        status: str. "written" or why the read was left out.
        identity_draft: float or None. identity_corrected: float or None.
    """

    name: str
    draft_length: int
    corrected_length: int
    draft_quality: float
    corrected_quality: float
    window_pos: np.ndarray
    passed_through: np.ndarray
    changes: np.ndarray
    status: str
    identity_draft: float = None
    identity_corrected: float = None


@dataclasses.dataclass
class RunReport:
    """A finished run: per-read reports, headline numbers, files to download.

    Attributes:
        reads: list of `ReadReport`. numbers: dict (the page's JSON).
        files: list of str, the downloads. summary: the pipeline's summary.
        quality_histogram: dict "draft"/"corrected" -> int array, bases per
            base quality 0..93.
    """

    reads: list
    numbers: dict
    files: list
    summary: dict
    quality_histogram: dict = None


def change_positions(corrected, draft):
    """Draft positions where the corrected read differs from its draft.

    Args:
        corrected: str. draft: str.

    Returns:
        int array, one draft position per changed base (a substitution or a
        deleted draft base at its position; an inserted base at the draft
        position it precedes).

    Example:
    >>> change_positions("ACGTA", "ACCTA").tolist()
    [2]
    """
    import edlib

    if corrected == draft:
        return np.zeros(0, np.int64)
    if not corrected or not draft:
        return np.arange(len(draft), dtype=np.int64) if draft else np.zeros(len(corrected), np.int64)
    cigar = edlib.align(corrected, draft, mode="NW", task="path")["cigar"] or ""
    positions = []
    draft_pos = 0
    for length, op in _CIGAR.findall(cigar):
        length = int(length)
        if op == "=":
            draft_pos += length
        elif op in "XD":
            positions.extend(range(draft_pos, draft_pos + length))
            draft_pos += length
        else:
            positions.extend([min(draft_pos, len(draft) - 1)] * length)
    return np.asarray(positions, np.int64)


def changes_per_window(positions, window_pos):
    """Counts changed draft positions per window (windows start at `window_pos`)."""
    counts = np.zeros(len(window_pos), np.int64)
    if len(window_pos) and len(positions):
        index = np.searchsorted(window_pos, positions, side="right") - 1
        np.add.at(counts, np.clip(index, 0, len(window_pos) - 1), 1)
    return counts


def phred(identity):
    """Identity as a Phred-scaled quality (capped at 60 for perfect reads)."""
    return 60.0 if identity >= 1 - 1e-6 else float(-10 * np.log10(1 - identity))


def _write_outputs(reads, ccs_bam, out_dir, command_line):
    from dczoo.data.bam_reader import close_quietly, open_bam
    from dczoo.inference import BamWriter, FastqWriter

    fastq_path = os.path.join(out_dir, "corrected.fastq")
    bam_path = os.path.join(out_dir, "corrected.bam")
    bam = open_bam(ccs_bam, "ccs.bam")
    try:
        header = str(bam.header)
    finally:
        close_quietly(bam)
    with FastqWriter(fastq_path) as fastq, BamWriter(bam_path, header, command_line) as out:
        for read in reads:
            fastq.write(read)
            out.write(read)
        fastq.commit()
        out.commit()
    return [fastq_path, bam_path]


def predicted_yield(lengths, qualities, thresholds=YIELD_QUALITIES):
    """Bases in the reads whose average predicted quality reaches each threshold.

    Args:
        lengths: read lengths.
        qualities: each read's average predicted quality (`read_quality`),
            None for a read that has none.
        thresholds: the qualities (default 20 and 30).

    Returns:
        dict threshold -> bases (int).

    Example:
    >>> predicted_yield([1000, 500, 200], [32.0, 25.0, None])
    {20: 1500, 30: 1000}
    """
    return {
        threshold: int(sum(length for length, quality in zip(lengths, qualities)
                           if quality is not None and quality >= threshold))
        for threshold in thresholds
    }


def quality_histogram(quality_arrays, max_quality=MAX_BASE_QUALITY):
    """Bases per base quality over many reads.

    Args:
        quality_arrays: iterable of integer quality arrays (one per read).
        max_quality: int. Higher qualities count as this one.

    Returns:
        int64 array `(max_quality + 1,)`: bases at quality 0, 1, ...

    Example:
    >>> quality_histogram([[3, 3, 5], [5]], max_quality=5).tolist()
    [0, 0, 0, 2, 0, 2]
    """
    counts = np.zeros(max_quality + 1, np.int64)
    for qualities in quality_arrays:
        qualities = np.minimum(np.asarray(qualities, np.int64), max_quality)
        counts += np.bincount(qualities, minlength=max_quality + 1)
    return counts


def _reverse_complement(sequence):
    from dczoo.simulate.subread_errors import reverse_complement

    return reverse_complement(np.frombuffer(sequence.encode("ascii"), np.uint8)).tobytes().decode("ascii")


def truth_identities(draft, corrected, truth, either_strand=False):
    """Identity of a draft and of its corrected read to the true sequence.

    Args:
        draft: str. corrected: str or None (no read came out).
        truth: str. The true sequence.
        either_strand: bool. Also try the truth's reverse complement and use
            the strand closer to the draft (a FASTA's strand is not known).

    Returns:
        `(identity_draft, identity_corrected)`; the second is None without
        a corrected read.
    """
    from dczoo.analysis import identity_to_truth

    strands = [truth, _reverse_complement(truth)] if either_strand else [truth]
    scored = [(identity_to_truth(draft, strand), strand) for strand in strands]
    identity_draft, strand = max(scored, key=lambda pair: pair[0])
    identity_corrected = None if corrected is None else identity_to_truth(corrected, strand)
    return identity_draft, identity_corrected


def run_report(inputs, model, preset, out_dir, min_quality=float(DEFAULT_MIN_QUALITY),
               skip_windows_above=float(DEFAULT_SKIP_WINDOWS_ABOVE), truth=None,
               batch_size=64, on_progress=None):
    """Corrects a checked BAM pair and gathers what the page shows.

    Args:
        inputs: `space_inputs.CheckedInputs`.
        model: `DeepConsensusCorrector`.
        preset: str. The preset's name (for the page and the BAM @PG line).
        out_dir: str. Existing folder for the FASTQ and BAM downloads.
        min_quality: float. Reads below this average quality are not written.
        skip_windows_above: float. Windows whose draft average quality is
            above this keep the draft (0: the model runs on every window).
        truth: optional `space_inputs.Truth` for identities to the truth.
        batch_size: int. Windows per model call (small batches let a
            cancellation stop the run sooner).
        on_progress: optional callable `(stage, progress)`: `stage` one of
            `RUN_STAGES`, `progress` the pipeline's latest
            `CorrectionProgress` (ZMWs and windows done).

    Returns:
        `RunReport`; the files are written only when at least one read passes.

    Example:
    ```python
    checked = space_inputs.check_inputs("subreads_to_ccs.bam", "ccs.bam")
    report = run_report(checked, model, "student_4layer", "out/",
                        on_progress=lambda stage, progress: print(stage))
    report.numbers["yield_bases"]["Q30"]
    ```
    """
    import keras

    from dczoo.inference import ReadFilter, correct
    from dczoo.inference.read_filter import SUCCESS, read_quality

    latest = []

    def pipeline_progress(progress):
        latest[:] = [progress]
        if on_progress is not None:
            on_progress(progress.stage, progress)

    started = time.perf_counter()
    zmws = []
    corrected = correct(
        inputs.subreads_to_ccs, inputs.ccs_bam, model=model, min_quality=0,
        skip_windows_above=skip_windows_above, batch_size=batch_size,
        kinetics=True,  # the BAM download carries the ccs --hifi-kinetics tags
        on_zmw=lambda result: zmws.append(
            (result.name, result.zmw.draft, np.asarray(result.zmw.window_pos),
             result.skipped, result.read)),
        on_progress=pipeline_progress,
    )
    correction_seconds = time.perf_counter() - started
    summary = corrected.summary
    read_filter = ReadFilter(min_quality)
    written, statuses = [], []
    for _, _, _, _, read in zmws:
        status = "no bases left after correction"
        if read is not None:
            outcome = read_filter.outcome(read.sequence, read.qualities)
            status = STATUS_WRITTEN if outcome == SUCCESS else f"below Q{min_quality:g}"
            if outcome == SUCCESS:
                written.append(read)
        statuses.append(status)
    files = []
    if written:
        command_line = f"dczoo Space: correct --preset {preset} --min-quality {min_quality:g}"
        files = _write_outputs(written, inputs.ccs_bam, out_dir, command_line)
    if on_progress is not None:
        on_progress("analysing", latest[0] if latest else None)
    reports = []
    for (name, draft, window_pos, skipped, read), status in zip(zmws, statuses):
        sequence = read.sequence if read is not None else ""
        report = ReadReport(
            name=name,
            draft_length=len(draft.sequence),
            corrected_length=len(sequence),
            draft_quality=read_quality(draft.qualities),
            corrected_quality=read_quality(read.qualities) if read is not None else None,
            window_pos=window_pos,
            passed_through=skipped,
            changes=changes_per_window(change_positions(sequence, draft.sequence), window_pos),
            status=status,
        )
        true_sequence = truth.sequences.get(zmw_key(name)) if truth is not None else None
        if true_sequence is not None:
            report.identity_draft, report.identity_corrected = truth_identities(
                draft.sequence, sequence if read is not None else None, true_sequence,
                truth.either_strand)
        reports.append(report)
    histogram = {
        "draft": quality_histogram(draft.qualities for _, draft, _, _, _ in zmws),
        "corrected": quality_histogram(read.qualities for *_, read in zmws if read is not None),
    }
    numbers = _numbers(reports, summary, preset, min_quality, len(written),
                       correction_seconds, time.perf_counter() - started, keras.backend.backend())
    numbers["quality_histogram"] = {key: counts.tolist() for key, counts in histogram.items()}
    if truth is not None:
        numbers["truth"] = {"file": truth.name, "records": truth.records,
                            "zmws_with_truth": len(truth.sequences)}
    return RunReport(reads=reports, numbers=numbers, files=files, summary=summary,
                     quality_histogram=histogram)


def _mean_identity(reports, attribute):
    values = [getattr(r, attribute) for r in reports]
    values = [v for v in values if v is not None]
    return (sum(values) / len(values), len(values)) if values else (None, 0)


def _yields(draft, corrected):
    """`{"Q20": {"draft": bases, "corrected": bases}, ...}` from two `{20: bases}` dicts."""
    return {f"Q{q}": {"draft": draft[q], "corrected": corrected[q]} for q in draft}


def _numbers(reports, summary, preset, min_quality, n_written, correction_seconds,
             total_seconds, backend):
    from dczoo.losses.read_yield import read_yield

    windows = summary["windows"]
    draft_q = [r.draft_quality for r in reports]
    corrected_q = [r.corrected_quality for r in reports if r.corrected_quality is not None]
    numbers = {
        "preset": preset,
        "backend": backend,
        "zmws": summary["zmws"],
        "reads_written": n_written,
        "min_quality": min_quality,
        "windows_total": windows["total"],
        "windows_model": windows["model"],
        "windows_passed_through": windows["total"] - windows["model"],
        "bases_changed": int(sum(int(r.changes.sum()) for r in reports)),
        "correction_seconds": round(correction_seconds, 2),
        "model_seconds": summary["timings_s"]["model"],
        "model_windows_per_s": summary["throughput"]["model_windows_per_s"],
        "zmws_per_s": summary["throughput"]["zmws_per_s"],
        "total_seconds": round(total_seconds, 2),
        "mean_draft_quality": round(float(np.mean(draft_q)), 2) if draft_q else None,
        "mean_corrected_quality": round(float(np.mean(corrected_q)), 2) if corrected_q else None,
        "yield_bases": _yields(
            predicted_yield([r.draft_length for r in reports], draft_q),
            predicted_yield([r.corrected_length for r in reports],
                            [r.corrected_quality for r in reports])),
        "identity": None,
        "empirical_yield_bases": None,
    }
    with_truth = [r for r in reports if r.identity_draft is not None]
    if with_truth:
        numbers["empirical_yield_bases"] = _yields(
            read_yield([r.identity_draft for r in with_truth],
                       [r.draft_length for r in with_truth], YIELD_QUALITIES),
            read_yield([r.identity_corrected or 0.0 for r in with_truth],
                       [r.corrected_length for r in with_truth], YIELD_QUALITIES))
    both = [r for r in with_truth if r.identity_corrected is not None]
    if both:
        draft, n = _mean_identity(both, "identity_draft")
        after, _ = _mean_identity(both, "identity_corrected")
        numbers["identity"] = {
            "reads": n,
            "draft": round(draft, 6),
            "corrected": round(after, 6),
            "draft_phred": round(phred(draft), 2),
            "corrected_phred": round(phred(after), 2),
        }
    return numbers
