"""Writing corrected reads as FASTQ (plain, or gzip for `.gz` paths)."""

import gzip

from dczoo.atomic import AtomicRecordWriter


def is_fastq_path(path):
    """Whether a path names a FASTQ output (`.fastq`, `.fq`, optionally `.gz`)."""
    name = str(path).lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return name.endswith((".fastq", ".fq"))


def format_fastq_record(read):
    """One FASTQ record: `@name`, sequence, `+`, Phred+33 qualities.

    Args:
        read: `CorrectedRead` (or anything with name, sequence and
            quality_string).

    Returns:
        str ending in a newline.
    """
    return f"@{read.name}\n{read.sequence}\n+\n{read.quality_string}\n"


class FastqWriter(AtomicRecordWriter):
    """Writes reads to a FASTQ file that appears only on `commit()`.

    `write(read)` appends one read (a `CorrectedRead`); see
    `dczoo.atomic.AtomicRecordWriter` for commit, abort and errors.

    Args:
        path: str or Path. Ends in `.fastq`/`.fq`, optionally `.gz`.

    Example:
    ```python
    with FastqWriter("corrected.fastq") as writer:
        for read in reads:
            writer.write(read)
        writer.commit()
    ```
    """

    def _open(self, temporary_path):
        if self.path.lower().endswith(".gz"):
            return gzip.open(temporary_path, "wt", compresslevel=6)
        return open(temporary_path, "w")

    def _write(self, read):
        self._stream.write(format_fastq_record(read))
