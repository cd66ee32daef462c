"""Per-row embedding of a DeepConsensus window tensor."""

import math

import keras
from keras import ops

from dczoo import constants


def _table_initializer(width):
    return keras.initializers.RandomNormal(mean=0.0, stddev=width**-0.5)


@keras.saving.register_keras_serializable(package="dczoo")
class WindowRowEmbedding(keras.layers.Layer):
    """Embeds every row of a window and concatenates the results per column.

    A window is a `(rows, window_length)` tensor whose rows hold, in order, the
    subread bases, pulse widths, interpulse durations and strands (`max_passes`
    rows each), the draft bases, optionally the draft base qualities, and four
    signal-to-noise values. Each row group has one lookup table shared by all of
    its rows (the draft row shares the table of the subread bases). Values are
    clipped to the table's range, truncated to integers, looked up, scaled by
    `sqrt(width)`, and id 0 (gap, padding or missing subread) embeds to zeros.
    Draft base qualities are shifted by +1 first, so the -1 of spacing columns
    becomes id 0.

    The output concatenates, per column, the embeddings of the bases rows, pw
    rows, ip rows, strand rows, draft row, base-quality row (if any) and sn
    rows, in that order: `(batch, window_length, embedding_width)`.

    Args:
        max_passes: int. Subreads per window (20 in DeepConsensus).
        use_ccs_bq: bool. Whether the window has the draft base-quality row.
        base_embedding_dim: int. Width of the bases/draft table.
        pw_embedding_dim: int. Width of the pulse-width table.
        ip_embedding_dim: int. Width of the interpulse-duration table.
        strand_embedding_dim: int. Width of the strand table.
        sn_embedding_dim: int. Width of the signal-to-noise table.
        ccs_bq_embedding_dim: int. Width of the base-quality table.
        **kwargs: standard `keras.layers.Layer` arguments (`name`, `dtype`).

    Example:
    >>> layer = WindowRowEmbedding()
    >>> layer(np.zeros((2, 85, 100), "float32")).shape
    (2, 100, 560)
    """

    def __init__(
        self,
        max_passes=constants.MAX_PASSES,
        use_ccs_bq=False,
        base_embedding_dim=8,
        pw_embedding_dim=8,
        ip_embedding_dim=8,
        strand_embedding_dim=2,
        sn_embedding_dim=8,
        ccs_bq_embedding_dim=8,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.max_passes = max_passes
        self.use_ccs_bq = use_ccs_bq
        self.base_embedding_dim = base_embedding_dim
        self.pw_embedding_dim = pw_embedding_dim
        self.ip_embedding_dim = ip_embedding_dim
        self.strand_embedding_dim = strand_embedding_dim
        self.sn_embedding_dim = sn_embedding_dim
        self.ccs_bq_embedding_dim = ccs_bq_embedding_dim
        self.row_slices = constants.row_slices(max_passes, use_ccs_bq)
        # (group, table, id offset, max id) in concatenation order.
        self._plan = [
            ("bases", "bases", 0, constants.VOCAB_SIZE - 1),
            ("pw", "pw", 0, constants.PW_MAX),
            ("ip", "ip", 0, constants.IP_MAX),
            ("strand", "strand", 0, constants.STRAND_MAX),
            ("ccs", "bases", 0, constants.VOCAB_SIZE - 1),
        ]
        if use_ccs_bq:
            self._plan.append(("ccs_bq", "ccs_bq", 1, constants.CCS_BQ_MAX - 1))
        self._plan.append(("sn", "sn", 0, constants.SN_MAX))

    def _table_shapes(self):
        shapes = {
            "bases": (constants.VOCAB_SIZE, self.base_embedding_dim),
            "pw": (constants.PW_MAX + 1, self.pw_embedding_dim),
            "ip": (constants.IP_MAX + 1, self.ip_embedding_dim),
            "strand": (constants.STRAND_MAX + 1, self.strand_embedding_dim),
            "sn": (constants.SN_MAX + 1, self.sn_embedding_dim),
        }
        if self.use_ccs_bq:
            shapes["ccs_bq"] = (constants.CCS_BQ_MAX, self.ccs_bq_embedding_dim)
        return shapes

    def build(self, input_shape):
        self.tables = {}
        for table, shape in self._table_shapes().items():
            self.tables[table] = self.add_weight(
                name=f"{table}_embeddings",
                shape=shape,
                initializer=_table_initializer(shape[1]),
            )
        self.built = True

    @property
    def output_width(self):
        """Number of features per column after concatenation."""
        shapes = self._table_shapes()
        width = 0
        for group, table, _, _ in self._plan:
            start, stop = self.row_slices[group]
            width += (stop - start) * shapes[table][1]
        return width

    def call(self, windows):
        windows = ops.cast(windows, "float32")
        pieces = []
        for group, table_name, offset, max_id in self._plan:
            start, stop = self.row_slices[group]
            rows = windows[:, start:stop, :] + offset
            ids = ops.cast(ops.clip(rows, 0, max_id), "int32")
            table = self.tables[table_name]
            width = table.shape[1]
            vectors = ops.take(table, ids, axis=0)
            keep = ops.cast(ops.not_equal(ids, 0), vectors.dtype)
            vectors = vectors * ops.expand_dims(keep, -1) * math.sqrt(width)
            # (batch, rows, length, width) -> (batch, length, rows * width)
            vectors = ops.transpose(vectors, (0, 2, 1, 3))
            shape = ops.shape(vectors)
            pieces.append(
                ops.reshape(vectors, (shape[0], shape[1], (stop - start) * width))
            )
        return ops.concatenate(pieces, axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2], self.output_width)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "max_passes": self.max_passes,
                "use_ccs_bq": self.use_ccs_bq,
                "base_embedding_dim": self.base_embedding_dim,
                "pw_embedding_dim": self.pw_embedding_dim,
                "ip_embedding_dim": self.ip_embedding_dim,
                "strand_embedding_dim": self.strand_embedding_dim,
                "sn_embedding_dim": self.sn_embedding_dim,
                "ccs_bq_embedding_dim": self.ccs_bq_embedding_dim,
            }
        )
        return config
