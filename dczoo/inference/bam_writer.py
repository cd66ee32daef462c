"""Writing corrected reads as an unaligned BAM with the draft BAM's header.

Records are unaligned (flag 4, MAPQ 255) and carry the draft's tags in the
order DeepConsensus 1.2 writes them: `ec` (float, -1 when the draft has
none), `np` (int), `rq` (float), `RG` and `zm` (int), then, for reads that
carry kinetics (`dczoo correct --kinetics`), the `ccs --hifi-kinetics` tags
`fi`, `fp`, `ri`, `rp` (B,C) and `fn`, `rn` (i) (`dczoo.data.kinetics`).
The header is the header of `ccs.bam` plus one `@PG` line for dczoo.
"""

import pysam

from dczoo.atomic import AtomicRecordWriter
from dczoo.data.bam_reader import quiet_htslib
from dczoo.version import __version__


def corrected_bam_header(draft_header, command_line=None):
    """The output header: the draft BAM's header lines, then a dczoo `@PG` line.

    The draft header's text is kept as it is (line and field order).

    Args:
        draft_header: `pysam.AlignmentHeader`, header text, or dict (of `ccs.bam`).
        command_line: str or None, recorded as `CL`.

    Returns:
        `pysam.AlignmentHeader`.
    """
    if isinstance(draft_header, dict):
        draft_header = pysam.AlignmentHeader.from_dict(draft_header)
    text = str(draft_header)
    lines = [line for line in text.splitlines() if line.strip()]
    ids = {
        field[3:]
        for line in lines
        if line.startswith("@PG")
        for field in line.split("\t")
        if field.startswith("ID:")
    }
    program_id, suffix = "dczoo", 1
    while program_id in ids:
        program_id, suffix = f"dczoo.{suffix}", suffix + 1
    fields = [f"@PG\tID:{program_id}\tPN:dczoo", f"VN:{__version__}"]
    previous = [line for line in lines if line.startswith("@PG")]
    if previous:
        last_id = [f[3:] for f in previous[-1].split("\t") if f.startswith("ID:")]
        if last_id:
            fields.append(f"PP:{last_id[0]}")
    if command_line:
        fields.append("CL:" + " ".join(command_line.split()))
    lines.append("\t".join(fields))
    return pysam.AlignmentHeader.from_text("\n".join(lines) + "\n")


def read_to_segment(read, header):
    """Builds the unaligned BAM record of a `CorrectedRead`."""
    segment = pysam.AlignedSegment(header)
    segment.query_name = read.name
    segment.flag = 4
    segment.reference_id = -1
    segment.reference_start = -1
    segment.mapping_quality = 255
    segment.next_reference_id = -1
    segment.next_reference_start = -1
    segment.query_sequence = read.sequence
    segment.query_qualities = pysam.qualitystring_to_array(read.quality_string)
    segment.set_tag("ec", float(read.ec) if read.ec else -1.0, value_type="f")
    if read.np is not None:
        segment.set_tag("np", int(read.np), value_type="i")
    if read.rq is not None:
        segment.set_tag("rq", float(read.rq), value_type="f")
    if read.rg is not None:
        segment.set_tag("RG", str(read.rg), value_type="Z")
    if read.zm is not None:
        segment.set_tag("zm", int(read.zm), value_type="i")
    if read.kinetics is not None:
        for tag, value, value_type in read.kinetics.bam_tags():
            segment.set_tag(tag, value, value_type=value_type)
    return segment


class BamRecordWriter(AtomicRecordWriter):
    """Writes pysam records to a BAM file that appears only on `commit()`.

    htslib's own messages about a failed write are silenced: the failure
    is reported once, as a `DczooOutputError` (see
    `dczoo.atomic.AtomicRecordWriter`).

    Args:
        path: str or Path of the output `.bam`.
        header: `pysam.AlignmentHeader` or header dict.

    Example:
    ```python
    with BamRecordWriter("kept.bam", source.header) as writer:
        for record in source:
            writer.write(record)
        writer.commit()
    ```
    """

    def __init__(self, path, header):
        if isinstance(header, dict):
            header = pysam.AlignmentHeader.from_dict(header)
        self.header = header
        super().__init__(path)

    def _open(self, temporary_path):
        with quiet_htslib():
            return pysam.AlignmentFile(temporary_path, "wb", header=self.header)

    def _write(self, record):
        with quiet_htslib():
            self._stream.write(record)

    def _close(self):
        with quiet_htslib():
            self._stream.close()


class BamWriter(BamRecordWriter):
    """Writes corrected reads to an unaligned BAM that appears only on `commit()`.

    Args:
        path: str or Path of the output `.bam`.
        draft_header: header of `ccs.bam` (`pysam.AlignmentHeader`, text or dict).
        command_line: optional str recorded in the `@PG` line.

    Example:
    ```python
    with BamWriter("corrected.bam", ccs_header) as writer:
        writer.write(read)
        writer.commit()
    ```
    """

    def __init__(self, path, draft_header, command_line=None):
        super().__init__(path, corrected_bam_header(draft_header, command_line))

    def _write(self, read):
        super()._write(read_to_segment(read, self._stream.header))
