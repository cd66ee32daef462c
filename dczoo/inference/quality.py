"""Base qualities: from model probabilities, calibration, and averages.

The arithmetic follows DeepConsensus 1.2 exactly, in float32: the quality of
a column is `-10 * log10(1 - max p)`, then the linear calibration
`"threshold,w,b"`, then a cap (93), round half to even, and a floor of 0.
Average qualities (of a window's draft bases, or of a read) are taken in
probability space: the mean of `10 ** (-q / 10)`, turned back into phred.
"""

import dataclasses

import numpy as np

from dczoo.constants import MAX_BASE_QUALITY
from dczoo.errors import DczooInputError


@dataclasses.dataclass(frozen=True)
class QualityCalibration:
    """A linear calibration of phred qualities: `q' = weight * q + bias`.

    With `threshold == 0` every quality is mapped; otherwise only qualities
    above `threshold` are, and the others are kept.

    Attributes:
        threshold: float.
        weight: float.
        bias: float.

    Example:
    >>> cal = QualityCalibration.parse("0,1.197654,-0.99781")
    >>> float(cal.apply(np.array([30.0], np.float32))[0])  # doctest: +ELLIPSIS
    34.93...
    """

    threshold: float
    weight: float
    bias: float

    @classmethod
    def parse(cls, text, source="calibration"):
        """Reads `"threshold,w,b"`; `"skip"`, `""` and None mean no calibration.

        Args:
            text: str or None.
            source: str. Where the text came from, for error messages.

        Returns:
            `QualityCalibration`, or None for no calibration.
        """
        if text is None or isinstance(text, QualityCalibration):
            return text
        text = str(text).strip()
        if text in ("", "skip", "none", "None"):
            return None
        parts = text.split(",")
        try:
            values = [float(part) for part in parts]
        except ValueError:
            values = []
        if len(values) != 3 or not all(np.isfinite(values)):
            raise DczooInputError(
                f"{source}: {text!r} is not a calibration; expected "
                "'threshold,w,b' (three numbers, e.g. '0,1.197654,-0.99781') "
                "or 'skip'"
            )
        return cls(*values)

    def apply(self, quality):
        """Calibrates a float32 array of qualities (returns a new array)."""
        quality = np.asarray(quality, dtype=np.float32)
        mapped = quality * np.float32(self.weight) + np.float32(self.bias)
        if self.threshold == 0:
            return mapped
        return np.where(quality > np.float32(self.threshold), mapped, quality)

    def __str__(self):
        return f"{self.threshold:g},{self.weight:g},{self.bias:g}"


def finish_qualities(quality, calibration=None, max_quality=MAX_BASE_QUALITY):
    """Calibrates, caps, rounds and floors float qualities into integers.

    Args:
        quality: float array of phred values (inf allowed).
        calibration: `QualityCalibration` or None.
        max_quality: int. Cap applied after calibration.

    Returns:
        int32 array of the same shape, in `[0, max_quality]`.
    """
    quality = np.asarray(quality, dtype=np.float32)
    if calibration is not None:
        quality = calibration.apply(quality)
    quality = np.minimum(quality, np.float32(max_quality))
    quality = np.round(quality).astype(np.int32)
    return np.maximum(quality, 0)


def probabilities_to_calls(probs, calibration=None, max_quality=MAX_BASE_QUALITY):
    """Turns model probabilities into token ids and integer qualities.

    Args:
        probs: float32 `(..., 5)` probabilities over (gap, A, T, C, G).
        calibration: `QualityCalibration` or None.
        max_quality: int. Quality cap (93).

    Returns:
        `(tokens, qualities)`: uint8 and int32 arrays of shape `probs.shape[:-1]`.

    Example:
    >>> probs = np.array([[0.0, 0.9, 0.1, 0.0, 0.0]], np.float32)
    >>> probabilities_to_calls(probs)
    (array([1], dtype=uint8), array([10], dtype=int32))
    """
    probs = np.asarray(probs, dtype=np.float32)
    tokens = probs.argmax(axis=-1).astype(np.uint8)
    error = np.float32(1) - probs.max(axis=-1)
    with np.errstate(divide="ignore"):
        quality = np.float32(-10) * np.log10(error)
    return tokens, finish_qualities(quality, calibration, max_quality)


def average_phred(qualities, axis=None):
    """Average phred quality in probability space, ignoring negative values.

    `-10 * log10(mean(10 ** (-q / 10)))` over the values `q >= 0` (negative
    values mark gaps and padding); 0 where there is no such value.

    Args:
        qualities: integer or float array.
        axis: None for one average over everything, or an axis (e.g. 1 for one
            average per window of a `(windows, columns)` array).

    Returns:
        float, or a float64 array when `axis` is given.

    Example:
    >>> round(average_phred([20, 30, -1]), 4)
    22.5964
    """
    q = np.asarray(qualities, dtype=np.float64)
    valid = q >= 0
    errors = np.where(valid, np.power(10.0, -np.where(valid, q, 0) / 10.0), 0.0)
    count = valid.sum(axis=axis)
    total = errors.sum(axis=axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        phred = -10.0 * np.log10(total / count)
    phred = np.where(count > 0, phred, 0.0)
    if axis is None:
        return float(phred)
    return phred
