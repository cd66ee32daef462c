"""How far each attention head looks: attention-weighted mean |query - key|."""

import numpy as np


def attention_distance(model, windows, batch_size=64):
    """Mean attention distance per layer and head.

    For every query column the distance `|query - key|` is averaged with the
    attention weights as weights, then averaged over queries and windows.

    Args:
        model: `DeepConsensusCorrector`.
        windows: array (n, rows, length).
        batch_size: int. Windows per forward pass.

    Returns:
        numpy array (layers, heads) of mean distances in columns.

    Example:
    ```python
    teacher_d = attention_distance(teacher, windows)
    student_d = attention_distance(student, windows)
    ```
    """
    from keras import ops

    totals, count = None, 0
    for start in range(0, len(windows), batch_size):
        batch = np.asarray(windows[start : start + batch_size], np.float32)
        scores = model.backbone.layer_outputs(batch)["attention_scores"]
        length = scores[0].shape[-1]
        positions = np.arange(length)
        distance = np.abs(positions[:, None] - positions[None, :])
        per_layer = []
        for layer_scores in scores:
            weights = ops.convert_to_numpy(ops.cast(layer_scores, "float32"))
            # (batch, heads, query, key) -> sum over batch and queries.
            per_layer.append((weights * distance).sum(axis=(0, 2, 3)) / length)
        batch_totals = np.stack(per_layer)
        totals = batch_totals if totals is None else totals + batch_totals
        count += len(batch)
    return totals / count
