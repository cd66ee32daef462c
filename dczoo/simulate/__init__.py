"""dczoo.simulate: realistic PacBio subreads, draft (CCS) reads and truth, as BAMs.

The output folder has the layout of real DeepConsensus training inputs
(`subreads_to_ccs.bam`, `ccs.bam`, `truth_to_ccs.bam` + `.bai`, `truth.bed`,
`truth_split.tsv`) plus `simulation.json`. See docs/simulator.md.

Example:
>>> from dczoo.simulate import SimulationConfig, simulate
>>> simulate(SimulationConfig(n_zmws=20, random_genome=100_000), "sim/")  # doctest: +SKIP
"""

from dczoo.simulate.kinetics import KineticsModel, codec_v1_decode, codec_v1_encode
from dczoo.simulate.molecule import MoleculeModel
from dczoo.simulate.realism import compare_directories, format_table
from dczoo.simulate.simulator import SimulationConfig, load_reference, simulate
from dczoo.simulate.subread_errors import SubreadErrorModel

__all__ = [
    "KineticsModel",
    "MoleculeModel",
    "SimulationConfig",
    "SubreadErrorModel",
    "codec_v1_decode",
    "codec_v1_encode",
    "compare_directories",
    "format_table",
    "load_reference",
    "simulate",
]
