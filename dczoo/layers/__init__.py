"""Layers of the DeepConsensus encoder."""

from dczoo.layers.banded_self_attention import BandedSelfAttention
from dczoo.layers.feedforward import FeedForward
from dczoo.layers.rezero_encoder_layer import ReZeroEncoderLayer
from dczoo.layers.sinusoidal_position_encoding import SinusoidalPositionEncoding, sinusoidal_position_table
from dczoo.layers.window_row_embedding import WindowRowEmbedding
