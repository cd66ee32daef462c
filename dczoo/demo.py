"""`make demo`: correct the bundled example offline and show what changed.

Runs `dczoo.inference.correct` (the code behind `dczoo correct`) on the
20 simulated ZMWs bundled with the package, with the default preset
(`dczoo.presets.default_preset()`: student_4layer, or the first built-in
preset whose weights are bundled), and prints per-read identity to the true
sequence before (draft) and after correction. Outputs go to `demo_output/`.
"""

import os
import sys
import time

import pysam

from dczoo.analysis.truth_identity import identity_to_truth, load_truth
from dczoo.examples import example_dir
from dczoo.presets import DEFAULT_PRESET, default_preset


def main(out_dir="demo_output"):
    from dczoo.inference import correct

    example = example_dir("sim_small")
    preset = default_preset()
    if preset is None:
        print("no built-in preset has bundled weights yet: nothing to correct with")
        return 1
    if preset != DEFAULT_PRESET:
        print(f"{DEFAULT_PRESET} has no bundled weights yet; using {preset}")
    os.makedirs(out_dir, exist_ok=True)
    output = os.path.join(out_dir, "corrected.fastq")
    start = time.time()
    reads = correct(
        os.path.join(example, "subreads_to_ccs.bam"),
        os.path.join(example, "ccs.bam"),
        model=preset,
        output=output,
        min_quality=0,
    )
    seconds = time.time() - start
    truth = load_truth(os.path.join(example, "truth_to_ccs.bam"))
    with pysam.AlignmentFile(os.path.join(example, "ccs.bam"), "rb", check_sq=False) as bam:
        drafts = {r.query_name: r.query_sequence for r in bam}
    print(f"\n{'read':<36} {'length':>7} {'draft identity':>15} {'corrected':>10}")
    before = after = 0.0
    for read in reads:
        draft_identity = identity_to_truth(drafts[read.name], truth[read.name])
        corrected_identity = identity_to_truth(read.sequence, truth[read.name])
        before += draft_identity
        after += corrected_identity
        print(f"{read.name:<36} {len(read.sequence):>7} {draft_identity:>15.5f} "
              f"{corrected_identity:>10.5f}")
    count = max(len(reads), 1)
    print(f"\n{len(reads)} reads corrected with {preset} in {seconds:.1f} s; mean identity "
          f"to truth {before / count:.5f} (draft) -> {after / count:.5f} (corrected)")
    print(f"written: {output} and {output}.summary.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
