"""Linear Centered Kernel Alignment between layers of two models."""

import numpy as np


class LinearCKAAccumulator:
    """Accumulates the statistics of linear CKA over mini-batches.

    Linear CKA between representations X (n x p) and Y (n x q) of the same n
    examples is `||Xc^T Yc||_F^2 / (||Xc^T Xc||_F * ||Yc^T Yc||_F)` with
    column-centred Xc, Yc. All three cross-products and the column sums are
    additive over examples, so memory stays `O(p * q)` however many examples
    are seen.

    Example:
    ```python
    acc = LinearCKAAccumulator()
    for x, y in batches:  # each (examples, features)
        acc.update(x, y)
    acc.result()
    ```
    """

    def __init__(self):
        self.count = 0
        self.sum_x = self.sum_y = None
        self.xx = self.yy = self.xy = None

    def update(self, x, y):
        """Adds examples: `x` (n, p) and `y` (n, q), rows paired."""
        x = np.asarray(x, np.float64).reshape(len(x), -1)
        y = np.asarray(y, np.float64).reshape(len(y), -1)
        if len(x) != len(y):
            raise ValueError(f"x has {len(x)} examples but y has {len(y)}")
        if self.sum_x is None:
            self.sum_x, self.sum_y = np.zeros(x.shape[1]), np.zeros(y.shape[1])
            self.xx = np.zeros((x.shape[1], x.shape[1]))
            self.yy = np.zeros((y.shape[1], y.shape[1]))
            self.xy = np.zeros((x.shape[1], y.shape[1]))
        self.count += len(x)
        self.sum_x += x.sum(0)
        self.sum_y += y.sum(0)
        self.xx += x.T @ x
        self.yy += y.T @ y
        self.xy += x.T @ y

    def result(self):
        """Returns CKA in [0, 1] (nan when either side is constant)."""
        n = self.count
        mean_x, mean_y = self.sum_x / n, self.sum_y / n
        xx = self.xx - n * np.outer(mean_x, mean_x)
        yy = self.yy - n * np.outer(mean_y, mean_y)
        xy = self.xy - n * np.outer(mean_x, mean_y)
        denominator = np.linalg.norm(xx) * np.linalg.norm(yy)
        if denominator == 0:
            return float("nan")
        return float(np.linalg.norm(xy) ** 2 / denominator)


def linear_cka_score(x, y):
    """Linear CKA between two representations of the same examples.

    Args:
        x: array (n, p).
        y: array (n, q).

    Returns:
        float in [0, 1].
    """
    accumulator = LinearCKAAccumulator()
    accumulator.update(x, y)
    return accumulator.result()


def _layer_tokens(model, windows):
    from keras import ops

    outputs = model.backbone.layer_outputs(windows)["encoder_outputs"]
    return [
        ops.convert_to_numpy(ops.cast(o, "float32")).reshape(-1, o.shape[-1])
        for o in outputs
    ]


def linear_cka(model_a, model_b, windows, batch_size=64):
    """CKA between every encoder layer of `model_a` and of `model_b`.

    Each (window, column) pair is one example; its representation is the
    encoder layer's output at that column. Statistics are accumulated over
    mini-batches so memory stays bounded.

    Args:
        model_a: `DeepConsensusCorrector`.
        model_b: `DeepConsensusCorrector`.
        windows: array (n, rows, length) of model inputs.
        batch_size: int. Windows per forward pass.

    Returns:
        numpy array (layers of a, layers of b): entry [i, j] is the CKA of
        layer i+1 of `model_a` and layer j+1 of `model_b`.

    Example:
    ```python
    matrix = dczoo.analysis.linear_cka(teacher, student, windows[:512])
    ```
    """
    accumulators = [
        [LinearCKAAccumulator() for _ in range(model_b.num_layers)]
        for _ in range(model_a.num_layers)
    ]
    for start in range(0, len(windows), batch_size):
        batch = np.asarray(windows[start : start + batch_size], np.float32)
        tokens_a = _layer_tokens(model_a, batch)
        tokens_b = _layer_tokens(model_b, batch)
        for i, x in enumerate(tokens_a):
            for j, y in enumerate(tokens_b):
                accumulators[i][j].update(x, y)
    return np.array([[acc.result() for acc in row] for row in accumulators])
