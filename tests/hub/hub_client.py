"""Runs dczoo's Hub code in a child process, as a user would.

huggingface_hub reads HF_ENDPOINT, HF_HUB_CACHE and HF_HUB_OFFLINE once, at
import, so each test environment gets its own process:

    python -m tests.hub.hub_client STEPS_JSON

STEPS_JSON is a list of steps, run in order; each gives one result:

- `{"op": "save", "folder": str, "seed": int, "metadata": dict, "windows":
  npy, "out": npy}`: a tiny corrector with weights drawn from `seed`, saved
  with save_to_preset; its probabilities on `windows` are saved to `out`.
- `{"op": "load", "handle": str, "windows": npy, "out": npy}`: from_preset,
  then predict `windows` and save the probabilities to `out`.
- `{"op": "upload", "uri": str, "preset": str, "private": bool}`:
  `dczoo.hub.upload_preset`; the result holds the commit url.
- `{"op": "cli", "argv": [...]}`: `dczoo.cli.main.main(argv)`, result `rc`.
- `{"op": "setenv", "name": str, "value": str or None}`.

A step that raises a DczooError gives `{"ok": false, "error": message,
"error_type": class name}`. The results are printed as one JSON line after
the marker `RESULTS:`.
"""

import json
import os
import sys

MARKER = "RESULTS:"


def _run_step(step):
    op = step["op"]
    if op == "load":
        import numpy as np
        from keras import ops

        from dczoo.models import DeepConsensusCorrector

        model = DeepConsensusCorrector.from_preset(step["handle"])
        windows = np.load(step["windows"])
        np.save(step["out"], ops.convert_to_numpy(model(windows)))
        return {}
    if op == "save":
        import numpy as np
        from keras import ops

        from tests.models.tiny import tiny_corrector

        model = tiny_corrector(seed=step["seed"])
        model.save_to_preset(step["folder"], metadata=step.get("metadata"))
        np.save(step["out"], ops.convert_to_numpy(model(np.load(step["windows"]))))
        return {}
    if op == "upload":
        from dczoo.hub import upload_preset

        info = upload_preset(step["uri"], step["preset"], private=step.get("private", False))
        return {"commit_url": info.commit_url, "oid": info.oid}
    if op == "cli":
        from dczoo.cli.main import main

        return {"rc": main(step["argv"])}
    if op == "setenv":
        if step["value"] is None:
            os.environ.pop(step["name"], None)
        else:
            os.environ[step["name"]] = step["value"]
        return {}
    raise ValueError(f"unknown op {op!r}")


def main(argv):
    from dczoo.errors import DczooError

    results = []
    for step in json.loads(argv[0]):
        try:
            result = dict(_run_step(step), ok=True)
        except DczooError as error:
            result = {"ok": False, "error": str(error), "error_type": type(error).__name__}
        results.append(result)
    sys.stdout.flush()
    print(MARKER + json.dumps(results), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
