"""dczoo.presets: what a preset is, where it lives and which one runs.

A preset is a folder with `config.json` (the serialized corrector),
`model.weights.h5`, `metadata.json` (versions, parameter count, sha256 of the
weights, anything else recorded at save time) and `README.md` (the model
card). A handle names one: a built-in name, a local folder, or
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

from dczoo.presets.files import CARD_FILE
from dczoo.presets.files import CONFIG_FILE
from dczoo.presets.files import METADATA_FILE
from dczoo.presets.files import PRESET_FILES
from dczoo.presets.files import WEIGHTS_FILE
from dczoo.presets.files import check_preset_config
from dczoo.presets.files import check_weights_sha256
from dczoo.presets.files import has_weights_file
from dczoo.presets.files import read_json_file
from dczoo.presets.files import sha256_of_file
from dczoo.presets.handles import HF_SCHEME
from dczoo.presets.handles import MissingPresetFile
from dczoo.presets.handles import PresetSource
from dczoo.presets.handles import parse_hf_handle
from dczoo.presets.registry import BUILTIN_PRESETS
from dczoo.presets.registry import DEFAULT_PRESET
from dczoo.presets.registry import PRESETS_DIR
from dczoo.presets.registry import bundled_presets
from dczoo.presets.registry import default_preset
from dczoo.presets.registry import has_bundled_weights
