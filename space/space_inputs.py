"""Checking an uploaded BAM pair before any model runs, with plain messages.

The checks are cheap (headers, the small ccs.bam, the first subread) so a
visitor learns at once that a file is not a BAM, is too large, holds too many
ZMWs, or does not match the other file. Everything the correction pipeline
itself checks (tags, kinetics, ...) is reported by the pipeline's own errors.
"""

import dataclasses
import gzip
import os

from dczoo.errors import DczooInputError

MAX_UPLOAD_MB = 50
MAX_ZMWS = 200
SUBREADS_ROLE = "subreads_to_ccs.bam"
CCS_ROLE = "ccs.bam"


@dataclasses.dataclass
class CheckedInputs:
    """A BAM pair that passed the checks.

    Attributes:
        subreads_to_ccs: str. Path of the subreads aligned to their drafts.
        ccs_bam: str. Path of the drafts.
        n_zmws: int. Drafts in ccs.bam (the ZMWs to correct).
        megabytes: float. Both files together.
    """

    subreads_to_ccs: str
    ccs_bam: str
    n_zmws: int
    megabytes: float


def display_name(path):
    """The name a visitor knows a file by (uploads keep their file name)."""
    return os.path.basename(os.fspath(path))


def friendly_message(error, paths=()):
    """An error's text with server paths replaced by the uploaded file names."""
    text = str(error)
    for path in sorted((os.fspath(p) for p in paths if p), key=len, reverse=True):
        text = text.replace(path, display_name(path))
    return text


def _content_hint(path):
    """What a non-BAM file looks like, for the message."""
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if head[:2] == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as handle:
                inner = handle.read(4)
        except (OSError, EOFError):
            return "it is gzip-compressed but cannot be decompressed"
        if inner == b"BAM\x01":
            return None
        return "it is gzip-compressed but holds no BAM data (a .gz text file?)"
    if head.startswith((b"@HD", b"@SQ", b"@RG")):
        return "it looks like SAM text; convert it with `samtools view -b`"
    if head.startswith(b"@") or head.startswith(b">"):
        return "it looks like FASTQ/FASTA text"
    try:
        first_line = head.decode("utf-8").splitlines()[0] if head else ""
        return f"it looks like a text file (it starts with {first_line[:40]!r})"
    except UnicodeDecodeError:
        return "its content is not BAM"


def check_bam_file(path, role, max_mb=MAX_UPLOAD_MB):
    """Checks that an upload is a readable BAM file of an allowed size.

    Args:
        path: str. The uploaded file.
        role: str. "subreads_to_ccs.bam" or "ccs.bam" (for messages).
        max_mb: float. Largest allowed size in megabytes.

    Returns:
        float. The file size in megabytes.

    Raises:
        DczooInputError: missing, too large or not a BAM file.
    """
    if not path:
        raise DczooInputError(f"no {role} given: upload it, or click the bundled example")
    path = os.fspath(path)
    name = display_name(path)
    if not os.path.isfile(path):
        raise DczooInputError(f"{name}: the uploaded {role} is gone; upload it again")
    megabytes = os.path.getsize(path) / 1e6
    if megabytes > max_mb:
        raise DczooInputError(
            f"{name} is too large for this demo ({megabytes:.1f} MB; the limit is "
            f"{max_mb:g} MB per file). Take a few ZMWs with `samtools view` or run "
            "`dczoo correct` on your own machine."
        )
    if megabytes == 0:
        raise DczooInputError(f"{name}: the uploaded {role} is empty (0 bytes)")
    hint = _content_hint(path)
    if hint is not None:
        raise DczooInputError(f"{name} is not a BAM file: {hint}. Expected {role}.")
    return megabytes


def _draft_names(ccs_bam, max_zmws):
    from dczoo.data.bam_reader import close_quietly, iter_records, open_bam

    bam = open_bam(ccs_bam, CCS_ROLE)
    try:
        if bam.nreferences:
            raise DczooInputError(
                f"{display_name(ccs_bam)} has @SQ lines: it looks aligned, but {CCS_ROLE} "
                f"must hold the unaligned drafts (did you swap the two files?)"
            )
        names = set()
        for record, _ in iter_records(bam, ccs_bam, CCS_ROLE):
            names.add(record.query_name)
            if len(names) > max_zmws:
                raise DczooInputError(
                    f"{display_name(ccs_bam)} holds more than {max_zmws} ZMWs, the limit "
                    "of this demo. Keep the first ones with `samtools view` or run "
                    "`dczoo correct` on your own machine."
                )
    finally:
        close_quietly(bam)
    if not names:
        raise DczooInputError(f"{display_name(ccs_bam)} holds no reads")
    return names


def _first_subread_draft(subreads_to_ccs):
    from dczoo.data.bam_reader import check_subreads_header, close_quietly, iter_records, open_bam

    bam = open_bam(subreads_to_ccs, SUBREADS_ROLE)
    try:
        check_subreads_header(bam, subreads_to_ccs)
        for record, _ in iter_records(bam, subreads_to_ccs, SUBREADS_ROLE):
            if not record.is_unmapped:
                return record.query_name, record.reference_name
    finally:
        close_quietly(bam)
    raise DczooInputError(f"{display_name(subreads_to_ccs)} holds no aligned subreads")


def check_inputs(subreads_to_ccs, ccs_bam, max_mb=MAX_UPLOAD_MB, max_zmws=MAX_ZMWS):
    """Checks an uploaded pair: BAM files, sizes, ZMW count, matching names.

    Args:
        subreads_to_ccs: str. Subreads aligned to their drafts (actc).
        ccs_bam: str. The drafts.
        max_mb: float. Size limit per file.
        max_zmws: int. Limit on the drafts in ccs.bam.

    Returns:
        `CheckedInputs`.

    Raises:
        DczooInputError: with a message that names the uploaded file.

    Example:
    ```python
    checked = check_inputs("subreads_to_ccs.bam", "ccs.bam")
    checked.n_zmws
    ```
    """
    megabytes = check_bam_file(subreads_to_ccs, SUBREADS_ROLE, max_mb)
    megabytes += check_bam_file(ccs_bam, CCS_ROLE, max_mb)
    paths = (subreads_to_ccs, ccs_bam)
    try:
        names = _draft_names(ccs_bam, max_zmws)
        subread, draft = _first_subread_draft(subreads_to_ccs)
    except DczooInputError as error:
        raise DczooInputError(friendly_message(error, paths)) from None
    if draft not in names:
        raise DczooInputError(
            f"{display_name(ccs_bam)} does not match {display_name(subreads_to_ccs)}: the "
            f"first subread ({subread}) is aligned to the draft {draft}, which is not in "
            f"{display_name(ccs_bam)}"
        )
    return CheckedInputs(os.fspath(subreads_to_ccs), os.fspath(ccs_bam), len(names), megabytes)
