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
    """A calibration of phred qualities, linear or piecewise linear.

    The linear form is DeepConsensus's `"threshold,w,b"`: `q' = w * q + b`;
    with `threshold == 0` every quality is mapped, otherwise only qualities
    above `threshold` are. The piecewise-linear form `"knots:x1:y1,x2:y2,..."`
    (dczoo's; what `dczoo.analysis.fit_quality_calibration` fits) maps `q` by
    linear interpolation between the knots (increasing x), is constant above
    the last knot and scales proportionally (`q * y1 / x1`) below the first.

    Attributes:
        threshold: float.
        weight: float.
        bias: float.
        knots: tuple of (x, y) pairs, or None for the linear form.

    Example:
    >>> cal = QualityCalibration.parse("0,1.197654,-0.99781")
    >>> float(cal.apply(np.array([30.0], np.float32))[0])  # doctest: +ELLIPSIS
    34.93...
    >>> cal = QualityCalibration.parse("knots:0:0,20:18,40:34")
    >>> [float(q) for q in cal.apply(np.array([10.0, 30.0, 50.0], np.float32))]
    [9.0, 26.0, 34.0]
    """

    threshold: float = 0.0
    weight: float = 1.0
    bias: float = 0.0
    knots: tuple = None

    @classmethod
    def from_knots(cls, xs, ys):
        """A piecewise-linear calibration through the points (xs, ys).

        Args:
            xs: increasing predicted qualities (at least 2).
            ys: calibrated qualities, same length.

        Returns:
            `QualityCalibration`.
        """
        xs = [float(x) for x in xs]
        ys = [float(y) for y in ys]
        if len(xs) < 2 or len(xs) != len(ys) or any(b <= a for a, b in zip(xs, xs[1:])) \
                or not all(np.isfinite(xs + ys)):
            raise DczooInputError(
                f"calibration knots {list(zip(xs, ys))}: need 2 or more finite points with increasing x")
        return cls(knots=tuple(zip(xs, ys)))

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
        if text.startswith("knots:"):
            try:
                points = [tuple(float(v) for v in item.split(":")) for item in text[6:].split(",")]
                if any(len(p) != 2 for p in points):
                    raise ValueError
            except ValueError:
                raise DczooInputError(
                    f"{source}: {text!r} is not a calibration; expected 'knots:x1:y1,x2:y2,...'"
                ) from None
            try:
                return cls.from_knots([p[0] for p in points], [p[1] for p in points])
            except DczooInputError as error:
                raise DczooInputError(f"{source}: {error}") from None
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
        if self.knots is not None:
            xs = np.array([k[0] for k in self.knots], np.float64)
            ys = np.array([k[1] for k in self.knots], np.float64)
            q = quality.astype(np.float64)
            mapped = np.interp(q, xs, ys)  # constant above the last knot: no promise beyond what was measured
            if xs[0] > 0:  # below the first knot, proportionally towards 0
                mapped = np.where(q < xs[0], q * (ys[0] / xs[0]), mapped)
            return mapped.astype(np.float32)
        mapped = quality * np.float32(self.weight) + np.float32(self.bias)
        if self.threshold == 0:
            return mapped
        return np.where(quality > np.float32(self.threshold), mapped, quality)

    def __str__(self):
        if self.knots is not None:
            return "knots:" + ",".join(f"{x:g}:{y:.4g}" for x, y in self.knots)
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
