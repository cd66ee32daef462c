"""Per-example agreement between two models (the paper's Fig. 3c)."""

import numpy as np

from dczoo.constants import GAP_ID


def _gap_free(tokens):
    return [tuple(int(t) for t in row if t != GAP_ID) for row in np.asarray(tokens)]


def agreement_from_predictions(probs_x, probs_y, labels):
    """Agreement analysis from two models' probabilities on the same windows.

    Two models disagree on a window when their gap-free predicted sequences
    differ (edit distance > 0). On those windows, each model's alignment
    identity to the label (the reference's hard affine alignment) decides
    which one is strictly better; ties count for neither.

    Args:
        probs_x: array (windows, length, 5) of model X (or its argmax tokens).
        probs_y: array (windows, length, 5) of model Y (or tokens).
        labels: array (windows, length) of label tokens.

    Returns:
        dict: `windows`, `disagreements`, `p_y_better` = P(Y > X | disagree),
        `p_x_better` = P(X > Y | disagree), `p_tie`, and the mean identities
        `identity_x`, `identity_y` over all windows.
    """
    from dczoo.losses import align_windows

    tokens_x = np.asarray(probs_x)
    tokens_y = np.asarray(probs_y)
    tokens_x = tokens_x.argmax(-1) if tokens_x.ndim == 3 else tokens_x
    tokens_y = tokens_y.argmax(-1) if tokens_y.ndim == 3 else tokens_y
    labels = np.asarray(labels)
    identity_x = np.asarray(align_windows(labels, tokens_x)["pid"], np.float64)
    identity_y = np.asarray(align_windows(labels, tokens_y)["pid"], np.float64)
    disagree = np.array([a != b for a, b in zip(_gap_free(tokens_x), _gap_free(tokens_y))])
    count = int(disagree.sum())

    def share(mask):
        return float(mask[disagree].mean()) if count else float("nan")

    return {
        "windows": int(len(labels)),
        "disagreements": count,
        "p_y_better": share(identity_y > identity_x),
        "p_x_better": share(identity_x > identity_y),
        "p_tie": share(identity_x == identity_y),
        "identity_x": float(identity_x.mean()),
        "identity_y": float(identity_y.mean()),
    }


def agreement(model_x, model_y, windows, labels, batch_size=256):
    """Per-example agreement of two correctors on labelled windows.

    Args:
        model_x: `DeepConsensusCorrector`.
        model_y: `DeepConsensusCorrector`.
        windows: array (n, rows, length).
        labels: array (n, length).
        batch_size: int.

    Returns:
        dict, see `agreement_from_predictions`.

    Example:
    ```python
    result = dczoo.analysis.agreement(student, teacher, windows, labels)
    result["p_y_better"]  # P(teacher strictly better | they disagree)
    ```
    """
    probs_x = model_x.predict(windows, batch_size=batch_size, verbose=0)
    probs_y = model_y.predict(windows, batch_size=batch_size, verbose=0)
    return agreement_from_predictions(probs_x, probs_y, labels)
