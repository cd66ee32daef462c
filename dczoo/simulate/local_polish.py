"""Mutation-scoring polish of a draft: the last step of the simulator's consensus.

Where the subreads disagree (the top vote of the pileup is weak), every single
edit of the draft base there (delete it, change it, or insert a base before it)
is scored by the summed edit distance between the mutated draft window and each
subread's version of that window, and the best edit is kept if it beats the
current draft. This is the idea of Quiver/Arrow polishing with edit distance in
place of a PacBio HMM. All windows of a round are scored at once by a
vectorized edit-distance DP.
"""

import numpy as np

_BASES = "ACGT"
_ROW = np.full(256, 0, dtype=np.int64)
for _i, _b in enumerate(b"ACGT"):
    _ROW[_b] = _i


def batched_edit_distance(queries, targets):
    """Levenshtein distances of many short string pairs at once.

    Args:
        queries: list of str.
        targets: list of str, same length as `queries`.

    Returns:
        int64 array of distances.

    Example:
    >>> batched_edit_distance(["ACGT", "AAA", ""], ["AGT", "AAA", "AC"]).tolist()
    [1, 0, 2]
    """
    n = len(queries)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    la = np.array([len(q) for q in queries], dtype=np.int64)
    lb = np.array([len(t) for t in targets], dtype=np.int64)
    a = _pad(queries, int(la.max()) if la.size else 0)
    b = _pad(targets, int(lb.max()) if lb.size else 0)
    width = b.shape[1]
    prev = np.broadcast_to(np.arange(width + 1, dtype=np.int64), (n, width + 1)).copy()
    result = prev[np.arange(n), lb].copy()  # queries of length 0
    for i in range(1, a.shape[1] + 1):
        cur = np.empty_like(prev)
        cur[:, 0] = i
        diff = (a[:, i - 1:i] != b).astype(np.int64)
        diag = prev[:, :-1] + diff
        up = prev[:, 1:] + 1
        best = np.minimum(diag, up)
        for j in range(1, width + 1):  # left dependency within the row
            cur[:, j] = np.minimum(best[:, j - 1], cur[:, j - 1] + 1)
        done = la == i
        result[done] = cur[done, lb[done]]
        prev = cur
    return result


def _pad(strings, width):
    """Packs strings into a zero-padded (n, width) uint8 matrix."""
    out = np.zeros((len(strings), width), dtype=np.uint8)
    lens = np.fromiter((len(s) for s in strings), dtype=np.int64, count=len(strings))
    if width and lens.sum():
        flat = np.frombuffer("".join(strings).encode(), dtype=np.uint8)
        rows = np.repeat(np.arange(len(strings)), lens)
        cols = np.arange(flat.size) - np.repeat(np.cumsum(lens) - lens, lens)
        out[rows, cols] = flat
    return out


def _candidates(pileup, pos, window, center, min_share):
    """Edits at draft position `pos` that at least `min_share` of the reads support.

    Returns:
        list of (label, mutated window) pairs; empty when the draft is uncontested.
    """
    cov = max(int(pileup.coverage[pos]), 1)
    votes = pileup.base_votes[:, pos]
    need = max(2, min_share * cov)
    out = []
    if votes[4] >= need:
        out.append((("del",), window[:center] + window[center + 1:]))
    for k, base in enumerate(_BASES):
        if base != window[center] and votes[k] >= need:
            out.append((("sub", base), window[:center] + base + window[center + 1:]))
        if pileup.insertion_votes[k, pos] >= need:
            out.append((("ins", base), window[:center] + base + window[center:]))
    return out


def mutation_polish(draft, pileup, min_share=0.2, flank=6, max_reads=14, min_spacing=4):
    """One round of mutation scoring at the contested draft positions.

    Args:
        draft: str.
        pileup: dczoo.simulate.draft_consensus.Pileup over `draft`.
        min_share: float. An edit is tested when at least this share of the
            covering subreads (and at least 2) show it.
        flank: int. Window half-width around a tested position.
        max_reads: int. Subread windows scored per position.
        min_spacing: int. Accepted edits are at least this far apart in a round.

    Returns:
        (new_draft, changed): str and the number of edits made.
    """
    jobs = []  # (position, label, n_reads)
    queries, targets = [], []
    cov = np.maximum(pileup.coverage, 1)
    need = np.maximum(2, min_share * cov)
    current = np.frombuffer(draft.encode(), dtype=np.uint8)
    alt = pileup.base_votes.copy()
    alt[_ROW[current], np.arange(len(draft))] = 0  # votes for the draft base are not an edit
    contested = (alt.max(axis=0) >= need) | (pileup.insertion_votes[:, :-1].max(axis=0) >= need)
    for pos in np.flatnonzero(contested):
        lo, hi = max(0, pos - flank), min(len(draft), pos + flank + 1)
        window = draft[lo:hi]
        edits = _candidates(pileup, pos, window, pos - lo, min_share)
        if not edits:
            continue
        versions = [v for v in pileup.read_windows(lo, hi)[:max_reads] if len(v) <= 3 * (hi - lo)]
        if len(versions) < 2:
            continue
        for label, cand in [(("keep",), window)] + edits:
            jobs.append((int(pos), label, len(versions)))
            queries.extend(versions)
            targets.extend([cand] * len(versions))
    if not jobs:
        return draft, 0
    dist = batched_edit_distance(queries, targets)
    sizes = np.array([j[2] for j in jobs])
    scores = np.add.reduceat(dist, np.concatenate([[0], np.cumsum(sizes)[:-1]]))
    best = {}
    keep_score = {}
    for (pos, label, _), score in zip(jobs, scores):
        if label == ("keep",):
            keep_score[pos] = score
        elif score < keep_score[pos] and (pos not in best or score < best[pos][0]):
            best[pos] = (score, keep_score[pos] - score, label)
    chosen = []
    for pos in sorted(best, key=lambda p: -best[p][1]):  # biggest gains first
        if all(abs(pos - c) >= min_spacing for c, _ in chosen):
            chosen.append((pos, best[pos][2]))
    out, prev = [], 0
    for pos, label in sorted(chosen):
        out.append(draft[prev:pos])
        if label[0] == "sub":
            out.append(label[1])
            prev = pos + 1
        elif label[0] == "del":
            prev = pos + 1
        else:
            out.append(label[1])
            prev = pos
    out.append(draft[prev:])
    return "".join(out), len(chosen)
