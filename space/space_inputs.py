"""Checking an uploaded BAM pair before any model runs, with plain messages.

The checks are cheap (headers, the small ccs.bam, the first subread) so a
visitor learns at once that a file is not a BAM, is too large, holds too many
ZMWs, or does not match the other file. Everything the correction pipeline
itself checks (tags, kinetics, ...) is reported by the pipeline's own errors.
An optional truth file (FASTA, or `truth_to_ccs.bam` as DeepConsensus uses)
is loaded by `load_truth_file`, which says plainly why a file cannot serve.
"""

import dataclasses
import gzip
import os

from dczoo.errors import DczooInputError

MAX_UPLOAD_MB = 50
MAX_ZMWS = 200
SUBREADS_ROLE = "subreads_to_ccs.bam"
CCS_ROLE = "ccs.bam"
TRUTH_ROLE = "truth file"
TRUTH_FORMATS = ("a FASTA file with one true sequence per ZMW, named movie/zmw/... like the drafts, "
                 "or truth_to_ccs.bam (the true sequences aligned to the drafts)")


@dataclasses.dataclass
class CheckedInputs:
    """A BAM pair that passed the checks.

    Attributes:
        subreads_to_ccs: str. Path of the subreads aligned to their drafts.
        ccs_bam: str. Path of the drafts.
        n_zmws: int. Drafts in ccs.bam (the ZMWs to correct).
        megabytes: float. Both files together.
        draft_names: tuple of str. The drafts' names, in file order.
    """

    subreads_to_ccs: str
    ccs_bam: str
    n_zmws: int
    megabytes: float
    draft_names: tuple = ()


@dataclasses.dataclass
class Truth:
    """True sequences of some of the uploaded drafts.

    Attributes:
        sequences: dict ZMW (`movie/zmw`, see `zmw_key`) -> true sequence,
            for the ZMWs of ccs.bam that the file has.
        either_strand: bool. True for FASTA, whose strand is not known (the
            identity then uses the strand that matches the draft better);
            False for truth_to_ccs.bam, which stores the draft's strand.
        records: int. Sequences in the file.
        name: str. The file's name, for messages.
    """

    sequences: dict
    either_strand: bool
    records: int
    name: str


def zmw_key(name):
    """The ZMW a PacBio read name belongs to: `movie/zmw/...` -> `movie/zmw`.

    Example:
    >>> zmw_key("m64001_000020_000000/4194304/ccs")
    'm64001_000020_000000/4194304'
    """
    return "/".join(name.split("/")[:2])


def display_name(path):
    """The name a visitor knows a file by (uploads keep their file name)."""
    return os.path.basename(os.fspath(path))


def friendly_message(error, paths=()):
    """An error's text with server paths replaced by the uploaded file names."""
    text = str(error)
    for path in sorted((os.fspath(p) for p in paths if p), key=len, reverse=True):
        text = text.replace(path, display_name(path))
    return text


def _file_head(path, size=4096):
    """Whether a file is gzipped, and its first `size` bytes (decompressed
    for a gzipped file; None when they cannot be decompressed)."""
    with open(path, "rb") as handle:
        head = handle.read(size)
    if head[:2] != b"\x1f\x8b":
        return False, head
    try:
        with gzip.open(path, "rb") as handle:
            return True, handle.read(size)
    except (OSError, EOFError):
        return True, None


def _content_hint(path):
    """What a non-BAM file looks like, for the message."""
    gzipped, head = _file_head(path)
    if gzipped:
        if head is None:
            return "it is gzip-compressed but cannot be decompressed"
        if head.startswith(b"BAM\x01"):
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


def _check_upload(path, role, max_mb):
    """Size in megabytes of an upload that is there, not empty and not too large."""
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
    return megabytes


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
    megabytes = _check_upload(path, role, max_mb)
    name = display_name(path)
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
        names = {}  # a dict keeps the file's order
        for record, _ in iter_records(bam, ccs_bam, CCS_ROLE):
            names[record.query_name] = None
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
    return CheckedInputs(os.fspath(subreads_to_ccs), os.fspath(ccs_bam), len(names), megabytes,
                         tuple(names))


