"""How closely one run's corrected reads reproduce another's (shared by the benchmarks).

`read_agreement(reference_reads, reads)` aligns every read to its counterpart
in a reference run (float32 Keras, usually) and reports the fraction of bases
reproduced and the change in base and read quality; bench_correct.py uses it
for the precision levers, bench_onnx.py for the ONNX Runtime engines.
"""

import re

_CIGAR = re.compile(r"(\d+)([=XID])")


def matched_pairs(cigar):
    """(query index, target index) of the '=' columns of an edlib CIGAR.

    Args:
        cigar: str. An extended CIGAR (`=`, `X`, `I`, `D`) from `edlib.align`.

    Returns:
        generator of `(query_index, target_index)` int pairs.

    Example:
    >>> list(matched_pairs("2=1I1="))
    [(0, 0), (1, 1), (3, 2)]
    """
    q = t = 0
    for length, op in _CIGAR.findall(cigar):
        length = int(length)
        if op == "=":
            yield from zip(range(q, q + length), range(t, t + length))
        if op in "=XI":
            q += length
        if op in "=XD":
            t += length


def read_agreement(reference_reads, reads):
    """Fraction of the reference run's bases reproduced, and the quality change.

    Each read is aligned to its counterpart (edlib, global); bases in '='
    columns count as identical, and their quality differences give the
    quality change.

    Args:
        reference_reads: list of `CorrectedRead` (the baseline run).
        reads: list of `CorrectedRead`, the same reads in the same order.

    Returns:
        dict with `identical_bases` (fraction of the reference's bases),
        `reads_identical` (count), `mean_base_quality_change`,
        `mean_abs_base_quality_change` and `mean_read_quality_change`.

    Example:
    ```python
    agreement = read_agreement(float32_reads, bfloat16_reads)
    print(f"{100 * agreement['identical_bases']:.3f}% of bases reproduced")
    ```
    """
    import edlib
    import numpy as np

    from dczoo.inference.quality import average_phred

    total = identical = 0
    deltas, read_deltas = [], []
    for ref, other in zip(reference_reads, reads, strict=True):
        total += len(ref.sequence)
        if ref.sequence == other.sequence:
            pairs = np.arange(len(ref.sequence))
            pairs = np.stack([pairs, pairs], 1)
        else:
            cigar = edlib.align(other.sequence, ref.sequence, task="path")["cigar"]
            pairs = np.array(list(matched_pairs(cigar)), dtype=int).reshape(-1, 2)
        identical += len(pairs)
        deltas.append(other.qualities[pairs[:, 0]].astype(int) - ref.qualities[pairs[:, 1]].astype(int))
        read_deltas.append(average_phred(other.qualities) - average_phred(ref.qualities))
    delta = np.concatenate(deltas)
    return {
        "identical_bases": identical / total,
        "reads_identical": sum(a.sequence == b.sequence for a, b in zip(reference_reads, reads)),
        "mean_base_quality_change": float(delta.mean()),
        "mean_abs_base_quality_change": float(np.abs(delta).mean()),
        "mean_read_quality_change": float(np.mean(read_deltas)),
    }
