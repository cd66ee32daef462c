"""`merge_shards`: the shards of `dczoo correct --chunk i/N` -> one file.

`--chunk i/N` corrects the ZMWs whose ordinal (position in
`subreads_to_ccs.bam`) is `i` modulo `N`, so shard `i` holds ZMWs `i`,
`i + N`, `i + 2N`, ... and concatenated shards are not in the order of a
single run. Each shard's summary JSON (`<shard>.summary.json`, written by
`dczoo correct`) records which ZMWs of its chunk have a read in the shard
(`chunk.read_positions`, see `dczoo.inference.run_stats.chunk_summary`);
from those ordinals the shards are merged back into input order, which is
the order a single `dczoo correct` run writes: the reads, their bytes and,
for BAM, the header are those of a single run, except the dczoo `@PG` line,
whose `CL` is the merge's command line.

Before anything is written, the shards must be one run's shards: the same
inputs (`input_fingerprints`), model, settings (except `chunk`, `cpus`, `threads` and
`batch_zmws`, which change how a shard was computed, not what it holds) and
dczoo version; every chunk `0/N` ... `N-1/N` exactly once; one format
(FASTQ, gzipped FASTQ or BAM) matching the output's. A shard whose reads do
not match its summary (a partial, truncated or edited file) stops the merge.
The merged file and its summary are written atomically
(`dczoo.atomic`): on any refusal or error neither appears, and the shards
are only read.
"""

import contextlib
import dataclasses
import heapq
import json
import os

from dczoo.atomic import TextOutput
from dczoo.errors import DczooInputError
from dczoo.inference.fastq_writer import FastqWriter, is_fastq_path
from dczoo.inference.read_filter import SUCCESS, iter_reads
from dczoo.inference.run_stats import read_ordinals
from dczoo.paths import check_paths
from dczoo.version import __version__

# Settings that change how a shard was computed, not the reads it holds.
FREE_SETTINGS = ("chunk", "cpus", "threads", "batch_zmws")
# Summary entries whose numbers add up over the shards.
_ADDED = ("zmws", "zmws_dropped", "windows", "outcomes", "reads_written", "preprocessing_counters",
          "timings_s")


def shard_format(path):
    """The format of a shard or output, by its name.

    Args:
        path: str or Path.

    Returns:
        "bam", "fastq.gz" or "fastq" (`.fq` too), or None for anything else.

    Example:
    >>> shard_format("shards/3.fq.gz")
    'fastq.gz'
    """
    name = os.fspath(path).lower()
    if name.endswith(".bam"):
        return "bam"
    if is_fastq_path(name):
        return "fastq.gz" if name.endswith(".gz") else "fastq"
    return None


@dataclasses.dataclass
class Shard:
    """One shard of a `--chunk` run and what its summary says.

    Attributes:
        path: str. The shard's reads (FASTQ, FASTQ.gz or BAM).
        summary_path: str. Its summary JSON.
        summary: dict. The summary.
        index: int. count: int. Its chunk `index/count`.
        ordinals: list of int. Input ordinals of its reads, in file order.
    """

    path: str
    summary_path: str
    summary: dict
    index: int
    count: int
    ordinals: list

    @property
    def chunk(self):
        """str "i/N"."""
        return f"{self.index}/{self.count}"

    @classmethod
    def load(cls, path):
        """Reads the summary JSON of the shard `path` (`<path>.summary.json`).

        Raises:
            DczooInputError: no summary, an unreadable one, or one of a run
                without `--chunk` (or of a dczoo that did not record chunks).
        """
        path = os.fspath(path)
        summary_path = path + ".summary.json"
        try:
            with open(summary_path, encoding="utf-8") as handle:
                summary = json.load(handle)
        except FileNotFoundError:
            raise DczooInputError(
                f"{path}: its summary {summary_path} does not exist; merge needs the summary JSON "
                "that dczoo correct writes beside each shard") from None
        except (OSError, ValueError) as error:
            raise DczooInputError(f"{summary_path}: not a readable summary JSON ({error})") from None
        chunk = summary.get("chunk") if isinstance(summary, dict) else None
        if not isinstance(chunk, dict):
            raise DczooInputError(
                f"{path}: {summary_path} records no chunk: not a shard of dczoo correct --chunk i/N "
                "(or written by a dczoo older than dczoo merge)")
        try:
            ordinals = read_ordinals(chunk)
            index, count = int(chunk["index"]), int(chunk["count"])
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            raise DczooInputError(f"{summary_path}: malformed chunk entry ({error})") from None
        return cls(path, summary_path, summary, index, count, ordinals)

    @property
    def written(self):
        """Whether `dczoo correct` wrote this shard's reads file."""
        return bool(self.summary.get("output_written"))


