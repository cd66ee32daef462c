"""Base-quality calibration: predicted vs empirical quality, and its fit.

A base's quality promises an error probability `10 ** (-q / 10)`. Counting,
per predicted quality, how many bases are right and wrong against the truth
gives the empirical quality of each bin; a calibrated model has the two
equal. Bases are counted as `deepconsensus calibrate` counts them: a read
base aligned to a truth base is right when the bases agree and wrong when not,
a read base the truth does not have (an insertion) is wrong, and truth bases
the read lacks (deletions) carry no quality and are not counted.

`window_quality_counts` counts the bases the model itself writes (held-out
windows against their labels), which is what `fit_quality_calibration` fits;
`read_quality_counts` counts finished reads against their truth, which is
how a calibration is checked.

Example:
```python
counts = QualityCounts()
counts.add_read(read_sequence, read_qualities, truth_sequence)
table = counts.table()            # predicted vs empirical quality per bin
calibration = fit_quality_calibration(counts)
```
"""

import re

import numpy as np

from dczoo.constants import MAX_BASE_QUALITY

_CIGAR = re.compile(r"(\d+)([=XID])")
_BINS = (0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 60, MAX_BASE_QUALITY + 1)


def aligned_base_errors(read, truth):
    """bool array over the read's bases: True where the base is an error (global alignment to `truth`)."""
    import edlib

    errors = np.zeros(len(read), bool)
    if not truth:
        errors[:] = True
        return errors
    if not read:
        return errors
    cigar = edlib.align(read, truth, mode="NW", task="path")["cigar"] or ""
    pos = 0
    for length, op in _CIGAR.findall(cigar):
        length = int(length)
        if op in "=XI":
            if op != "=":
                errors[pos:pos + length] = True
            pos += length
    return errors


class QualityCounts:
    """Right and wrong bases per integer predicted quality (0..93)."""

    def __init__(self):
        self.right = np.zeros(MAX_BASE_QUALITY + 1, np.int64)
        self.wrong = np.zeros(MAX_BASE_QUALITY + 1, np.int64)

    def add(self, qualities, errors):
        """Adds bases with their qualities and error flags.

        Args:
            qualities: int array of phred qualities (clipped to 0..93).
            errors: bool array of the same length.
        """
        q = np.clip(np.asarray(qualities, np.int64), 0, MAX_BASE_QUALITY)
        errors = np.asarray(errors, bool)
        self.wrong += np.bincount(q[errors], minlength=MAX_BASE_QUALITY + 1)
        self.right += np.bincount(q[~errors], minlength=MAX_BASE_QUALITY + 1)

    def add_read(self, read, qualities, truth):
        """Aligns `read` to `truth` (global) and adds its bases.

        Args:
            read: str.
            qualities: int array, one per read base.
            truth: str, the true sequence on the read's strand.
        """
        self.add(qualities, aligned_base_errors(read, truth))

    def merge(self, other):
        self.right += other.right
        self.wrong += other.wrong
        return self

    def table(self, bins=_BINS, min_bases=1000):
        """Predicted vs empirical quality per bin of predicted quality.

        Args:
            bins: increasing bin edges (a bin is [edge, next edge)).
            min_bases: bins with fewer bases are left out.

        Returns:
            list of dicts `low`, `high`, `bases`, `errors`, `predicted` (the
            bin's mean predicted quality, in probability space) and
            `empirical` (phred of errors / bases; one error is assumed when
            there is none, so it is a lower bound there, `bound` True).
        """
        rows = []
        q = np.arange(MAX_BASE_QUALITY + 1)
        for low, high in zip(bins, bins[1:]):
            sel = (q >= low) & (q < high)
            right, wrong = int(self.right[sel].sum()), int(self.wrong[sel].sum())
            bases = right + wrong
            if bases < min_bases:
                continue
            expected = (self.right[sel] + self.wrong[sel]) @ np.power(10.0, -q[sel] / 10.0)
            rows.append({
                "low": int(low), "high": int(high - 1), "bases": bases, "errors": wrong,
                "predicted": float(-10 * np.log10(expected / bases)),
                "empirical": float(-10 * np.log10(max(wrong, 1) / bases)),
                "bound": wrong == 0,
            })
        return rows

    def max_deviation(self, up_to=40.0, min_bases=1000):
        """Largest |empirical - predicted| over the bins predicting at most `up_to`.

        A bin with no error only counts when its lower bound on the empirical
        quality is below the prediction.
        """
        worst = 0.0
        for row in self.table(min_bases=min_bases):
            if row["predicted"] > up_to:
                continue
            gap = row["empirical"] - row["predicted"]
            if row["bound"] and gap > 0:
                continue
            worst = max(worst, abs(gap))
        return worst

    def to_dict(self):
        return {"right": self.right.tolist(), "wrong": self.wrong.tolist()}

    @classmethod
    def from_dict(cls, data):
        counts = cls()
        counts.right[:] = data["right"]
        counts.wrong[:] = data["wrong"]
        return counts


