"""Built-in presets of the DeepConsensus corrector.

Each entry records what the preset is, its parameter count, its canonical
Hugging Face Hub handle and the architecture. The preset folder bundled in the
package (`dczoo/models/presets/<name>/`) is used when it holds the weights, so
built-ins load offline.
"""

import os

PRESETS_DIR = os.path.join(os.path.dirname(__file__), "presets")

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
            "5-layer student distilled from teacher_6layer.",
            "student",
        ),
        _preset(
            4,
            6_018_155,
            "4-layer student distilled from teacher_6layer (the paper's choice: "
            "1.5x smaller, 1.3x faster).",
            "student",
        ),
        _preset(
            3,
            4_555_345,
            "3-layer student distilled from teacher_6layer.",
            "student",
        ),
    ]
)
