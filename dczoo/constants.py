"""Constants shared by data, models and inference.

The vocabulary and the window layout follow DeepConsensus 1.2 exactly, so that
tensors made by dczoo and by the reference implementation are interchangeable.
`WindowLayout` is the one place that knows which window rows hold what.
"""

import dataclasses

# Token ids: 0 is the gap (and padding), then A, T, C, G (this order, not ACGT).
VOCAB = " ATCG"
GAP_ID = 0
VOCAB_SIZE = len(VOCAB)

# Strand codes in the strand rows.
STRAND_UNKNOWN = 0
STRAND_FORWARD = 1
STRAND_REVERSE = 2

# Clip ranges of the numeric rows.
PW_MAX = 255
IP_MAX = 255
SN_MAX = 500
STRAND_MAX = 2
CCS_BQ_MAX = 95
MAX_BASE_QUALITY = 93

# Window geometry.
MAX_PASSES = 20
WINDOW_LENGTH = 100
NUM_SN = 4

# Preprocessing: subread insertions longer than this are removed (0: off).
INS_TRIM = 5


@dataclasses.dataclass(frozen=True)
class WindowLayout:
    """Which rows of a window tensor hold which feature.

    The DeepConsensus 1.2 layout (`P = max_passes`):

        rows [0, P)        subread bases (token ids)
        rows [P, 2P)       pulse widths
        rows [2P, 3P)      inter-pulse durations
        rows [3P, 4P)      strands
        row  4P            draft bases
        row  4P + 1        draft base qualities (only with `use_ccs_bq`)
        last 4 rows        signal-to-noise

    The first `4P + 1` rows are 8-bit integers (`num_int_rows`); dczoo keeps
    them as uint8 and adds the other rows when building float32 tensors.

    Args:
        max_passes: int. Subreads kept per window.
        use_ccs_bq: bool. Whether the draft base-quality row is present.

    Attributes:
        bases, pw, ip, strand, sn: `slice` of rows.
        ccs: int. The draft row.
        ccs_bq: int or None. The draft-quality row.
        num_int_rows: int. `4P + 1`.
        num_rows: int. All rows (85, or 86 with `use_ccs_bq`).

    Example:
    >>> layout = WindowLayout(20)
    >>> layout.ccs, layout.num_rows, layout.sn
    (80, 85, slice(81, 85, None))
    """

    max_passes: int = MAX_PASSES
    use_ccs_bq: bool = False

    @property
    def bases(self):
        return slice(0, self.max_passes)

    @property
    def pw(self):
        return slice(self.max_passes, 2 * self.max_passes)

    @property
    def ip(self):
        return slice(2 * self.max_passes, 3 * self.max_passes)

    @property
    def strand(self):
        return slice(3 * self.max_passes, 4 * self.max_passes)

    @property
    def ccs(self):
        return 4 * self.max_passes

    @property
    def num_int_rows(self):
        return self.ccs + 1

    @property
    def ccs_bq(self):
        return self.num_int_rows if self.use_ccs_bq else None

    @property
    def sn(self):
        start = self.num_int_rows + (1 if self.use_ccs_bq else 0)
        return slice(start, start + NUM_SN)

    @property
    def num_rows(self):
        return self.sn.stop

    def first_rows(self, feature, count):
        """Rows of a subread feature for the first `count` subreads.

        Args:
            feature: str. "bases", "pw", "ip" or "strand".
            count: int. At most `max_passes`.

        Returns:
            slice.
        """
        start = getattr(self, feature).start
        return slice(start, start + count)

    def slices(self):
        """`{group: (start, stop)}` for "bases", "pw", "ip", "strand", "ccs",
        "ccs_bq" (when present) and "sn"."""
        groups = {name: getattr(self, name) for name in ("bases", "pw", "ip", "strand")}
        groups["ccs"] = slice(self.ccs, self.ccs + 1)
        if self.use_ccs_bq:
            groups["ccs_bq"] = slice(self.ccs_bq, self.ccs_bq + 1)
        groups["sn"] = self.sn
        return {name: (rows.start, rows.stop) for name, rows in groups.items()}

    @classmethod
    def from_num_rows(cls, num_rows):
        """The layout of tensors with `num_rows` rows (85 -> P 20; 86 -> P 20
        with draft qualities)."""
        use_ccs_bq = (num_rows - NUM_SN - 1) % 4 != 0
        return cls((num_rows - NUM_SN - 1 - int(use_ccs_bq)) // 4, use_ccs_bq)


def num_rows(max_passes=MAX_PASSES, use_ccs_bq=False):
    """Number of rows of a window tensor (`WindowLayout.num_rows`).

    Args:
        max_passes: int. Subreads kept per window.
        use_ccs_bq: bool. Whether the draft base-quality row is present.

    Returns:
        int: `4 * max_passes + 5`, plus one with base qualities (85 or 86).
    """
    return WindowLayout(max_passes, use_ccs_bq).num_rows


def row_slices(max_passes=MAX_PASSES, use_ccs_bq=False):
    """Row ranges of each group of a window tensor (`WindowLayout.slices`).

    Args:
        max_passes: int. Subreads kept per window.
        use_ccs_bq: bool. Whether the draft base-quality row is present.

    Returns:
        dict mapping group name ("bases", "pw", "ip", "strand", "ccs",
        "ccs_bq" when present, "sn") to a `(start, stop)` tuple.
    """
    return WindowLayout(max_passes, use_ccs_bq).slices()