def _truth_format(path):
    """"bam" or "fasta" by the file's content (either may be gzipped)."""
    gzipped, head = _file_head(path)
    head = head or b""
    if gzipped and head.startswith(b"BAM\x01"):
        return "bam"
    if head.lstrip().startswith(b">"):
        return "fasta"
    hint = _content_hint(path)
    if head.lstrip().startswith(b"@") and not head.startswith((b"@HD", b"@SQ", b"@RG")):
        hint = "it looks like FASTQ; give the true sequences as FASTA (records start with '>')"
    raise DczooInputError(f"{display_name(path)} cannot serve as the truth: {hint}. "
                          f"Expected {TRUTH_FORMATS}.")


def _truth_from_bam(path):
    from dczoo.analysis import load_truth
    from dczoo.data.bam_reader import close_quietly, open_bam

    name = display_name(path)
    bam = open_bam(path, TRUTH_ROLE)
    try:
        aligned = bam.nreferences > 0
        read_groups = bam.header.to_dict().get("RG", [])
    finally:
        close_quietly(bam)
    if any("READTYPE=SUBREAD" in group.get("DS", "") for group in read_groups):
        raise DczooInputError(f"{name} holds subreads (READTYPE=SUBREAD), not true sequences: "
                              f"upload it as {SUBREADS_ROLE}. Expected {TRUTH_FORMATS}.")
    if not aligned:
        raise DczooInputError(f"{name} is an unaligned BAM (no @SQ lines), like a ccs.bam; "
                              "a truth BAM must be truth_to_ccs.bam, the true sequences aligned "
                              "to the drafts (or upload the true sequences as FASTA).")
    return {zmw_key(draft): sequence for draft, sequence in load_truth(path).items()}


def _truth_from_fasta(path):
    from dczoo.simulate.reference import read_fasta

    return {zmw_key(name): bases.tobytes().decode("ascii") for name, bases in read_fasta(path).items()}


def load_truth_file(path, draft_names, max_mb=MAX_UPLOAD_MB):
    """Loads an uploaded truth file and keeps the sequences of the drafts' ZMWs.

    Records are matched to drafts by ZMW (`movie/zmw`, the first two fields
    of a PacBio read name), so `movie/zmw/truth` or `movie/zmw` in a FASTA
    both name the draft `movie/zmw/ccs`.

    Args:
        path: str. FASTA (optionally gzipped) or truth_to_ccs.bam.
        draft_names: the names of the drafts in ccs.bam
            (`CheckedInputs.draft_names`).
        max_mb: float. Size limit.

    Returns:
        `Truth`.

    Raises:
        DczooInputError: not FASTA or a truth BAM, too large, unreadable, or
            none of its records belongs to a ZMW of ccs.bam.

    Example:
    ```python
    checked = check_inputs("subreads_to_ccs.bam", "ccs.bam")
    truth = load_truth_file("truth.fasta", checked.draft_names)
    len(truth.sequences)
    ```
    """
    path = os.fspath(path)
    name = display_name(path)
    _check_upload(path, TRUTH_ROLE, max_mb)
    try:
        if _truth_format(path) == "bam":
            sequences, either_strand = _truth_from_bam(path), False
        else:
            sequences, either_strand = _truth_from_fasta(path), True
    except DczooInputError as error:
        raise DczooInputError(friendly_message(error, [path])) from None
    drafts = [zmw_key(draft) for draft in draft_names]
    matched = {key: sequences[key] for key in drafts if key in sequences}
    if not matched:
        first = next(iter(sequences), None)
        raise DczooInputError(
            f"{name}: none of its {len(sequences)} sequences belongs to a ZMW of {CCS_ROLE} "
            f"(records are matched by movie/zmw, e.g. {drafts[0] if drafts else 'movie/zmw'}/truth"
            + (f"; its first record is {first!r})" if first is not None else ")")
        )
    return Truth(matched, either_strand, len(sequences), name)
