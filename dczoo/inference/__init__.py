"""dczoo.inference: correcting reads with a trained corrector.

Public API (imported on first use, so `import dczoo.inference` stays light):

* `correct(subreads_to_ccs, ccs_bam, model=..., output=None, **options)`:
  corrected reads (list of `CorrectedRead`, with `.summary`).
* `run_correction(...)` and `CorrectionOptions`: the engine behind
  `dczoo correct` (writes FASTQ/BAM atomically plus a summary JSON).
* `filter_reads(...)`: the engine behind `dczoo filter`.
* `merge_shards(...)`: the engine behind `dczoo merge` (the shards of
  `--chunk i/N` runs -> one file in single-run order).
* Engines (`Engine`, `load_engine`): `BatchedPredictor` (keras) and, for
  the `onnxruntime` engine, `OnnxPredictor` and `load_onnx_corrector`.
* Building blocks: `ZmwCorrector` (emits a `ZmwResult` per ZMW, which
  `correct(..., on_zmw=...)` hands out), `RunStats`, `QualityCalibration`,
  `probabilities_to_calls`, `average_phred`, `skip_mask`, `stitch_read`,
  `ReadFilter`, `FastqWriter`, `BamWriter`, `load_corrector`.
"""

from dczoo.lazy_exports import lazy_exports

_EXPORTS = {
    "BamWriter": "bam_writer",
    "BatchedPredictor": "batched_predictor",
    "CorrectedRead": "corrected_read",
    "CorrectionOptions": "pipeline",
    "Engine": "engine",
    "FastqWriter": "fastq_writer",
    "OnnxPredictor": "onnx_engine",
    "QualityCalibration": "quality",
    "ReadFilter": "read_filter",
    "RunStats": "run_stats",
    "ZmwCorrector": "zmw_corrector",
    "ZmwResult": "zmw_corrector",
    "average_phred": "quality",
    "correct": "pipeline",
    "filter_reads": "read_filter",
    "load_corrector": "model_loading",
    "load_engine": "engine",
    "load_onnx_corrector": "onnx_engine",
    "merge_shards": "merge",
    "probabilities_to_calls": "quality",
    "run_correction": "pipeline",
    "skip_mask": "window_skipping",
    "stitch_read": "stitching",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
