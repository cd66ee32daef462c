"""Constants shared by data, models and inference.

The vocabulary and the window layout follow DeepConsensus 1.2 exactly, so that
tensors made by dczoo and by the reference implementation are interchangeable.
"""

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


def num_rows(max_passes=MAX_PASSES, use_ccs_bq=False):
    """Number of rows of a window tensor.

    Args:
        max_passes: int. Subreads kept per window.
        use_ccs_bq: bool. Whether the draft base-quality row is present.

    Returns:
        int: `4 * max_passes + 5`, plus one with base qualities (85 or 86).
    """
    return 4 * max_passes + 5 + (1 if use_ccs_bq else 0)


def row_slices(max_passes=MAX_PASSES, use_ccs_bq=False):
    """Row ranges of each group of a window tensor.

    Args:
        max_passes: int. Subreads kept per window.
        use_ccs_bq: bool. Whether the draft base-quality row is present.

    Returns:
        dict mapping group name ("bases", "pw", "ip", "strand", "ccs",
        "ccs_bq" when present, "sn") to a `(start, stop)` tuple.
    """
    p = max_passes
    slices = {
        "bases": (0, p),
        "pw": (p, 2 * p),
        "ip": (2 * p, 3 * p),
        "strand": (3 * p, 4 * p),
        "ccs": (4 * p, 4 * p + 1),
    }
    start = 4 * p + 1
    if use_ccs_bq:
        slices["ccs_bq"] = (start, start + 1)
        start += 1
    slices["sn"] = (start, start + NUM_SN)
    return slices
