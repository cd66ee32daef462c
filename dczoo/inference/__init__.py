"""dczoo.inference: correcting reads with a trained corrector.

Public API:

* `correct(subreads_to_ccs, ccs_bam, model=..., output=None, **options)`:
  corrected reads (list of `CorrectedRead`, with `.summary`).
* `run_correction(...)` and `CorrectionOptions`: the engine behind
  `dczoo correct` (writes FASTQ/BAM atomically plus a summary JSON).
* Building blocks: `BatchedPredictor`, `ZmwCorrector`, `QualityCalibration`,
  `probabilities_to_calls`, `average_phred`, `skip_mask`, `stitch_read`,
  `ReadFilter`, `FastqWriter`, `BamWriter`, `load_corrector`.
"""

from dczoo.inference.bam_writer import BamWriter
from dczoo.inference.batched_predictor import BatchedPredictor
from dczoo.inference.corrected_read import CorrectedRead
from dczoo.inference.fastq_writer import FastqWriter
from dczoo.inference.model_loading import load_corrector
from dczoo.inference.pipeline import CorrectionOptions, correct, run_correction
from dczoo.inference.quality import (
    QualityCalibration,
    average_phred,
    probabilities_to_calls,
)
from dczoo.inference.read_filter import ReadFilter
from dczoo.inference.stitching import stitch_read
from dczoo.inference.window_skipping import skip_mask
from dczoo.inference.zmw_corrector import ZmwCorrector
