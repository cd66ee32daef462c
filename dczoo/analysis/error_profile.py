"""Error profiles of reads against their truth (the paper's Fig. 1c)."""

import re
from collections import Counter

import numpy as np

_CIGAR = re.compile(r"(\d+)([=XID])")


def _run_length(sequence, position):
    """Length of the homopolymer run of `sequence` that covers `position`."""
    base = sequence[position]
    start = position
    while start > 0 and sequence[start - 1] == base:
        start -= 1
    stop = position + 1
    while stop < len(sequence) and sequence[stop] == base:
        stop += 1
    return stop - start


def _insertion_context(inserted, truth, truth_pos):
    """Homopolymer length that an insertion before truth[truth_pos] extends, or 0."""
    if len(set(inserted)) != 1:
        return 0
    base = inserted[0]
    for neighbour in (truth_pos - 1, truth_pos):
        if 0 <= neighbour < len(truth) and truth[neighbour] == base:
            return _run_length(truth, neighbour)
    return 0


def _deletion_context(truth, start, stop):
    """Homopolymer length of the truth run a deletion shortens, or 0."""
    deleted = truth[start:stop]
    if len(set(deleted)) != 1:
        return 0
    run = _run_length(truth, start)
    return run if run > len(deleted) else 0


def read_errors(read, truth):
    """Counts the errors of one read against its truth.

    The read is globally aligned to the truth (edlib, unit edit costs).
    Inserted bases (in the read, not the truth) are homopolymer insertions when
    they all equal a neighbouring truth base, extending that run; deleted truth
    bases are homopolymer deletions when they are all one base inside a longer
    run of it. Homopolymer events are also counted by the run's truth length.

    Args:
        read: str. The read sequence.
        truth: str. The true sequence, same strand.

    Returns:
        dict with base counts `mismatches`, `insertions`, `deletions`,
        `hp_insertions`, `nonhp_insertions`, `hp_deletions`,
        `nonhp_deletions`, `truth_length`, and `Counter`s
        `hp_insertions_by_length`, `hp_deletions_by_length` (run length ->
        bases).

    Example:
    >>> read_errors("ACGTTTTA", "ACGTTTA")["hp_insertions"]
    1
    """
    import edlib

    counts = Counter()
    by_length = {"insertions": Counter(), "deletions": Counter()}
    if read and truth:
        cigar = edlib.align(read, truth, mode="NW", task="path")["cigar"] or ""
    elif read:
        cigar = f"{len(read)}I"
    elif truth:
        cigar = f"{len(truth)}D"
    else:
        cigar = ""
    read_pos = truth_pos = 0
    for length, op in _CIGAR.findall(cigar):
        length = int(length)
        if op == "=" or op == "X":
            if op == "X":
                counts["mismatches"] += length
            read_pos += length
            truth_pos += length
        elif op == "I":
            hp = _insertion_context(read[read_pos : read_pos + length], truth, truth_pos)
            counts["insertions"] += length
            counts["hp_insertions" if hp else "nonhp_insertions"] += length
            if hp:
                by_length["insertions"][hp] += length
            read_pos += length
        else:
            hp = _deletion_context(truth, truth_pos, truth_pos + length)
            counts["deletions"] += length
            counts["hp_deletions" if hp else "nonhp_deletions"] += length
            if hp:
                by_length["deletions"][hp] += length
            truth_pos += length
    result = {
        key: int(counts[key])
        for key in (
            "mismatches",
            "insertions",
            "deletions",
            "hp_insertions",
            "nonhp_insertions",
            "hp_deletions",
            "nonhp_deletions",
        )
    }
    result["truth_length"] = len(truth)
    result["hp_insertions_by_length"] = by_length["insertions"]
    result["hp_deletions_by_length"] = by_length["deletions"]
    return result


ERROR_TYPES = (
    "mismatches",
    "hp_insertions",
    "nonhp_insertions",
    "hp_deletions",
    "nonhp_deletions",
)


def error_profile(reads, truth):
    """Error profile of a set of reads: per-read counts and their means.

    Args:
        reads: sequence of str, the reads.
        truth: sequence of str, the true sequence of each read (same order).

    Returns:
        dict with `per_read` (list of `read_errors` dicts), `mean_per_read`
        (dict error type -> mean bases per read), `per_kb` (dict error type
        -> bases per kb of truth) and `hp_by_length` (dict with
        "insertions"/"deletions" -> Counter of run length -> bases).

    Example:
    ```python
    profile = dczoo.analysis.error_profile(corrected_reads, true_sequences)
    profile["mean_per_read"]["hp_insertions"]
    ```
    """
    if len(reads) != len(truth):
        raise ValueError(f"{len(reads)} reads but {len(truth)} truth sequences")
    per_read = [read_errors(r, t) for r, t in zip(reads, truth)]
    total_kb = sum(r["truth_length"] for r in per_read) / 1000.0
    keys = ("mismatches", "insertions", "deletions") + ERROR_TYPES[1:]
    mean = {k: float(np.mean([r[k] for r in per_read])) if per_read else 0.0 for k in keys}
    per_kb = {
        k: (sum(r[k] for r in per_read) / total_kb) if total_kb else 0.0 for k in keys
    }
    hp = {"insertions": Counter(), "deletions": Counter()}
    for r in per_read:
        hp["insertions"].update(r["hp_insertions_by_length"])
        hp["deletions"].update(r["hp_deletions_by_length"])
    return {"per_read": per_read, "mean_per_read": mean, "per_kb": per_kb, "hp_by_length": hp}
