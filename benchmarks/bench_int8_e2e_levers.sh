#!/usr/bin/env bash
# Whole-command levers of `dczoo correct` with an int8 ONNX model, in rotating rounds (medians).
#
#   bash benchmarks/bench_int8_e2e_levers.sh SIM_FOLDER MODEL.onnx OUT_FOLDER [ROUNDS]
#
# SIM_FOLDER holds subreads_to_ccs.bam and ccs.bam (e.g. `python recipes/make_data.py test --zmws 100
# --out data/` -> data/sim_test); MODEL.onnx from `dczoo export PRESET --int8`. Each round runs, in
# turn: the defaults (batch 64, all cores), --batch-size 256, --cpus 2 (preprocessing in worker
# processes), and two --chunk shards with --threads 1 each at the same time (merged after). Prints
# one line per configuration with the median wall seconds and the rounds; writes OUT_FOLDER/levers.json.
set -euo pipefail
sim=$1; model=$2; out=$3; rounds=${4:-3}
mkdir -p "$out"
run() {  # name, then dczoo correct options
  local name=$1; shift
  dczoo correct --subreads-to-ccs "$sim/subreads_to_ccs.bam" --ccs-bam "$sim/ccs.bam" --model "$model" \
    --engine onnxruntime --min-quality 0 --quiet --output "$out/$name.fastq" "$@"
}
declare -A walls
for round in $(seq 1 "$rounds"); do
  for name in default batch256 cpus2 two_shards_threads1; do
    rm -f "$out"/*.fastq "$out"/*.summary.json
    start=$(date +%s.%N)
    case $name in
      default) run default ;;
      batch256) run batch256 --batch-size 256 ;;
      cpus2) run cpus2 --cpus 2 ;;
      two_shards_threads1)
        run shard0 --threads 1 --chunk 0/2 & run shard1 --threads 1 --chunk 1/2 & wait
        dczoo merge "$out/shard0.fastq" "$out/shard1.fastq" --output "$out/$name.fastq" --quiet ;;
    esac
    end=$(date +%s.%N)
    walls[$name]="${walls[$name]:-} $(python3 -c "print(round($end - $start, 2))")"
  done
done
python3 - "$out" "${walls[default]}" "${walls[batch256]}" "${walls[cpus2]}" "${walls[two_shards_threads1]}" <<'PY'
import json, statistics, sys
out, names = sys.argv[1], ["default", "batch256", "cpus2", "two_shards_threads1"]
rows = {}
for name, walls in zip(names, sys.argv[2:]):
    values = [float(v) for v in walls.split()]
    rows[name] = {"median_wall_s": statistics.median(values), "wall_s": values}
base = rows["default"]["median_wall_s"]
for name, row in rows.items():
    row["x_default"] = round(base / row["median_wall_s"], 3)
    print(f"{name}: median {row['median_wall_s']:.2f} s ({row['x_default']:.2f}x the defaults), rounds {row['wall_s']}")
json.dump(rows, open(f"{out}/levers.json", "w"), indent=1)
PY
