"""Reading BAM records: opening files safely, parsing subreads and drafts.

`subreads_to_ccs.bam` (actc output) holds each ZMW's subreads aligned to the
ZMW's own draft (CCS) read, which is the BAM reference. `ccs.bam` holds the
drafts, unaligned, in the same ZMW order. `dczoo.data.zmw_groups` groups
them by ZMW.

Every problem raises `DczooInputError` naming the file, the read and the
problem: a file that is missing, empty, not BAM or truncated; subreads that
are not aligned; missing or malformed kinetics tags (pw, ip, sn) or CIGARs.
"""

import contextlib
import dataclasses
import os

import numpy as np
import pysam

from dczoo.constants import STRAND_FORWARD, STRAND_REVERSE
from dczoo.errors import DczooInputError


@dataclasses.dataclass
class Subread:
    """One aligned subread, as read from `subreads_to_ccs.bam`.

    Attributes:
        name: str. Read name `movie/zmw/qstart_qend`.
        sequence: str. SEQ (forward orientation of the draft).
        ops: int64 array of CIGAR operation codes.
        lens: int64 array of CIGAR operation lengths.
        reference_start: int. 0-based position on the draft.
        strand: int. 1 forward, 2 reverse (`dczoo.constants`).
        pw: uint8 array of pulse-width codes, aligned with `sequence`
            (reversed from the stored order on reverse reads).
        ip: uint8 array of inter-pulse codes, aligned like `pw`.
        sn: float32 array of the 4 signal-to-noise values.
        cx: int or None. The `cx` adapter flags (1 adapter before, 2 adapter
            after: both for a complete pass), None when the tag is absent.
    """

    name: str
    sequence: str
    ops: np.ndarray
    lens: np.ndarray
    reference_start: int
    strand: int
    pw: np.ndarray
    ip: np.ndarray
    sn: np.ndarray
    cx: int = None


@dataclasses.dataclass
class Draft:
    """A draft (CCS) read from `ccs.bam` and the tags an output needs.

    Attributes:
        name: str. `movie/zmw/ccs`.
        sequence: str. Draft bases.
        qualities: uint8 array of Phred base qualities.
        ec: float or None. Effective coverage (missing on some drafts).
        np: int or None. Number of full passes.
        rq: float or None. Predicted accuracy (-1 for unpolished drafts).
        rg: str or None. Read group.
        zm: int or None. ZMW hole number, from the read name.
    """

    name: str
    sequence: str
    qualities: np.ndarray
    ec: float = None
    np: int = None
    rq: float = None
    rg: str = None
    zm: int = None


@contextlib.contextmanager
def quiet_htslib():
    """Silences htslib's own stderr messages while pysam raises exceptions."""
    previous = pysam.set_verbosity(0)
    try:
        yield
    finally:
        pysam.set_verbosity(previous)


def close_quietly(bam):
    """Closes a pysam file, ignoring the errors a broken file reports on close."""
    try:
        with quiet_htslib():
            bam.close()
    except (OSError, ValueError):
        pass


