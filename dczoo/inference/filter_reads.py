"""Keeping reads at or above an average quality (`dczoo filter`).

Like DeepConsensus 1.2's `filter_reads`: the average quality of a read is
taken in probability space; for FASTQ input it is rounded to 5 decimals
before the comparison, for BAM input it is not. Input is FASTQ (optionally
gzipped) or BAM; output is FASTQ (optionally gzipped), or BAM when both
input and output are BAM (header and tags kept). The output is written
atomically.
"""

import os

import numpy as np
import pysam

from dczoo.atomic import AtomicOutput
from dczoo.errors import DczooInputError
from dczoo.inference.corrected_read import CorrectedRead
from dczoo.inference.fastq_writer import FastqWriter, is_fastq_path
from dczoo.inference.read_filter import read_quality


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


def filter_reads(input_path, output_path, min_quality):
    """Writes the reads of `input_path` whose average quality is >= `min_quality`.

    Args:
        input_path: str or Path. FASTQ (`.fastq`, `.fq`, optionally `.gz`) or BAM.
        output_path: str or Path. FASTQ (optionally `.gz`), or BAM for BAM input.
        min_quality: float.

    Returns:
        dict with `total`, `kept` and `filtered` read counts.

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
    reads = _iter_bam(input_path) if is_bam else _iter_fastq(input_path)
    decimals = None if is_bam else 5
    counts = {"total": 0, "kept": 0, "filtered": 0}
    if out_bam:
        from dczoo.data.bam_reader import open_bam

        source = open_bam(input_path, "input BAM")
        header = source.header.to_dict()
        source.close()
        with AtomicOutput(output_path) as output:
            with pysam.AlignmentFile(output.temporary_path, "wb", header=header) as bam:
                for name, sequence, qualities, record in reads:
                    counts["total"] += 1
                    if read_quality(qualities, decimals) >= min_quality:
                        counts["kept"] += 1
                        bam.write(record)
            output.commit()
    else:
        with FastqWriter(output_path) as writer:
            for name, sequence, qualities, _ in reads:
                counts["total"] += 1
                if read_quality(qualities, decimals) >= min_quality:
                    counts["kept"] += 1
                    writer.write(CorrectedRead(name, sequence, qualities))
            writer.commit()
    counts["filtered"] = counts["total"] - counts["kept"]
    return counts
