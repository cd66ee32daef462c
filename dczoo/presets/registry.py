"""The built-in presets of the DeepConsensus corrector, and the default one.

Each entry records what the preset is, its parameter count, its canonical
Hugging Face Hub handle and the architecture. The preset folder bundled in the
package (`dczoo/models/presets/<name>/`, package data) is used when it holds
the weights, so built-ins load offline.

Which preset runs when none is chosen is decided here only:
`default_preset()`.
"""

import os

from dczoo.presets.files import has_weights_file

PRESETS_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "models", "presets")
DEFAULT_PRESET = "student_4layer"

_ARCHITECTURE = {
    "hidden_dim": 280,
    "num_heads": 2,
    "intermediate_dim": 2048,
    "attention_window": 12,
    "max_passes": 20,
    "window_length": 100,
    "use_ccs_bq": False,
}


def _preset(num_layers, params, description, role):
    name = f"{role}_{num_layers}layer"
    return name, {
        "metadata": {
            "description": description,
            "params": params,
            "num_layers": num_layers,
            "role": role,
        },
        "hub_handle": f"hf://dczoo/{name}",
        "path": os.path.join(PRESETS_DIR, name),
        "architecture": dict(_ARCHITECTURE, num_layers=num_layers),
    }


BUILTIN_PRESETS = dict(
    [
        _preset(
            6,
            8_943_775,
            "6-layer DeepConsensus teacher (the reference architecture).",
            "teacher",
        ),
        _preset(
            5,
            7_480_965,
            "5-layer student distilled from the v2 teacher, 1,000 steps, calibrated (see MODEL_CARD.md).",
            "student",
        ),
        _preset(
            4,
            6_018_155,
            "4-layer student distilled from the v2 teacher, 2,500 steps, calibrated (the paper's "
            "choice: 1.5x smaller, 1.3-1.5x faster end to end; see MODEL_CARD.md).",
            "student",
        ),
        _preset(
            3,
            4_555_345,
            "3-layer student distilled from the v2 teacher, 1,000 steps, calibrated (see MODEL_CARD.md).",
            "student",
        ),
    ]
)


def has_bundled_weights(name):
    """Whether built-in preset `name` ships its weights inside the package.

    Args:
        name: str, a key of `BUILTIN_PRESETS`.

    Returns:
        bool. True when `from_preset(name)` loads offline.

    Example:
    ```python
    has_bundled_weights("student_4layer")
    ```
    """
    return has_weights_file(BUILTIN_PRESETS[name]["path"])


def bundled_presets():
    """The built-in presets whose weights are bundled, in registry order.

    Returns:
        list of str.

    Example:
    ```python
    for name in bundled_presets():
        DeepConsensusCorrector.from_preset(name)
    ```
    """
    return [name for name in BUILTIN_PRESETS if has_bundled_weights(name)]


def default_preset(preferred=DEFAULT_PRESET, extra=(), has_weights=has_bundled_weights):
    """The preset that runs when none is chosen, or the chosen one has no weights.

    The one rule: `preferred` (`student_4layer`) if it has weights, else the
    first built-in preset (in `BUILTIN_PRESETS` order) that has, else the
    first of `extra` that has.

    Args:
        preferred: str. The preset wanted first.
        extra: iterable of str. More preset names tried after the built-ins
            (the local presets a Space offers, for example).
        has_weights: callable name -> bool. Whether a preset has its weights;
            by default whether a built-in preset's weights are bundled.

    Returns:
        str, the preset to run; None when no preset has weights.

    Example:
    ```python
    default_preset()  # "student_4layer" when its weights are bundled
    ```
    """
    for name in dict.fromkeys([preferred, *BUILTIN_PRESETS, *extra]):
        if has_weights(name):
            return name
    return None