def _check_same_run(shards):
    """Refuses shards of different inputs, models, settings or dczoo versions."""
    first = shards[0]
    checks = (
        ("input_fingerprints", "another input"),
        ("model", "another model"),
        ("settings", "other settings"),
        ("dczoo_version", "another dczoo version"),
    )
    for shard in shards[1:]:
        for key, what in checks:
            left, right = first.summary.get(key), shard.summary.get(key)
            if key == "settings":
                left, right = _kept_settings(left), _kept_settings(right)
            if left is None or left != right:
                raise DczooInputError(
                    f"{shard.path} was made with {what} than {first.path} ({_difference(key, left, right)}); "
                    "merge only the shards of one dczoo correct run")


def _kept_settings(settings):
    """The settings that must agree between shards (all but `FREE_SETTINGS`)."""
    return {key: value for key, value in (settings or {}).items() if key not in FREE_SETTINGS}


def _difference(key, left, right):
    """`key.sub: a vs b` naming the first difference of two values (dicts: the first differing key)."""
    while isinstance(left, dict) and isinstance(right, dict):
        differing = [k for k in sorted(set(left) | set(right), key=str) if left.get(k) != right.get(k)]
        if not differing:
            break
        key, left, right = f"{key}.{differing[0]}", left.get(differing[0]), right.get(differing[0])
    return f"{key}: {left!r} vs {right!r}"


def _check_coverage(shards):
    """Refuses mixed chunk counts, a chunk given twice and missing chunks."""
    count = shards[0].count
    seen = {}
    for shard in shards:
        if shard.count != count:
            raise DczooInputError(
                f"{shard.path} is chunk {shard.chunk} but {shards[0].path} is chunk {shards[0].chunk}: "
                "shards of different --chunk counts")
        if shard.index in seen:
            raise DczooInputError(
                f"chunk {shard.chunk} is given twice ({seen[shard.index].path} and {shard.path})")
        seen[shard.index] = shard
    missing = [f"{index}/{count}" for index in range(count) if index not in seen]
    if missing:
        listed = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        raise DczooInputError(
            f"missing shard(s): chunk {listed} (give every chunk 0/{count} ... {count - 1}/{count} once)")


def _check_formats(paths, output):
    """The shards' one format; refuses mixed formats and an output of another kind."""
    formats = {}
    for path in paths:
        found = shard_format(path)
        if found is None:
            raise DczooInputError(f"{path}: a shard must be .fastq, .fq (optionally .gz) or .bam")
        formats.setdefault(found, path)
    if len(formats) > 1:
        described = ", ".join(f"{kind} ({path})" for kind, path in formats.items())
        raise DczooInputError(f"shards of mixed formats: {described}; merge shards of one format")
    kind = next(iter(formats))
    wanted = shard_format(output)
    if wanted is None:
        raise DczooInputError(f"{output}: output must end in .fastq, .fq (optionally .gz) or .bam")
    if (wanted == "bam") != (kind == "bam"):
        raise DczooInputError(f"{output}: {wanted} output from {kind} shards; give an output of the shards' format")
    return kind


