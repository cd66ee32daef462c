"""Read filters and the outcome of every ZMW.

Each ZMW ends in exactly one outcome, checked in this order (the reference's
`OutcomeCounter`): `empty_sequence` (windows missing, nothing stitched),
`only_gaps` (every call was a gap), `failed_quality_filter` (average read
quality, rounded to 5 decimals, below `min_quality`),
`failed_length_filter` (shorter than `min_length`), `success`.
"""

import collections

from dczoo.inference.quality import average_phred

EMPTY_SEQUENCE = "empty_sequence"
ONLY_GAPS = "only_gaps"
FAILED_QUALITY_FILTER = "failed_quality_filter"
FAILED_LENGTH_FILTER = "failed_length_filter"
SUCCESS = "success"
OUTCOMES = (EMPTY_SEQUENCE, ONLY_GAPS, FAILED_QUALITY_FILTER, FAILED_LENGTH_FILTER, SUCCESS)

DEFAULT_MIN_QUALITY = 20


def read_quality(qualities, decimals=5):
    """Average phred quality of a read (probability space).

    Args:
        qualities: integer qualities of the read's bases.
        decimals: int or None. Rounding applied before comparing, as the
            reference does (5); None keeps the exact value.

    Returns:
        float (0 for an empty read).
    """
    value = average_phred(qualities)
    return value if decimals is None else round(value, decimals)


def passes_quality(qualities, min_quality, decimals=5):
    """Whether a read's average quality is at least `min_quality`.

    Example:
    >>> passes_quality([39, 39, 41, 41], 40)
    False
    """
    return read_quality(qualities, decimals) >= min_quality


class ReadFilter:
    """Decides the outcome of each stitched read.

    Args:
        min_quality: float. Minimum average read quality (20).
        min_length: int. Minimum read length (0).

    Example:
    >>> read_filter = ReadFilter(min_quality=20, min_length=0)
    >>> read_filter.outcome("ACGT", [30, 30, 30, 30])
    'success'
    >>> read_filter.counts["success"]
    1
    """

    def __init__(self, min_quality=DEFAULT_MIN_QUALITY, min_length=0):
        self.min_quality = min_quality
        self.min_length = min_length
        self.counts = collections.Counter({outcome: 0 for outcome in OUTCOMES})

    def outcome(self, sequence, qualities):
        """Classifies one read and counts it.

        Args:
            sequence: str or None (None: the stitch failed).
            qualities: integer qualities, or None.

        Returns:
            str, one of `OUTCOMES`.
        """
        if sequence is None:
            result = EMPTY_SEQUENCE
        elif len(sequence) == 0:
            result = ONLY_GAPS
        elif not passes_quality(qualities, self.min_quality):
            result = FAILED_QUALITY_FILTER
        elif len(sequence) < self.min_length:
            result = FAILED_LENGTH_FILTER
        else:
            result = SUCCESS
        self.counts[result] += 1
        return result

    def merge(self, counts):
        """Adds outcome counts from elsewhere (e.g. another process)."""
        self.counts.update(counts)
