"""Read filters: the outcome of every ZMW, and filtering a reads file.

Each ZMW ends in exactly one outcome, checked in this order (the reference's
`OutcomeCounter`): `empty_sequence` (windows missing, nothing stitched),
`only_gaps` (every call was a gap), `failed_quality_filter` (average read
quality, rounded to 5 decimals, below `min_quality`),
`failed_length_filter` (shorter than `min_length`), `success`.

`filter_reads` (`dczoo filter`) keeps the reads of a file at or above an
average quality, like DeepConsensus 1.2's `filter_reads`: the average quality
of a read is taken in probability space; for FASTQ input it is rounded to 5
decimals before the comparison, for BAM input it is not. Input is FASTQ
(optionally gzipped) or BAM; output is FASTQ (optionally gzipped), or BAM when
both input and output are BAM (header and tags kept). The output is written
atomically and must not be the input (`dczoo.paths.check_paths`).
"""

import collections
import os

import numpy as np
import pysam

from dczoo.errors import DczooInputError
from dczoo.inference.corrected_read import CorrectedRead
from dczoo.inference.fastq_writer import FastqWriter, is_fastq_path
from dczoo.inference.quality import average_phred
from dczoo.paths import check_paths
from dczoo.validation import check_number

EMPTY_SEQUENCE = "empty_sequence"
ONLY_GAPS = "only_gaps"
FAILED_QUALITY_FILTER = "failed_quality_filter"
FAILED_LENGTH_FILTER = "failed_length_filter"
SUCCESS = "success"
OUTCOMES = (EMPTY_SEQUENCE, ONLY_GAPS, FAILED_QUALITY_FILTER, FAILED_LENGTH_FILTER, SUCCESS)

DEFAULT_MIN_QUALITY = 20


def read_quality(qualities, decimals=5):
    """Average phred quality of a read (probability space).

    Args:
        qualities: integer qualities of the read's bases.
        decimals: int or None. Rounding applied before comparing, as the
            reference does (5); None keeps the exact value.

    Returns:
        float (0 for an empty read).
    """
    value = average_phred(qualities)
    return value if decimals is None else round(value, decimals)


def passes_quality(qualities, min_quality, decimals=5):
    """Whether a read's average quality is at least `min_quality`.

    Example:
    >>> passes_quality([39, 39, 41, 41], 40)
    False
    """
    return read_quality(qualities, decimals) >= min_quality


class ReadFilter:
    """Decides the outcome of each stitched read.

    Args:
        min_quality: float. Minimum average read quality (20).
        min_length: int. Minimum read length (0).

    Example:
    >>> read_filter = ReadFilter(min_quality=20, min_length=0)
    >>> read_filter.outcome("ACGT", [30, 30, 30, 30])
    'success'
    >>> read_filter.counts["success"]
    1
    """

    def __init__(self, min_quality=DEFAULT_MIN_QUALITY, min_length=0):
        self.min_quality = min_quality
        self.min_length = min_length
        self.counts = collections.Counter({outcome: 0 for outcome in OUTCOMES})

    def outcome(self, sequence, qualities):
        """Classifies one read and counts it.

        Args:
            sequence: str or None (None: the stitch failed).
            qualities: integer qualities, or None.

        Returns:
            str, one of `OUTCOMES`.
        """
        if sequence is None:
            result = EMPTY_SEQUENCE
        elif len(sequence) == 0:
            result = ONLY_GAPS
        elif not passes_quality(qualities, self.min_quality):
            result = FAILED_QUALITY_FILTER
        elif len(sequence) < self.min_length:
            result = FAILED_LENGTH_FILTER
        else:
            result = SUCCESS
        self.counts[result] += 1
        return result

    def merge(self, counts):
        """Adds outcome counts from elsewhere (e.g. another process)."""
        self.counts.update(counts)


def _where(last):
    return f"after read {last}" if last else "before the first read"


def _iter_fastq(path):
    last = None
    try:
        with pysam.FastxFile(path, persist=False) as handle:
            for entry in handle:
                if entry.quality is None:
                    raise DczooInputError(
                        f"{path}: read {entry.name} has no qualities (FASTA, not FASTQ?)"
                    )
                if len(entry.quality) != len(entry.sequence):
                    raise DczooInputError(
                        f"{path}: read {entry.name} has {len(entry.sequence)} bases "
                        f"but {len(entry.quality)} qualities"
                    )
                qualities = np.frombuffer(entry.quality.encode("ascii"), np.uint8) - 33
                last = entry.name
                yield entry.name, entry.sequence, qualities, None
    except DczooInputError:
        raise
    except (OSError, ValueError) as error:
        raise DczooInputError(
            f"{path}: not a readable FASTQ file {_where(last)} ({error})"
        ) from None


