"""dczoo: a Keras 3 model zoo for DeepConsensus-style read correction."""

from dczoo.version import __version__
from dczoo import models
