"""BAM editing helpers for dczoo.data tests (bad inputs made from real files)."""

import pysam


def copy_bam(source, destination, edit=None, header=None):
    """Writes a copy of a BAM, optionally editing or dropping records.

    Args:
        source: path of the BAM to copy.
        destination: path to write.
        edit: optional callable `(record, index) -> record or None`
            (None drops the record, a list inserts several).
        header: optional header dict replacing the source header.

    Returns:
        destination.
    """
    with pysam.AlignmentFile(str(source), "rb", check_sq=False) as bam:
        new_header = pysam.AlignmentHeader.from_dict(header or bam.header.to_dict())
        with pysam.AlignmentFile(str(destination), "wb", header=new_header) as out:
            for index, record in enumerate(bam):
                record = record if edit is None else edit(record, index)
                if record is None:
                    continue
                for item in record if isinstance(record, list) else [record]:
                    out.write(item)
    return destination


def read_records(path):
    """All records of a BAM (detached copies)."""
    with pysam.AlignmentFile(str(path), "rb", check_sq=False) as bam:
        return [record for record in bam]
