"""`make demo`: show the main job of dczoo on what is bundled with the package.

Until the correction command and trained presets land, the demo builds the
student_4layer architecture, prints its summary and runs it on well-formed
windows, saying plainly that the weights are untrained.
"""

import numpy as np

from dczoo import constants
from dczoo.models import DeepConsensusCorrector


def _demo_windows(batch=4, seed=0):
    rng = np.random.default_rng(seed)
    windows = np.zeros((batch, constants.num_rows(), constants.WINDOW_LENGTH), np.float32)
    rows = constants.row_slices()
    bases = rng.integers(1, 5, (batch, 1, constants.WINDOW_LENGTH))
    windows[:, slice(*rows["bases"])] = bases
    windows[:, slice(*rows["ccs"])] = bases
    windows[:, slice(*rows["pw"])] = rng.integers(5, 40, (batch, 20, 100))
    windows[:, slice(*rows["ip"])] = rng.integers(5, 40, (batch, 20, 100))
    windows[:, slice(*rows["strand"])] = 1
    windows[:, slice(*rows["sn"])] = 8.5
    return windows


def main():
    model = DeepConsensusCorrector.from_preset("student_4layer", load_weights=False)
    model.summary()
    probs = model.predict(_demo_windows(), verbose=0)
    print(f"probabilities: {probs.shape} (batch, columns, gap/A/T/C/G)")
    print("weights: untrained (trained presets are not bundled yet)")


if __name__ == "__main__":
    main()
