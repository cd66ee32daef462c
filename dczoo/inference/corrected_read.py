"""`CorrectedRead`: one output read with what FASTQ and BAM writers need."""

import dataclasses

import numpy as np


@dataclasses.dataclass
class CorrectedRead:
    """A corrected read.

    Attributes:
        name: str. The draft's name, `movie/zmw/ccs`.
        sequence: str. Corrected bases (A, C, G, T).
        qualities: uint8 array of phred qualities, one per base.
        ec: float or None. The draft's effective coverage.
        np: int or None. The draft's number of full passes.
        rq: float or None. The draft's predicted accuracy.
        rg: str or None. Read group.
        zm: int or None. ZMW hole number.
        kinetics: `dczoo.data.kinetics.ReadKinetics` (the `ccs
            --hifi-kinetics` tags fi, fp, ri, rp, fn, rn of this read) when
            the run asked for kinetics, else None.

    Example:
    >>> read = CorrectedRead("m1/7/ccs", "ACGT", np.array([30, 31, 32, 33], np.uint8))
    >>> read.quality_string
    '?@AB'
    """

    name: str
    sequence: str
    qualities: np.ndarray
    ec: float = None
    np: int = None
    rq: float = None
    rg: str = None
    zm: int = None
    kinetics: object = None

    @property
    def quality_string(self):
        """Qualities as Phred+33 characters."""
        return (np.asarray(self.qualities, dtype=np.uint8) + 33).tobytes().decode("ascii")

    @classmethod
    def from_draft(cls, draft, sequence, qualities):
        """Builds a read carrying the tags of a `dczoo.data` draft record."""
        return cls(
            name=draft.name,
            sequence=sequence,
            qualities=qualities,
            ec=draft.ec,
            np=draft.np,
            rq=draft.rq,
            rg=draft.rg,
            zm=draft.zm,
        )
