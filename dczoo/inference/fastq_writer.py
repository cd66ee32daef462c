"""Writing corrected reads as FASTQ (plain, or gzip for `.gz` paths)."""

import gzip
import io

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


class _GzipText(io.TextIOWrapper):
    """Text into a gzip file whose header holds no file name and time 0, so
    the same reads always give the same bytes (reruns, merged shards)."""

    def __init__(self, path, compresslevel=6):
        self._raw = open(path, "wb")
        try:
            compressed = gzip.GzipFile(filename="", mode="wb", compresslevel=compresslevel,
                                       fileobj=self._raw, mtime=0)
        except BaseException:
            self._raw.close()
            raise
        super().__init__(compressed, encoding="utf-8")

    def close(self):
        try:
            super().close()
        finally:
            self._raw.close()


class FastqWriter(AtomicRecordWriter):
    """Writes reads to a FASTQ file that appears only on `commit()`.

    A `.gz` path is written gzip-compressed with a header that holds no file
    name and no time: the same reads give the same bytes.

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
            return _GzipText(temporary_path)
        return open(temporary_path, "w")

    def _write(self, read):
        self._stream.write(format_fastq_record(read))
