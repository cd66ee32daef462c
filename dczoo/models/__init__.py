"""DeepConsensus models and presets."""

from dczoo.models.deepconsensus_backbone import DeepConsensusBackbone
from dczoo.models.deepconsensus_corrector import DeepConsensusCorrector
from dczoo.models.deepconsensus_presets import BUILTIN_PRESETS