def _iter_bam(path):
    from dczoo.data.bam_reader import open_bam

    bam = open_bam(path, "input BAM")
    last = None
    try:
        records = bam.fetch(until_eof=True)
        while True:
            try:
                record = next(records)
            except StopIteration:
                return
            except OSError as error:
                raise DczooInputError(
                    f"{path}: input BAM is truncated or corrupt {_where(last)} ({error})"
                ) from None
            if record.query_qualities is None:
                raise DczooInputError(f"{path}: read {record.query_name} has no qualities")
            last = record.query_name
            qualities = np.asarray(record.query_qualities, dtype=np.uint8)
            yield record.query_name, record.query_sequence, qualities, record
    finally:
        bam.close()


def iter_reads(path):
    """Streams the reads of a FASTQ (optionally gzipped) or BAM file.

    Args:
        path: str. `.bam`, or `.fastq`/`.fq` (optionally `.gz`).

    Yields:
        `(name, sequence, qualities, record)`: str, str, uint8 array of
        phred qualities, and the `pysam.AlignedSegment` for BAM (None for
        FASTQ).

    Raises:
        DczooInputError: a truncated or malformed file, or a read without
            qualities (file and read named).

    Example:
    ```python
    for name, sequence, qualities, record in iter_reads("corrected.fastq.gz"):
        print(name, len(sequence))
    ```
    """
    return _iter_bam(path) if os.fspath(path).lower().endswith(".bam") else _iter_fastq(path)


def filter_reads(input_path, output_path, min_quality):
    """Writes the reads of `input_path` whose average quality is >= `min_quality`.

    Args:
        input_path: str or Path. FASTQ (`.fastq`, `.fq`, optionally `.gz`) or BAM.
        output_path: str or Path. FASTQ (optionally `.gz`), or BAM for BAM input.
        min_quality: float, >= 0.

    Returns:
        dict with `total`, `kept` and `filtered` read counts.

    Raises:
        DczooInputError: bad input, a NaN or negative `min_quality`, or an
            output that is the input; nothing is written.
        DczooOutputError: the output could not be written; nothing is left.

    Example:
    ```python
    counts = filter_reads("corrected.fastq", "corrected.q30.fastq", 30)
    ```
    """
    input_path, output_path = os.fspath(input_path), os.fspath(output_path)
    if not os.path.exists(input_path):
        raise DczooInputError(f"{input_path}: input does not exist")
    is_bam = input_path.lower().endswith(".bam")
    if not is_bam and not is_fastq_path(input_path):
        raise DczooInputError(f"{input_path}: input must be .fastq, .fq (optionally .gz) or .bam")
    out_bam = output_path.lower().endswith(".bam")
    if out_bam and not is_bam:
        raise DczooInputError(f"{output_path}: BAM output needs BAM input (FASTQ has no header or tags)")
    if not out_bam and not is_fastq_path(output_path):
        raise DczooInputError(f"{output_path}: output must be .fastq, .fq (optionally .gz) or .bam")
    check_number("--min-quality", min_quality, minimum=0)
    check_paths(inputs=[("--input", input_path)], files=[("--output", output_path)])
    reads = iter_reads(input_path)
    decimals = None if is_bam else 5
    counts = {"total": 0, "kept": 0, "filtered": 0}
    if out_bam:
        from dczoo.data.bam_reader import open_bam
        from dczoo.inference.bam_writer import BamRecordWriter

        source = open_bam(input_path, "input BAM")
        header = source.header.to_dict()
        source.close()
        writer = BamRecordWriter(output_path, header)
    else:
        writer = FastqWriter(output_path)
    with writer:
        for name, sequence, qualities, record in reads:
            counts["total"] += 1
            if passes_quality(qualities, min_quality, decimals):
                counts["kept"] += 1
                writer.write(record if out_bam else CorrectedRead(name, sequence, qualities))
        writer.commit()
    counts["filtered"] = counts["total"] - counts["kept"]
    return counts