def window_quality_counts(probabilities, labels, calibration=None, counts=None):
    """Counts the model's own bases on labelled windows.

    Each window's predicted sequence (gaps removed) is aligned to its label
    (gaps removed); qualities are the model's, as `dczoo correct` computes
    them (`dczoo.inference.quality.probabilities_to_calls`).

    Args:
        probabilities: float `(windows, columns, 5)` model output.
        labels: int `(windows, columns)` token ids (0 = gap).
        calibration: optional `QualityCalibration` applied first.
        counts: optional `QualityCounts` to add to.

    Returns:
        `QualityCounts`.
    """
    from dczoo.inference.quality import probabilities_to_calls

    counts = counts or QualityCounts()
    tokens, qualities = probabilities_to_calls(probabilities, calibration)
    letters = np.frombuffer(b" ATCG", np.uint8)
    labels = np.asarray(labels).astype(np.int64)
    for row_tokens, row_quals, row_label in zip(tokens, qualities, labels):
        keep = row_tokens > 0
        read = letters[row_tokens[keep]].tobytes().decode()
        truth = letters[row_label[row_label > 0]].tobytes().decode()
        counts.add(row_quals[keep], aligned_base_errors(read, truth))
    return counts


def read_quality_counts(reads, truths, counts=None):
    """Counts finished reads against their truth.

    Args:
        reads: iterable of (name, sequence, qualities).
        truths: dict name -> true sequence.
        counts: optional `QualityCounts` to add to.

    Returns:
        `QualityCounts`.
    """
    counts = counts or QualityCounts()
    for name, sequence, qualities in reads:
        if name in truths:
            counts.add_read(sequence, np.asarray(qualities), truths[name])
    return counts


def fit_quality_calibration(counts, min_bases=2000, max_quality=MAX_BASE_QUALITY):
    """Fits a monotone piecewise-linear calibration to counted bases.

    Integer predicted qualities are pooled until every group holds at least
    `min_bases` bases and 20 errors (groups above `max_quality` are pooled
    into the last), the empirical quality of each group is made
    non-decreasing (pool-adjacent-violators, weighted by bases), and the knots
    are (mean predicted, empirical) of each group.

    Args:
        counts: `QualityCounts` of uncalibrated model bases.
        min_bases: int, the smallest group.
        max_quality: float, predicted qualities above this share one group.

    Returns:
        `dczoo.inference.quality.QualityCalibration` (knots form).

    Example:
    ```python
    counts = window_quality_counts(model.predict(windows), labels)
    model.quality_calibration = str(fit_quality_calibration(counts))
    ```
    """
    from dczoo.inference.quality import QualityCalibration

    groups, right, wrong, expected = [], 0, 0, 0.0
    q = np.arange(MAX_BASE_QUALITY + 1)
    for value in q:
        r, w = int(counts.right[value]), int(counts.wrong[value])
        if r + w == 0:
            continue
        right, wrong = right + r, wrong + w
        expected += (r + w) * 10.0 ** (-value / 10.0)
        if right + wrong >= min_bases and wrong >= 20 and value < max_quality:
            groups.append([right + wrong, wrong, expected])
            right, wrong, expected = 0, 0, 0.0
    if right + wrong:
        if wrong >= 5 or not groups:
            groups.append([right + wrong, max(wrong, 1), expected])
        else:
            last = groups[-1]
            groups[-1] = [last[0] + right + wrong, last[1] + wrong, last[2] + expected]
    if len(groups) < 2:
        raise ValueError("too few bases to fit a calibration")
    # pool adjacent violators on the error rate (it must not rise with quality)
    blocks = []
    for bases, errors, exp in groups:
        blocks.append([bases, errors, exp])
        while len(blocks) > 1 and blocks[-1][1] / blocks[-1][0] > blocks[-2][1] / blocks[-2][0]:
            b = blocks.pop()
            blocks[-1] = [blocks[-1][0] + b[0], blocks[-1][1] + b[1], blocks[-1][2] + b[2]]
    xs = [-10 * np.log10(exp / bases) for bases, _, exp in blocks]
    ys = [-10 * np.log10(errors / bases) for bases, errors, _ in blocks]
    if len(xs) < 2:
        raise ValueError("the counted bases give a flat calibration")
    return QualityCalibration.from_knots(xs, ys)