def _check_files(shards):
    """Each shard's reads file is there when its summary says it was written.

    A shard whose reads all failed the filters (`dczoo correct` exit status
    1) has no reads file; an empty placeholder (the workflow's) is accepted.
    """
    for shard in shards:
        exists = os.path.isfile(shard.path)
        if shard.written and not exists:
            raise DczooInputError(f"{shard.path}: shard does not exist but its summary says it was written")
        if not shard.written:
            if exists and os.path.getsize(shard.path) > 0:
                raise DczooInputError(
                    f"{shard.path}: its summary says no read was written but the file holds data; "
                    "rerun this shard")
            if shard.ordinals:
                raise DczooInputError(f"{shard.summary_path}: lists reads of a shard that was not written")


def _draft_header_lines(shard):
    """The shard's BAM header without the `@PG` line dczoo correct added (the last)."""
    from dczoo.data.bam_reader import close_quietly, open_bam

    bam = open_bam(shard.path, "shard BAM")
    try:
        lines = [line for line in str(bam.header).splitlines() if line.strip()]
    finally:
        close_quietly(bam)
    if not lines or not lines[-1].startswith("@PG") or "\tPN:dczoo" not in lines[-1]:
        raise DczooInputError(f"{shard.path}: its header does not end in dczoo correct's @PG line")
    return lines[:-1]


def _bam_header(shards, command_line):
    """The merged BAM's header: the drafts' header and one dczoo `@PG` line."""
    from dczoo.inference.bam_writer import corrected_bam_header

    written = [shard for shard in shards if shard.written]
    if not written:
        raise DczooInputError("no shard has a reads file to take the BAM header from")
    header = _draft_header_lines(written[0])
    for shard in written[1:]:
        if _draft_header_lines(shard) != header:
            raise DczooInputError(
                f"{shard.path}: its BAM header differs from {written[0].path}'s (another ccs.bam?)")
    return corrected_bam_header("\n".join(header) + "\n", command_line)


def _shard_reads(shard, kind):
    """Yields `(ordinal, read)` of a shard, checking it against its summary."""
    from dczoo.inference.corrected_read import CorrectedRead

    if not shard.written:
        return
    expected = len(shard.ordinals)
    found = 0
    for name, sequence, qualities, record in iter_reads(shard.path):
        if found < expected:
            yield shard.ordinals[found], (record if kind == "bam" else CorrectedRead(name, sequence, qualities))
        found += 1
    if found != expected:
        raise DczooInputError(
            f"{shard.path}: holds {found} reads but its summary lists {expected}: a partial or altered shard; "
            "rerun it")


def _added(values):
    """Adds numbers, and dicts of numbers key by key."""
    values = list(values)
    if all(isinstance(value, dict) for value in values):
        keys = []
        for value in values:
            keys += [key for key in value if key not in keys]
        return {key: _added(value[key] for value in values if key in value) for key in keys}
    total = sum(value for value in values if isinstance(value, (int, float)))
    return round(total, 3) if isinstance(total, float) else total


