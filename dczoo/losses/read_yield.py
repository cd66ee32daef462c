"""Read-level yield at empirical quality thresholds (DeepConsensus's yield metric).

The DeepConsensus documentation reports "yield at empirical Qx over CCS": keep
reads whose *predicted* mean quality is at least 20, align each to the truth,
compute identity = matches / (matches + mismatches + insertions + deletions),
and sum the lengths (bases) of the reads whose identity reaches the threshold
for Qx, i.e. identity >= 1 - 10**(-x / 10) (0.99, 0.999, 0.9999 for Q20, Q30,
Q40). Dividing by the same number for CCS reads gives "yield over CCS".
"""

import numpy as np

from dczoo.errors import DczooInputError

DEFAULT_QUALITIES = (20, 30, 40)
# Tolerance so that an identity of exactly 0.999 counts as Q30.
_IDENTITY_TOLERANCE = 1e-12


def read_identity(matches, mismatches, insertions, deletions):
    """Identity of aligned reads: matches / (matches + mismatches + ins + del).

    Args:
        matches, mismatches, insertions, deletions: int arrays (reads,).

    Returns:
        float64 array (reads,); 0 for reads with an empty alignment.
    """
    matches = np.asarray(matches, np.float64)
    total = matches + np.asarray(mismatches) + np.asarray(insertions) + np.asarray(deletions)
    return np.divide(matches, total, out=np.zeros_like(matches), where=total > 0)


def empirical_quality(identity):
    """Phred quality of an identity: -10 * log10(1 - identity) (inf at 1).

    Args:
        identity: float or array in [0, 1].

    Returns:
        float64 array of the same shape.
    """
    error = 1.0 - np.asarray(identity, np.float64)
    with np.errstate(divide="ignore"):
        return np.where(error > 0, -10.0 * np.log10(np.maximum(error, 1e-300)), np.inf)


def read_yield(identities, lengths, qualities=DEFAULT_QUALITIES,
               predicted_qualities=None, min_predicted_quality=20.0):
    """Bases in reads at or above each empirical quality.

    Args:
        identities: float array (reads,), identity of each read to the truth.
        lengths: int array (reads,), read lengths in bases.
        qualities: empirical quality thresholds (default 20, 30, 40).
        predicted_qualities: optional float array (reads,), each read's
            predicted mean quality; reads below `min_predicted_quality` are
            dropped first, as the correction command's filter would.
        min_predicted_quality: float, the predicted-quality filter (20).

    Returns:
        dict mapping each quality to the total bases (int) of qualifying reads.

    Example:
    >>> read_yield([0.9995, 0.995], [15000, 12000])
    {20: 27000, 30: 15000, 40: 0}
    """
    identities = np.asarray(identities, np.float64)
    lengths = np.asarray(lengths, np.int64)
    if identities.shape != lengths.shape or identities.ndim != 1:
        raise DczooInputError(
            f"read_yield: identities {identities.shape} and lengths {lengths.shape} "
            "must be 1-d arrays of the same length"
        )
    keep = np.ones(identities.shape, bool)
    if predicted_qualities is not None:
        predicted_qualities = np.asarray(predicted_qualities, np.float64)
        if predicted_qualities.shape != identities.shape:
            raise DczooInputError(
                f"read_yield: predicted_qualities {predicted_qualities.shape} does not "
                f"match identities {identities.shape}"
            )
        keep &= predicted_qualities >= min_predicted_quality
    result = {}
    for quality in qualities:
        threshold = 1.0 - 10.0 ** (-quality / 10.0)
        passing = keep & (identities >= threshold - _IDENTITY_TOLERANCE)
        result[quality] = int(lengths[passing].sum())
    return result


def yield_over_baseline(yields, baseline_yields):
    """Yield relative to a baseline (CCS) at each quality, in percent.

    Args:
        yields: dict quality -> bases, from `read_yield`.
        baseline_yields: dict quality -> bases for the baseline reads.

    Returns:
        dict quality -> percentage (float; nan where the baseline is 0).
    """
    return {
        quality: (100.0 * bases / baseline_yields[quality]
                  if baseline_yields.get(quality) else float("nan"))
        for quality, bases in yields.items()
    }
