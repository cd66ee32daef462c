"""dczoo.presets: what a preset is, where it lives and which one runs.

A preset is a folder with `config.json` (the serialized corrector),
`model.weights.h5`, `metadata.json` (versions, parameter count, the sha256
manifest of config.json and the weights, anything else recorded at save
time) and `README.md` (the model card). A handle names one: a built-in name, a local folder, or
`hf://org/repo[@revision]` on the Hugging Face Hub.

This is the one place that knows it, with no deep learning framework
imported: `dczoo.models` builds and saves Keras models from presets,
`dczoo.hub` publishes them, and `dczoo.inference`, the demo, the Space and
the recipes pick one with `default_preset()`.

* `dczoo.presets.files`: the file names, sha256 and the checks of the files.
* `dczoo.presets.registry`: the built-in presets and the default-preset rule.
* `dczoo.presets.handles`: parsing handles and fetching a preset's files.

Example:
```python
from dczoo.presets import BUILTIN_PRESETS, default_preset
name = default_preset()           # "student_4layer" when its weights are bundled
BUILTIN_PRESETS[name]["hub_handle"]
```
"""

from dczoo.presets.files import (
    CARD_FILE,
    CONFIG_FILE,
    MANIFEST_FILES,
    MANIFEST_KEY,
    METADATA_FILE,
    PRESET_FILES,
    WEIGHTS_FILE,
    check_manifest,
    check_preset_config,
    check_weights_sha256,
    file_manifest,
    has_weights_file,
    read_json_file,
    sha256_of_file,
)
from dczoo.presets.handles import HF_SCHEME, MissingPresetFile, PresetSource, parse_hf_handle
from dczoo.presets.registry import (
    BUILTIN_PRESETS,
    DEFAULT_PRESET,
    PRESETS_DIR,
    bundled_presets,
    default_preset,
    has_bundled_weights,
)
