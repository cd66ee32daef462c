"""Preprocess a BAM pair (+ truth) into a window dataset folder: `dczoo preprocess` as a function."""

from dczoo.constants import INS_TRIM, MAX_PASSES, WINDOW_LENGTH, WindowLayout
from dczoo.data.dataset_writer import DatasetWriter
from dczoo.data.pipeline import iter_zmw_windows, parse_chunk
from dczoo.data.shards import DEFAULT_SHARD_SIZE
from dczoo.data.window_packing import pack_for_shards
from dczoo.paths import check_paths
from dczoo.progress import DEFAULT_PROGRESS_EVERY
from dczoo.validation import check_number


def preprocess(subreads_to_ccs, ccs_bam, out, *, truth=None, max_passes=MAX_PASSES,
               window_length=WINDOW_LENGTH, use_ccs_bq=False, ins_trim=INS_TRIM, cpus=1, chunk=None,
               shard_size=DEFAULT_SHARD_SIZE, overwrite=False, progress=False,
               progress_every=DEFAULT_PROGRESS_EVERY):
    """Writes the windows of every ZMW (and, with truth, their labels) to `out`.

    The folder appears only when complete (`DatasetWriter`); windows are
    bit-exact with DeepConsensus 1.2 preprocessing. In training mode (with
    `truth`) the ZMWs go to train/eval/test splits by chromosome. Before any
    work, `out` is checked not to be or hold an input
    (`dczoo.paths.check_paths`) and the numbers to be in range.

    Args:
        subreads_to_ccs: str or Path. Subreads aligned to their draft (actc).
        ccs_bam: str or Path. Drafts, in the same ZMW order.
        out: str or Path. The dataset folder.
        truth: optional `dczoo.data.TruthInputs` (training mode).
        max_passes, window_length, use_ccs_bq, ins_trim: window geometry and
            insertion trimming (see `iter_zmw_windows`).
        cpus: int. Worker processes.
        chunk: optional "i/N" or (i, N): only ZMWs i, i+N, ...
        shard_size: int. Windows per shard (whole ZMWs).
        overwrite: bool. Replace an existing non-empty `out`.
        progress: bool. Report progress on stderr: a bar on a terminal, else
            a line every `progress_every` seconds (`dczoo.progress`).
        progress_every: float. Seconds between those lines (0: one per ZMW).

    Returns:
        dict, the dataset's summary (as written to summary.json).

    Raises:
        DczooInputError: bad inputs, settings or paths (nothing is written).
        DczooOutputError: the folder could not be written (nothing is left).

    Example:
    ```python
    from dczoo.data import TruthInputs, preprocess

    summary = preprocess("subreads_to_ccs.bam", "ccs.bam", "train/", cpus=2,
                         truth=TruthInputs("truth_to_ccs.bam", "truth.bed", "truth_split.tsv"))
    summary["splits"]["train"]["windows"]
    ```
    """
    chunk = parse_chunk(chunk) if isinstance(chunk, str) or chunk is None else tuple(chunk)
    for label, value, minimum in (("--max-passes", max_passes, 1), ("--window-length", window_length, 1),
                                  ("--ins-trim", ins_trim, 0), ("--cpus", cpus, 0),
                                  ("--shard-size", shard_size, 1)):
        check_number(label, value, minimum, integer=True)
    check_number("--progress-every", progress_every, minimum=0)
    truth_files = [] if truth is None else [
        ("--truth-to-ccs", truth.truth_to_ccs), ("--truth-bed", truth.truth_bed),
        ("--truth-split", truth.truth_split)]
    check_paths(inputs=[("--subreads-to-ccs", subreads_to_ccs), ("--ccs-bam", ccs_bam), *truth_files],
                folders=[("--out", out)])
    settings = {
        "max_passes": max_passes,
        "window_length": window_length,
        "ins_trim": ins_trim,
        "use_ccs_bq": bool(use_ccs_bq),
        "tensor_height": WindowLayout(max_passes, bool(use_ccs_bq)).num_rows,
        "tensor_width": window_length,
        "subreads_to_ccs": str(subreads_to_ccs),
        "ccs_bam": str(ccs_bam),
        "truth_to_ccs": None if truth is None else str(truth.truth_to_ccs),
        "truth_bed": None if truth is None else str(truth.truth_bed),
        "truth_split": None if truth is None else str(truth.truth_split),
        "chromosome_splits": None if truth is None else truth.chromosome_splits,
        "chunk": None if chunk is None else f"{chunk[0]}/{chunk[1]}",
        "cpus": cpus,
        "shard_size": shard_size,
    }
    zmws = iter_zmw_windows(
        subreads_to_ccs, ccs_bam, use_ccs_bq=use_ccs_bq, max_passes=max_passes,
        window_length=window_length, ins_trim=ins_trim, cpus=cpus, truth=truth, chunk=chunk,
        progress=progress, progress_every=progress_every,
        transform=pack_for_shards,  # compress in the worker processes
    )
    with DatasetWriter(out, shard_size, overwrite=overwrite) as writer:
        for zmw in zmws:
            writer.add(zmw)
        return writer.finish(settings=settings, mode="training" if truth is not None else "inference")
