"""One Space run: correct a BAM pair with dczoo's pipeline, then describe it.

The reads come from `dczoo.inference.correct` (the code behind `dczoo correct`)
run with `min_quality=0`, so the page can show every read, including the ones
the visitor's quality threshold then drops; `dczoo.inference.ReadFilter` applies
that threshold and `FastqWriter`/`BamWriter` write the downloads. For the
pictures, `correct(..., on_zmw=...)` hands over each ZMW's draft, windows and
which of them kept the draft; where the model changed bases comes from
aligning each corrected read to its draft (edlib). With a truth BAM (the
bundled examples have one), identities to the truth come from
`dczoo.analysis.identity_to_truth`.
"""

import dataclasses
import os
import re
import time

import numpy as np

from dczoo.inference.read_filter import DEFAULT_MIN_QUALITY
from dczoo.inference.window_skipping import DEFAULT_SKIP_WINDOWS_ABOVE

_CIGAR = re.compile(r"(\d+)([=XID])")
STATUS_WRITTEN = "written"


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
    """A finished run: per-read reports, headline numbers, files to download."""

    reads: list
    numbers: dict
    files: list
    summary: dict


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


def run_report(inputs, model, preset, out_dir, min_quality=float(DEFAULT_MIN_QUALITY),
               skip_windows_above=float(DEFAULT_SKIP_WINDOWS_ABOVE), truth_bam=None,
               batch_size=64):
    """Corrects a checked BAM pair and gathers what the page shows.

    Args:
        inputs: `space_inputs.CheckedInputs`.
        model: `DeepConsensusCorrector`.
        preset: str. The preset's name (for the page and the BAM @PG line).
        out_dir: str. Existing folder for the FASTQ and BAM downloads.
        min_quality: float. Reads below this average quality are not written.
        skip_windows_above: float. Windows whose draft average quality is
            above this keep the draft (0: the model runs on every window).
        truth_bam: optional truth-to-draft BAM for identities to the truth.
        batch_size: int. Windows per model call (small batches let a
            cancellation stop the run sooner).

    Returns:
        `RunReport`; the files are written only when at least one read passes.
    """
    import keras

    from dczoo.analysis import identity_to_truth, load_truth
    from dczoo.inference import ReadFilter, correct
    from dczoo.inference.read_filter import SUCCESS, read_quality

    started = time.perf_counter()
    zmws = []
    corrected = correct(
        inputs.subreads_to_ccs, inputs.ccs_bam, model=model, min_quality=0,
        skip_windows_above=skip_windows_above, batch_size=batch_size,
        on_zmw=lambda result: zmws.append(
            (result.name, result.zmw.draft, np.asarray(result.zmw.window_pos),
             result.skipped, result.read)),
    )
    correction_seconds = time.perf_counter() - started
    summary = corrected.summary
    truth = load_truth(truth_bam) if truth_bam else {}
    read_filter = ReadFilter(min_quality)
    reports, written = [], []
    for name, draft, window_pos, skipped, read in zmws:
        sequence = read.sequence if read is not None else ""
        status = "no bases left after correction"
        if read is not None:
            outcome = read_filter.outcome(read.sequence, read.qualities)
            status = STATUS_WRITTEN if outcome == SUCCESS else f"below Q{min_quality:g}"
            if outcome == SUCCESS:
                written.append(read)
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
        if name in truth:
            report.identity_draft = identity_to_truth(draft.sequence, truth[name])
            if read is not None:
                report.identity_corrected = identity_to_truth(sequence, truth[name])
        reports.append(report)
    files = []
    if written:
        command_line = f"dczoo Space: correct --preset {preset} --min-quality {min_quality:g}"
        files = _write_outputs(written, inputs.ccs_bam, out_dir, command_line)
    numbers = _numbers(reports, summary, preset, min_quality, len(written),
                       correction_seconds, time.perf_counter() - started, keras.backend.backend())
    return RunReport(reads=reports, numbers=numbers, files=files, summary=summary)


def _mean_identity(reports, attribute):
    values = [getattr(r, attribute) for r in reports]
    values = [v for v in values if v is not None]
    return (sum(values) / len(values), len(values)) if values else (None, 0)


def _numbers(reports, summary, preset, min_quality, n_written, correction_seconds,
             total_seconds, backend):
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
        "identity": None,
    }
    with_truth = [r for r in reports if r.identity_draft is not None and r.identity_corrected is not None]
    if with_truth:
        draft, n = _mean_identity(with_truth, "identity_draft")
        after, _ = _mean_identity(with_truth, "identity_corrected")
        numbers["identity"] = {
            "reads": n,
            "draft": round(draft, 6),
            "corrected": round(after, 6),
            "draft_phred": round(phred(draft), 2),
            "corrected_phred": round(phred(after), 2),
        }
    return numbers
