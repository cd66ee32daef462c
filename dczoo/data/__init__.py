"""dczoo.data: DeepConsensus 1.2 preprocessing (BAM -> model windows).

Public API (numpy + pysam only; `WindowDataset` imports Keras on first use):

* `iter_zmw_windows(subreads_to_ccs, ccs_bam, ...)`: one `ZmwWindows` per
  ZMW, in input order, bit-exact with the reference; used by both
  `dczoo preprocess` and `dczoo correct`.
* `ZmwWindows`: windows, metadata and (training) labels of one ZMW.
* `TruthInputs`: the truth files of training mode.
* `preprocess(subreads_to_ccs, ccs_bam, out, truth=..., ...)`: what
  `dczoo preprocess` does, as a function (a dataset folder and its summary).
* `DatasetWriter`, `pack_for_shards`, `read_shard`, `read_summary`,
  `shard_paths`: the shard format written by `dczoo preprocess`.
* `load_split`: the windows and labels of a split (or a sample of them) as
  numpy arrays, for evaluation and benchmarks.
* `ShuffledBatches` (numpy) and `WindowDataset` (`keras.utils.PyDataset`).
* `iter_tf_examples`, `convert_tfrecords`: read DeepConsensus TFRecords
  without TensorFlow.
"""

from dczoo.data.batching import ShuffledBatches
from dczoo.data.dataset_writer import DatasetWriter
from dczoo.data.labels import TruthInputs
from dczoo.data.pipeline import iter_zmw_windows, parse_chunk, sum_counters
from dczoo.data.preprocess import preprocess
from dczoo.data.shards import load_split, read_shard, read_summary, shard_paths
from dczoo.data.tfrecord import convert_tfrecords, iter_tf_examples
from dczoo.data.window_packing import PackedZmw, pack_for_shards
from dczoo.data.windows import assemble_windows
from dczoo.data.zmw_processing import PreprocessConfig, process_zmw
from dczoo.data.zmw_windows import ZmwWindows
from dczoo.lazy_exports import lazy_exports

_EXPORTS = {"WindowDataset": "dataset"}

__all__ = [
    "DatasetWriter",
    "PackedZmw",
    "PreprocessConfig",
    "ShuffledBatches",
    "TruthInputs",
    "ZmwWindows",
    "assemble_windows",
    "convert_tfrecords",
    "iter_tf_examples",
    "iter_zmw_windows",
    "load_split",
    "pack_for_shards",
    "parse_chunk",
    "preprocess",
    "process_zmw",
    "read_shard",
    "read_summary",
    "shard_paths",
    "sum_counters",
] + sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