def open_bam(path, role, *, require_index=False):
    """Opens a BAM file, turning every failure into a clear input error.

    Args:
        path: str or Path.
        role: str. What the file is, for messages (e.g. "ccs.bam").
        require_index: bool. Whether a `.bai`/`.csi` index must exist.

    Returns:
        pysam.AlignmentFile opened for reading.

    Raises:
        DczooInputError: missing, empty, not BAM, truncated or unindexed.

    Example:
        >>> bam = open_bam("ccs.bam", "ccs.bam")  # doctest: +SKIP
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise DczooInputError(f"{path}: {role} does not exist")
    if os.path.isdir(path):
        raise DczooInputError(f"{path}: {role} is a directory, not a BAM file")
    if os.path.getsize(path) == 0:
        raise DczooInputError(f"{path}: {role} is empty (0 bytes), not a BAM file")
    try:
        with quiet_htslib():
            bam = pysam.AlignmentFile(path, "rb", check_sq=False)
    except OSError as error:
        if "EOF marker" in str(error) or "truncated" in str(error):
            raise DczooInputError(
                f"{path}: {role} is truncated (no BGZF end-of-file marker)"
            ) from None
        raise DczooInputError(f"{path}: {role} cannot be read: {error}") from None
    except ValueError as error:
        raise DczooInputError(
            f"{path}: {role} is not a BAM file ({error})"
        ) from None
    if not bam.is_bam:
        close_quietly(bam)
        raise DczooInputError(f"{path}: {role} is not a BAM file")
    if require_index and not bam.has_index():
        close_quietly(bam)
        raise DczooInputError(
            f"{path}: {role} has no index (.bai); run `samtools index {path}`"
        )
    return bam


def iter_records(bam, path, role):
    """Iterates over the records of a BAM, reporting truncation clearly.

    Args:
        bam: pysam.AlignmentFile.
        path: str. For messages.
        role: str. For messages.

    Yields:
        `(record, offset)`: pysam.AlignedSegment and the BGZF virtual offset
        where it starts (for `AlignmentFile.seek`).

    Raises:
        DczooInputError: if the file ends in the middle of a record.
    """
    last = None
    iterator = bam.fetch(until_eof=True)
    offset = bam.tell()
    while True:
        try:
            with quiet_htslib():
                record = next(iterator)
        except StopIteration:
            return
        except OSError as error:
            after = f"after read {last}" if last else "before the first read"
            raise DczooInputError(f"{path}: {role} {_read_problem(error)} {after} ({error})") from None
        last = record.query_name
        start, offset = offset, bam.tell()
        yield record, start


def _read_problem(error):
    """What htslib's `error -N while reading file` means (its `bam_read1` codes)."""
    if "error -4" in str(error):
        return ("has a malformed record (htslib found its CIGAR and SEQ lengths differ, or an "
                "invalid CIGAR or read name)")
    return "is truncated or corrupt"


def zmw_of_name(name):
    """The ZMW number of a PacBio read name `movie/zmw/...`, or None."""
    parts = name.split("/")
    if len(parts) >= 2 and parts[1].isdigit():
        return int(parts[1])
    return None


_CIGAR_CODES = np.full(256, -1, dtype=np.int64)
for _code, _char in enumerate("MIDNSHP=XB"):
    _CIGAR_CODES[ord(_char)] = _code
_POWERS_OF_TEN = 10 ** np.arange(19, dtype=np.int64)
_QUERY_OPS = np.array([1, 1, 0, 0, 1, 0, 0, 1, 1, 0], dtype=bool)


def parse_cigar_string(cigar):
    """Parses a CIGAR string into operation codes and lengths, vectorised.

    Faster than converting `AlignedSegment.cigartuples` to numpy for reads
    with thousands of operations.

    Args:
        cigar: str, e.g. "5=1I3X".

    Returns:
        `(ops, lens)` int64 arrays (pysam operation codes).

    Example:
        >>> [a.tolist() for a in parse_cigar_string("12=1I3D")]
        [[7, 1, 2], [12, 1, 3]]
    """
    chars = np.frombuffer(cigar.encode("ascii"), dtype=np.uint8)
    is_op = chars > 57
    ends = np.flatnonzero(is_op)
    starts = np.empty_like(ends)
    starts[:1] = 0
    starts[1:] = ends[:-1] + 1
    segment_end = np.repeat(ends, np.diff(ends, prepend=-1))
    power = segment_end - np.arange(chars.size) - 1
    power[is_op] = 0
    digits = chars.astype(np.int64) - 48
    digits[is_op] = 0
    return _CIGAR_CODES[chars[ends]], np.add.reduceat(digits * _POWERS_OF_TEN[power], starts)


def _optional_tag(record, tag):
    return record.get_tag(tag) if record.has_tag(tag) else None


