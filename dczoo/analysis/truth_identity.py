"""Identity of reads to their true sequence (read level)."""

import pysam

from dczoo.analysis.error_profile import read_errors
from dczoo.errors import DczooInputError


def load_truth(truth_to_ccs):
    """Reads the true sequence of each ZMW from a truth-to-draft BAM.

    Args:
        truth_to_ccs: str. BAM of truth segments aligned to their drafts
            (`movie/zmw/truth` records); the stored sequence is on the draft's
            strand, which is what reads are compared against.

    Returns:
        dict mapping the draft name `movie/zmw/ccs` to the truth sequence.
    """
    truth = {}
    try:
        with pysam.AlignmentFile(truth_to_ccs, "rb", check_sq=False) as bam:
            for record in bam:
                if record.is_secondary or record.is_supplementary or record.is_unmapped:
                    continue
                movie, zmw = record.query_name.split("/")[:2]
                truth.setdefault(f"{movie}/{zmw}/ccs", record.query_sequence)
    except (OSError, ValueError) as error:
        raise DczooInputError(f"{truth_to_ccs}: cannot read truth BAM ({error})") from error
    return truth


def identity_to_truth(read, truth):
    """matches / (matches + mismatches + insertions + deletions) of a read.

    Args:
        read: str. The read.
        truth: str. Its true sequence on the same strand.

    Returns:
        float in [0, 1] (1.0 for two empty sequences).

    Example:
    >>> identity_to_truth("ACGTTA", "ACGTA")
    0.8333333333333334
    """
    errors = read_errors(read, truth)
    errors_total = errors["mismatches"] + errors["insertions"] + errors["deletions"]
    matches = len(truth) - errors["mismatches"] - errors["deletions"]
    columns = matches + errors_total
    return 1.0 if columns == 0 else matches / columns
