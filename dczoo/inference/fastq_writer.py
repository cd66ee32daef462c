"""Writing corrected reads as FASTQ (plain, or gzip for `.gz` paths)."""

import gzip

from dczoo.inference.atomic_output import AtomicOutput


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


class FastqWriter:
    """Writes reads to a FASTQ file that appears only on `commit()`.

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

    def __init__(self, path):
        self.path = str(path)
        self._output = AtomicOutput(path)
        if self.path.lower().endswith(".gz"):
            self._handle = gzip.open(self._output.temporary_path, "wt", compresslevel=6)
        else:
            self._handle = open(self._output.temporary_path, "w")
        self.n_written = 0

    def write(self, read):
        """Appends one read."""
        self._handle.write(format_fastq_record(read))
        self.n_written += 1

    def commit(self):
        """Closes the file and moves it to its final path."""
        self._handle.close()
        self._output.commit()

    def abort(self):
        """Closes and removes the partial file."""
        self._handle.close()
        self._output.abort()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        if not self._output.committed:
            self.abort()
        return False
