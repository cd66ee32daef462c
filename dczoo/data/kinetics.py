"""Per-strand polymerase kinetics of a ZMW, as `ccs --hifi-kinetics` stores them.

PacBio's BAM format specification (pacbiofileformats.readthedocs.io, release
13.0, section "Use of read tags for HiFi per-read-base kinetic information")
defines the per-base kinetics tags of a HiFi read:

* `fi`, `fp` (`B,C`): forward-strand IPD and pulse width, codec V1, in the
  orientation of `SEQ` (base `i` of the read is element `i`).
* `ri`, `rp` (`B,C`): reverse-strand IPD and pulse width, codec V1, stored
  "in the opposite direction, from the last base to the first": element `k`
  belongs to base `len(SEQ) - 1 - k`.
* `fn`, `rn` (`i`): the number of complete passes of each strand.
* A strand with no pass has empty arrays and a pass count of zero; zeroes in
  the arrays mark bases without a value ("flanking zeroes ... should be
  ignored").

The same section says each value "contains averaged kinetic information
(IPD/PulseWidth) from subreads", and ccs's own FAQ (ccs.how, "Kinetics")
says `--hifi-kinetics` "generates averaged kinetic information ...,
independently for both strands". ccs's source is not public, so dczoo takes
the arithmetic mean of the passes' durations in frames (decoded from codec
V1) and encodes it with codec V1 again, rounding to the nearest representable
duration as the spec's section "Encoding of kinetics pulse features" says
(halfway values go up, as pbcore's reference encoder does).

dczoo computes these in draft coordinates while preprocessing
(`draft_kinetics`: every subread base aligned to a draft base, by match or
mismatch, adds its ip/pw to its strand at that draft position; inserted and
soft-clipped bases add nothing), then carries them to the corrected read
(`DraftKinetics.for_read`): a corrected base that sits on a draft base takes
that position's values, a corrected base inserted between draft bases gets
0 (no value), and a draft base the correction deleted is dropped.
Subreads aligned forward to the draft are the forward strand, reverse-aligned
ones the reverse strand. `fn`/`rn` count the complete passes, the subreads
whose `cx` tag has both adapter flags (1 adapter before, 2 adapter after, the
kind of pass the draft's `np` counts); a subread without a `cx` tag counts as
complete. Partial passes still add their kinetics to the averages.
"""

import array
import dataclasses

import numpy as np

from dczoo.constants import STRAND_FORWARD, STRAND_REVERSE

# Frames represented by each of the 256 codec V1 codes: 0..63 one frame
# apart, then 64 codes each 2, 4 and 8 frames apart (PacBio BAM spec,
# "Encoding of kinetics pulse features"); the largest is 952 frames.
CODEC_V1_FRAMES = np.concatenate(
    [step * np.arange(64) + start for start, step in ((0, 1), (64, 2), (192, 4), (448, 8))]
).astype(np.int64)

# cx flags of a subread that has an adapter on both sides (a complete pass).
CX_ADAPTER_BEFORE = 1
CX_ADAPTER_AFTER = 2
CX_COMPLETE = CX_ADAPTER_BEFORE | CX_ADAPTER_AFTER

_STRANDS = (STRAND_FORWARD, STRAND_REVERSE)


def decode_codec_v1(codes):
    """Frames of codec V1 codes.

    Args:
        codes: array-like of ints in 0..255.

    Returns:
        int64 array of frame counts.

    Example:
        >>> decode_codec_v1([5, 64, 129, 255]).tolist()
        [5, 64, 196, 952]
    """
    return CODEC_V1_FRAMES[np.asarray(codes, dtype=np.int64)]


def encode_codec_v1(frames):
    """Codec V1 codes of durations in frames (fractional ones too).

    Each duration is rounded to the nearest representable one (halfway goes
    up) and capped at 952 frames, as the PacBio BAM spec says.

    Args:
        frames: array-like of non-negative numbers.

    Returns:
        uint8 array of codes.

    Example:
        >>> encode_codec_v1([5, 63.5, 65, 194, 197.9, 5000]).tolist()
        [5, 64, 65, 129, 129, 255]
    """
    frames = np.clip(np.asarray(frames, dtype=np.float64), 0, CODEC_V1_FRAMES[-1])
    upper = np.searchsorted(CODEC_V1_FRAMES, frames, side="left")
    lower = np.maximum(upper - 1, 0)
    take_lower = (frames - CODEC_V1_FRAMES[lower]) < (CODEC_V1_FRAMES[upper] - frames)
    return np.where(take_lower, lower, upper).astype(np.uint8)


def is_complete_pass(cx):
    """Whether a subread with this `cx` tag (or None) is a complete pass."""
    return cx is None or (int(cx) & CX_COMPLETE) == CX_COMPLETE