def parse_draft(record, path):
    """Reads one draft record of `ccs.bam`.

    Args:
        record: pysam.AlignedSegment.
        path: str. For messages.

    Returns:
        `Draft`.

    Raises:
        DczooInputError: if the record has no sequence or base qualities.
    """
    name = record.query_name
    sequence = record.query_sequence
    if not sequence:
        raise DczooInputError(f"{path}: draft read {name}: has no sequence")
    qualities = record.query_qualities
    if qualities is None:
        raise DczooInputError(f"{path}: draft read {name}: has no base qualities")
    ec = _optional_tag(record, "ec")
    np_tag = _optional_tag(record, "np")
    rq = _optional_tag(record, "rq")
    return Draft(
        name=name,
        sequence=sequence,
        qualities=np.frombuffer(qualities, dtype=np.uint8).copy(),
        ec=None if ec is None else float(ec),
        np=None if np_tag is None else int(np_tag),
        rq=None if rq is None else float(rq),
        rg=_optional_tag(record, "RG"),
        zm=zmw_of_name(name),
    )


def _kinetics(record, tag, length, path):
    name = record.query_name
    if not record.has_tag(tag):
        raise DczooInputError(
            f"{path}: subread {name}: missing the '{tag}' tag; subreads need "
            "pw, ip and sn tags (keep kinetics when running ccs and actc)"
        )
    value = record.get_tag(tag)
    if getattr(value, "typecode", None) != "B":
        raise DczooInputError(
            f"{path}: subread {name}: the '{tag}' tag must be an array of 8-bit "
            "codes (B,C, CodecV1)"
        )
    codes = np.frombuffer(value, dtype=np.uint8)
    if codes.size != length:
        raise DczooInputError(
            f"{path}: subread {name}: the '{tag}' tag has {codes.size} values "
            f"for {length} bases"
        )
    return codes


def parse_subread(record, path):
    """Reads and validates one aligned subread record.

    Args:
        record: pysam.AlignedSegment (mapped).
        path: str. For messages.

    Returns:
        `Subread` with pw/ip in SEQ orientation.

    Raises:
        DczooInputError: no sequence, no CIGAR, or bad pw/ip/sn tags.
    """
    name = record.query_name
    sequence = record.query_sequence
    if not sequence:
        raise DczooInputError(f"{path}: subread {name}: has no sequence")
    cigar = record.cigarstring
    if not cigar:
        raise DczooInputError(f"{path}: subread {name}: has no CIGAR")
    ops, lens = parse_cigar_string(cigar)
    length = len(sequence)
    if (ops < 0).any() or ops.max() > 8:
        raise DczooInputError(f"{path}: subread {name}: unsupported CIGAR {cigar[:40]}")
    if int(lens[_QUERY_OPS[ops]].sum()) != length:
        raise DczooInputError(
            f"{path}: subread {name}: CIGAR and sequence lengths differ"
        )
    pw = _kinetics(record, "pw", length, path)
    ip = _kinetics(record, "ip", length, path)
    if not record.has_tag("sn"):
        raise DczooInputError(
            f"{path}: subread {name}: missing the 'sn' tag (signal-to-noise)"
        )
    sn = np.asarray(record.get_tag("sn"), dtype=np.float32)
    if sn.shape != (4,):
        raise DczooInputError(
            f"{path}: subread {name}: the 'sn' tag has {sn.size} values, not 4"
        )
    strand = STRAND_REVERSE if record.is_reverse else STRAND_FORWARD
    if record.is_reverse:
        pw, ip = pw[::-1], ip[::-1]
    return Subread(
        name=name,
        sequence=sequence,
        ops=ops,
        lens=lens,
        reference_start=record.reference_start,
        strand=strand,
        pw=np.ascontiguousarray(pw),
        ip=np.ascontiguousarray(ip),
        sn=sn,
        cx=_optional_tag(record, "cx"),
    )


def check_subreads_header(bam, path):
    """Checks that a subreads BAM is aligned to drafts (has @SQ lines).

    Returns:
        int. Number of @SQ lines, i.e. of drafts with subreads.
    """
    n_references = bam.nreferences
    if n_references == 0:
        raise DczooInputError(
            f"{path}: subreads are not aligned (no @SQ lines in the header); "
            "align the subreads to their draft with actc first"
        )
    return n_references
