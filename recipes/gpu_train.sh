#!/usr/bin/env bash
# Train the teacher on a fresh GPU machine in one command of a few minutes.
#
#   bash recipes/gpu_train.sh OUT [MINUTES]
#
# On a bare machine with a GPU, CUDA JAX and many cores (e.g. an H100 with 16
# cores), from a checkout of this repository:
#   1. installs what the machine lacks from wheels brought along
#      ($DCZOO_WHEELS, default .whl/: keras, namex, optree, pysam, edlib,
#      pyabpoa for its Python; see "Wheels" below);
#   2. simulates randomized training data with every core and preprocesses it
#      (recipes/make_data.py train);
#   3. trains the teacher with JAX (mixed bfloat16) for the minutes left, with
#      the learning rate decayed over that time (train_teacher.py --max-minutes);
#   4. writes to OUT: the final preset's weights in parts of at most 15 MiB
#      (model.weights.h5.part-aa, -ab, ...; `cat` them back together), and
#      run.tar.gz with the preset's config.json/metadata.json, the run's
#      settings.json, log.csv, time_budget.json and this script's log.
# MINUTES (default 9) is the whole command's budget; the script keeps
# $DCZOO_RESERVE_SECONDS (default 45) for packaging.
#
# Settings (environment): DCZOO_TRAIN_ZMWS (6000), DCZOO_INSERT_MEAN (6000),
# DCZOO_RANDOM_GENOME (2000000), DCZOO_BATCH_SIZE (256), DCZOO_LEARNING_RATE
# (2e-3), DCZOO_DTYPE_POLICY (mixed_bfloat16), DCZOO_INIT (a preset folder to
# start from, e.g. the CPU-trained teacher), DCZOO_WORK (scratch, /tmp/dczoo_gpu),
# DCZOO_SIM_CPUS (all cores).
#
# Wheels, made once on a machine with pip and internet, for the GPU machine's
# Python (3.12 on this project's GPU machines):
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
#     --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
#     --platform manylinux_2_24_x86_64 --platform manylinux2014_x86_64 -d .whl \
#     keras==3.15.1 namex==0.1.0 optree==0.20.0 pysam==0.24.1 edlib==1.3.9.post1 pyabpoa
#
# A tiny configuration runs on any CPU in a couple of minutes (the test,
# tests/recipes/test_gpu_train_script.py):
#   DCZOO_TRAIN_ZMWS=30 DCZOO_INSERT_MEAN=1500 DCZOO_RANDOM_GENOME=60000 \
#   DCZOO_BATCH_SIZE=8 bash recipes/gpu_train.sh /tmp/out 2.5
set -euo pipefail

OUT=${1:?usage: bash recipes/gpu_train.sh OUT [MINUTES]}
MINUTES=${2:-9}
START=$(date +%s)
REPO=$(cd "$(dirname "$0")/.." && pwd)
WHEELS=${DCZOO_WHEELS:-$REPO/.whl}
WORK=${DCZOO_WORK:-/tmp/dczoo_gpu}
ZMWS=${DCZOO_TRAIN_ZMWS:-6000}
INSERT_MEAN=${DCZOO_INSERT_MEAN:-6000}
RANDOM_GENOME=${DCZOO_RANDOM_GENOME:-2000000}
BATCH=${DCZOO_BATCH_SIZE:-256}
LR=${DCZOO_LEARNING_RATE:-2e-3}
POLICY=${DCZOO_DTYPE_POLICY:-mixed_bfloat16}
RESERVE=${DCZOO_RESERVE_SECONDS:-45}
CPUS=${DCZOO_SIM_CPUS:-$(nproc)}
PYTHON=${PYTHON:-python3}

mkdir -p "$OUT" "$WORK"
LOG="$WORK/gpu_train.log"
: > "$LOG"
trap 'echo "gpu_train: failed; the end of $LOG:" >&2; tail -25 "$LOG" >&2' ERR
say() { echo "[gpu_train $(( $(date +%s) - START ))s] $*" | tee -a "$LOG"; }

# 1. what the machine lacks
if ! "$PYTHON" -c "import keras, pysam, edlib, pyabpoa" 2>/dev/null; then
  if ! ls "$WHEELS"/*.whl >/dev/null 2>&1; then
    echo "gpu_train: keras/pysam/edlib/pyabpoa are missing and $WHEELS has no wheels" >&2
    exit 2
  fi
  say "installing $(ls "$WHEELS"/*.whl | wc -l) wheels from $WHEELS"
  "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target "$WORK/site" "$WHEELS"/*.whl >>"$LOG" 2>&1
  export PYTHONPATH="$WORK/site${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"
export KERAS_BACKEND=jax TF_CPP_MIN_LOG_LEVEL=2 PYTHONUNBUFFERED=1
"$PYTHON" -c "import jax; print('devices:', jax.devices())" 2>&1 | tee -a "$LOG"

# 2. data, with every core
say "simulating $ZMWS ZMWs on $CPUS cores"
"$PYTHON" "$REPO/recipes/make_data.py" train --out "$WORK/data" --zmws "$ZMWS" --cpus "$CPUS" \
  --insert-mean "$INSERT_MEAN" --random-genome "$RANDOM_GENOME" >>"$LOG" 2>&1
say "data ready: $("$PYTHON" -c "import json,sys; s=json.load(open(sys.argv[1]))['splits']; print({k: v['windows'] for k, v in s.items()}, 'windows')" "$WORK/data/windows_train/summary.json")"

# 3. train for what is left
LEFT=$("$PYTHON" -c "print(int($MINUTES * 60 - ($(date +%s) - $START) - $RESERVE))")
if [ "$LEFT" -lt 30 ]; then
  echo "gpu_train: only ${LEFT}s left for training after the data; give more MINUTES" >&2
  exit 3
fi
# start-up, JAX compilation and the last save take ~45 s outside the training budget
TRAIN_MINUTES=$("$PYTHON" -c "print(round(max($LEFT - 45, 15) / 60, 3))")
INIT=()
if [ -n "${DCZOO_INIT:-}" ]; then INIT=(--init-from "$DCZOO_INIT"); fi
say "training for $TRAIN_MINUTES minutes (batch $BATCH, $POLICY)"
"$PYTHON" "$REPO/recipes/train_teacher.py" --data "$WORK/data/windows_train" --out "$WORK/run" \
  --steps 100000000 --max-minutes "$TRAIN_MINUTES" --steps-per-epoch 500 --eval-batches 8 \
  --warmup-steps 300 --batch-size "$BATCH" --learning-rate "$LR" --dtype-policy "$POLICY" \
  "${INIT[@]}" >>"$LOG" 2>&1
say "trained: $(cat "$WORK/run/done.json" | tr -d '\n ' | cut -c1-200)"

# 4. package: weights in parts, the rest in one archive
split -b 15M -d -a 2 "$WORK/run/final/model.weights.h5" "$OUT/model.weights.h5.part-"
mkdir -p "$WORK/pack"
cp "$WORK/run/final/config.json" "$WORK/run/final/metadata.json" "$WORK/run/settings.json" \
  "$WORK/run/log.csv" "$WORK/pack/"
cp "$WORK/run/time_budget.json" "$WORK/pack/" 2>/dev/null || true
(cd "$WORK/run/final" && sha256sum model.weights.h5) > "$WORK/pack/model.weights.h5.sha256"
say "done; total $(( $(date +%s) - START ))s"
cp "$LOG" "$WORK/pack/"
tar -czf "$OUT/run.tar.gz" -C "$WORK/pack" .
ls -la "$OUT"