@dataclasses.dataclass
class ReadKinetics:
    """The kinetics tags of one read, in the layout of the PacBio BAM spec.

    Attributes:
        fi: uint8 array, forward IPD (codec V1), one per base in `SEQ` order;
            empty when the forward strand has no pass.
        fp: uint8 array, forward pulse width, like `fi`.
        ri: uint8 array, reverse IPD, one per base from the last base to the
            first; empty when the reverse strand has no pass.
        rp: uint8 array, reverse pulse width, like `ri`.
        fn: int. Complete forward passes.
        rn: int. Complete reverse passes.

    Example:
        >>> k = ReadKinetics(*(np.array(v, np.uint8) for v in ([1, 2], [3, 4], [], [])), 2, 0)
        >>> [(tag, list(value)) if typ is None else (tag, value) for tag, value, typ in k.bam_tags()]
        [('fi', [1, 2]), ('fp', [3, 4]), ('ri', []), ('rp', []), ('fn', 2), ('rn', 0)]
    """

    fi: np.ndarray
    fp: np.ndarray
    ri: np.ndarray
    rp: np.ndarray
    fn: int
    rn: int

    def bam_tags(self):
        """`(tag, value, value_type)` triples for `pysam.AlignedSegment.set_tag`
        (arrays are `array.array("B")`, whose type pysam reads from the array)."""
        arrays = [(tag, array.array("B", np.asarray(getattr(self, tag), np.uint8).tobytes()), None)
                  for tag in ("fi", "fp", "ri", "rp")]
        return arrays + [("fn", int(self.fn), "i"), ("rn", int(self.rn), "i")]


@dataclasses.dataclass
class DraftKinetics:
    """Mean kinetics of each strand at each draft position of one ZMW.

    Attributes:
        ip: uint8 `(2, draft_length)`: codec V1 mean IPD of the forward (row
            0) and reverse (row 1) passes at each draft position; 0 where no
            pass of the strand has a base aligned there.
        pw: uint8 `(2, draft_length)`: mean pulse width, like `ip`.
        passes: int64 `(2,)`: complete passes of each strand (`fn`, `rn`).
        has_pass: bool `(2,)`: whether the strand has any aligned subread;
            a strand without one gets empty arrays in `for_read`.
    """

    ip: np.ndarray
    pw: np.ndarray
    passes: np.ndarray
    has_pass: np.ndarray

    def for_read(self, positions):
        """The tags of a read whose bases sit at these draft positions.

        Args:
            positions: int array, one per read base: its draft position, or
                -1 for a base that has none (inserted by the correction).

        Returns:
            `ReadKinetics`.
        """
        positions = np.asarray(positions, dtype=np.int64)
        on_draft = positions >= 0
        index = np.where(on_draft, positions, 0)
        values = []
        for strand in range(2):
            for table in (self.ip, self.pw):
                if not self.has_pass[strand]:
                    values.append(np.zeros(0, np.uint8))
                    continue
                value = np.where(on_draft, table[strand][index], 0).astype(np.uint8)
                values.append(value if strand == 0 else value[::-1].copy())
        return ReadKinetics(*values, fn=int(self.passes[0]), rn=int(self.passes[1]))


def draft_kinetics(placed, complete, draft_length):
    """Averages a ZMW's subread kinetics per strand and draft position.

    Args:
        placed: `dczoo.data.zmw_processing.PlacedSubreads` of all subreads.
        complete: bool sequence, one per subread: whether it is a complete
            pass (`is_complete_pass` of its `cx` tag).
        draft_length: int.

    Returns:
        `DraftKinetics`.
    """
    expanded = placed.expanded
    position = expanded.base_ref_pos
    strand = placed.strands.astype(np.int64)[expanded.base_read] - STRAND_FORWARD
    keep = (position >= 0) & (position < draft_length)
    keys = strand[keep] * draft_length + position[keep]
    size = 2 * draft_length
    count = np.bincount(keys, minlength=size)
    covered = count > 0
    means = []
    for codes in (placed.ip, placed.pw):
        total = np.bincount(keys, weights=CODEC_V1_FRAMES[codes[keep]], minlength=size)
        mean = encode_codec_v1(total / np.maximum(count, 1))
        means.append(np.where(covered, mean, 0).astype(np.uint8).reshape(2, draft_length))
    strands = np.asarray(placed.strands)
    complete = np.asarray(complete, dtype=bool)
    return DraftKinetics(
        ip=means[0],
        pw=means[1],
        passes=np.array([int((complete & (strands == s)).sum()) for s in _STRANDS], np.int64),
        has_pass=np.array([bool((strands == s).any()) for s in _STRANDS]),
    )