def merged_summary(shards, output, command_line=None):
    """The summary of the merged file: the shards' counts added up.

    Args:
        shards: list of `Shard`, in chunk order.
        output: str. The merged file.
        command_line: str or None.

    Returns:
        dict like `dczoo correct`'s summary, without `chunk`: counts and
        timings are the shards' sums (timings in seconds of all shards
        together), throughput is over those summed seconds, `settings` are
        the first shard's with `chunk` None, and `shards` lists each shard
        (path, chunk, command line, ZMWs, reads written, its whole run's
        seconds).
    """
    first = shards[0].summary
    summary = {
        "dczoo_version": __version__,
        "command_line": command_line,
        "inputs": first.get("inputs"),
        "input_fingerprints": first.get("input_fingerprints"),
        "output": output,
        "output_written": False,
        "exit_status": 0,
        "model": first.get("model"),
        "settings": dict(first.get("settings") or {}, chunk=None),
    }
    for key in _ADDED:
        summary[key] = _added(shard.summary.get(key, {}) for shard in shards)
    timings = summary["timings_s"]
    loop, model = timings.get("correction_loop"), timings.get("model")
    summary["throughput"] = {
        "zmws_per_s": round(summary["zmws"] / loop, 3) if loop else None,
        "model_windows_per_s": round(summary["windows"].get("model", 0) / model, 2) if model else None,
    }
    summary["shards"] = [
        {"path": shard.path, "chunk": shard.chunk, "command_line": shard.summary.get("command_line"),
         "zmws": shard.summary.get("zmws"), "reads_written": len(shard.ordinals),
         "seconds": (shard.summary.get("timings_s") or {}).get("total")}
        for shard in shards
    ]
    failed = summary["zmws"] > 0 and summary["outcomes"].get(SUCCESS, 0) == 0
    summary["exit_status"] = int(failed)
    summary["output_written"] = not failed
    if failed:
        summary["reads_written"] = 0
    return summary


def merge_shards(shards, output, summary_path=None, command_line=None):
    """Merges the shards of `dczoo correct --chunk i/N` into single-run order.

    Args:
        shards: list of str or Path, the shards' reads files (any order),
            each with `<shard>.summary.json` beside it. A shard whose reads
            all failed the filters has no reads file (or an empty one) and
            still counts.
        output: str or Path. The merged `.fastq`/`.fq`(`.gz`) for FASTQ
            shards, `.bam` for BAM shards; written atomically.
        summary_path: str or Path, default `<output>.summary.json`.
        command_line: str or None, recorded in the summary and in the BAM
            `@PG` line.

    Returns:
        dict, the merged summary (`merged_summary`); `exit_status` is 1 when
        ZMWs were corrected but no read passed the filters in any shard (the
        output is then not written, like `dczoo correct`), else 0.

    Raises:
        DczooInputError: shards of different inputs, models, settings or
            dczoo versions, a missing or duplicated chunk, mixed formats, a
            shard without its summary or whose reads do not match it, an
            output that is a shard; nothing is written.
        DczooOutputError: the output could not be written; nothing is left.

    Example:
    ```python
    summary = merge_shards([f"shards/{i}.bam" for i in range(3)], "corrected.bam")
    summary["reads_written"], summary["outcomes"]
    ```
    """
    if not shards:
        raise DczooInputError("no shards given")
    output = os.fspath(output)
    summary_path = os.fspath(summary_path) if summary_path is not None else output + ".summary.json"
    paths = [os.fspath(path) for path in shards]
    kind = _check_formats(paths, output)
    loaded = sorted((Shard.load(path) for path in paths), key=lambda shard: (shard.index, shard.count))
    _check_coverage(loaded)
    _check_same_run(loaded)
    _check_files(loaded)
    check_paths(
        inputs=[("shard", shard.path) for shard in loaded]
        + [("shard summary", shard.summary_path) for shard in loaded],
        files=[("--output", output), ("--summary", summary_path)],
    )
    summary = merged_summary(loaded, output, command_line)
    writer = None
    if summary["output_written"] and kind == "bam":
        from dczoo.inference.bam_writer import BamRecordWriter

        writer = BamRecordWriter(output, _bam_header(loaded, command_line))
    elif summary["output_written"]:
        writer = FastqWriter(output)
    with writer or contextlib.nullcontext():
        if writer is not None:
            streams = [_shard_reads(shard, kind) for shard in loaded]
            for _, read in heapq.merge(*streams, key=lambda item: item[0]):
                writer.write(read)
        with TextOutput(summary_path) as summary_file:
            summary_file.write(json.dumps(summary, indent=1) + "\n")
            summary_file.finish()
            if writer is not None:
                writer.commit()
            summary_file.commit()
    return summary
