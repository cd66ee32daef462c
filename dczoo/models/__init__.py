"""DeepConsensus models (`BUILTIN_PRESETS` is the registry of `dczoo.presets`)."""

from dczoo.models.deepconsensus_backbone import DeepConsensusBackbone
from dczoo.models.deepconsensus_corrector import DeepConsensusCorrector
from dczoo.presets import BUILTIN_PRESETS
