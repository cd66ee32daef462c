"""The presets the Space offers: every built-in, plus extra folders.

Built-in presets load from the weights bundled in the dczoo package. A preset
without weights is still listed (marked "no weights yet"); choosing it runs
the one `dczoo.presets.default_preset` picks instead (the default, else the
first built-in, then the first extra preset, that has weights) and says so in
the page. Extra presets (a name -> preset folder mapping) come from
`build_app(extra_presets=...)` or the `DCZOO_SPACE_PRESETS` environment
variable (`name=folder,name=folder`), so tests and local trials can use a
model that is not bundled.
"""

import collections
import os
import threading

from dczoo.errors import DczooInputError
from dczoo.presets import BUILTIN_PRESETS, DEFAULT_PRESET, default_preset, has_weights_file

PRESETS_ENV = "DCZOO_SPACE_PRESETS"


class NoWeightsError(DczooInputError):
    """No offered preset has weights, so nothing can run."""


def presets_from_env(value=None):
    """Parses `DCZOO_SPACE_PRESETS` ("name=folder,name=folder").

    Args:
        value: str or None. The variable's text; None reads the environment.

    Returns:
        dict name -> folder (empty when unset).

    Example:
    >>> presets_from_env("tiny=/tmp/tiny, other=/tmp/other")
    {'tiny': '/tmp/tiny', 'other': '/tmp/other'}
    """
    value = os.environ.get(PRESETS_ENV, "") if value is None else value
    presets = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        name, sep, folder = item.partition("=")
        if not sep or not name.strip() or not folder.strip():
            raise ValueError(f"{PRESETS_ENV}: expected name=folder, got {item!r}")
        presets[name.strip()] = folder.strip()
    return presets


class PresetCatalog:
    """Which presets the page lists, which have weights, and the loaded models.

    Args:
        extra_presets: dict name -> preset folder, listed after the built-ins.
        default: str. The preset selected when the page opens.
        cache_size: int. Loaded models kept in memory.

    Example:
    ```python
    catalog = PresetCatalog({"my_student": "runs/student/best"})
    name, note = catalog.resolve("student_4layer")   # falls back if no weights
    model = catalog.load(name)
    ```
    """

    def __init__(self, extra_presets=None, default=DEFAULT_PRESET, cache_size=2):
        self.builtins = dict(BUILTIN_PRESETS)
        self.extras = {name: os.fspath(path) for name, path in (extra_presets or {}).items()}
        clash = set(self.extras) & set(self.builtins)
        if clash:
            raise ValueError(f"extra presets reuse built-in names: {sorted(clash)}")
        self.default = default
        if default not in self.names:
            raise ValueError(f"default preset {default!r} is not offered: {self.names}")
        self._cache = collections.OrderedDict()
        self._cache_size = max(1, cache_size)
        self._lock = threading.Lock()

    @property
    def names(self):
        """All offered preset names: built-ins, then extras."""
        return list(self.builtins) + list(self.extras)

    def folder(self, name):
        """The folder holding the preset's files."""
        if name in self.builtins:
            return self.builtins[name]["path"]
        return self.extras[name]

    def handle(self, name):
        """What `DeepConsensusCorrector.from_preset` takes for this preset."""
        return name if name in self.builtins else self.extras[name]

    def has_weights(self, name):
        """Whether the preset's weights file is there."""
        return has_weights_file(self.folder(name))

    def label(self, name):
        """The text shown in the preset picker."""
        if name in self.builtins:
            meta = self.builtins[name]["metadata"]
            text = f"{name} ({meta['num_layers']} layers, {meta['params'] / 1e6:.1f} M parameters)"
        else:
            text = f"{name} (local preset)"
        return text if self.has_weights(name) else f"{text}: no weights yet"

    def choices(self):
        """`(label, name)` pairs for a `gr.Dropdown`."""
        return [(self.label(name), name) for name in self.names]

    def resolve(self, name):
        """The preset to run for a choice, and a note when it is another one.

        Args:
            name: str. The chosen preset (None or "" means the default).

        Returns:
            `(name_to_run, note)`; `note` is None when the choice has weights,
            else a sentence saying which preset runs instead.

        Raises:
            DczooInputError: unknown name. NoWeightsError: no preset has weights.
        """
        name = name or self.default
        if name not in self.names:
            raise DczooInputError(f"unknown preset {name!r}; choose one of {', '.join(self.names)}")
        if self.has_weights(name):
            return name, None
        other = default_preset(self.default, self.extras, self.has_weights)
        if other is not None:
            return other, (
                f"{name} has no trained weights in this installation yet, "
                f"so this run used {other} instead."
            )
        raise NoWeightsError(
            f"{name} has no trained weights in this installation yet, and neither "
            f"has any other preset ({', '.join(self.names)}). Trained presets will "
            "be bundled with a later dczoo release."
        )

    def load(self, name):
        """The loaded `DeepConsensusCorrector` of a preset (cached).

        Keeping the model object lets the correction pipeline reuse its
        compiled functions on the next run.
        """
        from dczoo.models import DeepConsensusCorrector

        with self._lock:
            if name in self._cache:
                self._cache.move_to_end(name)
                return self._cache[name]
            model = DeepConsensusCorrector.from_preset(self.handle(name))
            self._cache[name] = model
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
            return model
