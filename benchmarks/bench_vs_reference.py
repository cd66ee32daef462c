"""`dczoo correct` against the reference's `deepconsensus run`, side by side.

Both tools run as whole commands (process start, imports, model loading,
preprocessing, model, stitching, writing) on the same input, one after the
other, in rounds: each round runs every configuration once, in an order that
rotates between rounds, optionally after waiting for the machine to be quiet.
Reported per configuration, as medians over the rounds:

* wall: seconds of the whole command, and ZMWs/s over it;
* processing: the tool's own time for the work after setup ("Processed N ZMWs
  in X seconds" of the reference; `timings_s.correction_loop` of dczoo's
  summary), which leaves out interpreter start, imports and model loading;
* model windows/s: windows that ran through the model over the model stage;
* CPU seconds (user + system) of the command;
* x reference: the reference's median over this configuration's median, for
  the wall and for the processing time.

Configurations: the reference (DeepConsensus 1.2.0 with a DeepConsensus
checkpoint, `--checkpoint`, `--cpus 2`), dczoo with that same checkpoint
converted (Keras/TensorFlow; same weights, same windows), the bundled
teacher_6layer and student_4layer on Keras/TensorFlow, and both presets
exported to ONNX (float32 and int8) on the onnxruntime engine. Every run uses
`--min-quality 0` (`--min_quality=0` for the reference: the published
comparison used a checkpoint with random weights, whose reads fail the Q20
filter; the model work is the same).

Setup (once): `bash benchmarks/install_reference.sh` installs DeepConsensus
1.2.0 into ~/.cache/dczoo/deepconsensus-1.2.0 (about 2 GB; needs Python 3.8).
Inputs: a folder with `subreads_to_ccs.bam` and `ccs.bam`, e.g. DeepConsensus's
`human_1m` test set (docs/inputs.md tells how to get it). Checkpoint: a
DeepConsensus 1.2 checkpoint folder (`checkpoint-1.*` or `checkpoint.*` files
and `params.json`), e.g. the official v1.2 model.

Usage:
    python benchmarks/bench_vs_reference.py --input human_1m=human_1m \
        --checkpoint deepconsensus_model/ --rounds 3 --json vs_reference.json
    python benchmarks/bench_vs_reference.py --input sim60=sim_test --max-zmws 60 \
        --checkpoint deepconsensus_model/ --rounds 2
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Defaults on the project's own machines (a data folder beside the repository): the human_1m test set, the
# reference's random-weight teacher checkpoint and an idle-machine wait. Elsewhere, pass --input and
# --checkpoint.
SHARED = REPO.parent / "shared"
HUMAN_1M = SHARED / "data" / "human_1m"
REFERENCE_TEACHER = SHARED / "data" / "reference" / "model" / "teacher"
WAIT_QUIET = SHARED / "tools" / "wait_quiet.sh"
# Where benchmarks/install_reference.sh installs DeepConsensus 1.2.0 by default.
DEFAULT_DCREF = Path.home() / ".cache" / "dczoo" / "deepconsensus-1.2.0"
PRESETS = ("teacher_6layer", "student_4layer")


def _environment():
    return dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="2")


def _dczoo():
    return [sys.executable, "-m", "dczoo.cli.main"]


def _export_models(folder):
    """ONNX float32 and int8 files of both presets (not timed)."""
    files = {}
    for preset in PRESETS:
        for int8 in (False, True):
            path = Path(folder) / f"{preset}{'_int8' if int8 else ''}.onnx"
            command = _dczoo() + ["export", preset, "--format", "onnx", "--output", str(path)]
            subprocess.run(command + (["--int8"] if int8 else []), check=True,
                           env=_environment(), capture_output=True)
            files[(preset, int8)] = path
    return files


def _subset(source, folder, max_zmws):
    """The first `max_zmws` ZMWs of a subreads_to_ccs/ccs BAM pair."""
    import pysam

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with pysam.AlignmentFile(str(source / "ccs.bam"), check_sq=False) as ccs:
        names = []
        with pysam.AlignmentFile(str(folder / "ccs.bam"), "wb", template=ccs) as out:
            for read in ccs:
                if len(names) == max_zmws:
                    break
                names.append(read.query_name)
                out.write(read)
    keep = {"/".join(name.split("/")[:2]) for name in names}
    with pysam.AlignmentFile(str(source / "subreads_to_ccs.bam"), check_sq=False) as subreads:
        with pysam.AlignmentFile(str(folder / "subreads_to_ccs.bam"), "wb",
                                 template=subreads) as out:
            for read in subreads:
                if "/".join(read.query_name.split("/")[:2]) in keep:
                    out.write(read)
    return folder


def _checkpoint_prefix(folder):
    """The checkpoint prefix in a DeepConsensus checkpoint folder (`checkpoint-1`, `checkpoint`, ...)."""
    indexes = sorted(Path(folder).glob("*.index"))
    return indexes[-1].with_suffix("") if indexes else None


def configurations(dcref, checkpoint, onnx_files, inputs_folder, out):
    """(name, command, parser) for every configuration of one input."""
    subreads = str(inputs_folder / "subreads_to_ccs.bam")
    ccs = str(inputs_folder / "ccs.bam")
    configs = [(
        "reference deepconsensus run (teacher checkpoint)",
        [str(Path(dcref) / "venv" / "bin" / "deepconsensus"), "run",
         f"--subreads_to_ccs={subreads}", f"--ccs_bam={ccs}",
         f"--checkpoint={_checkpoint_prefix(checkpoint)}",
         f"--output={out / 'reference.fastq'}", "--cpus=2", "--min_quality=0"],
        _reference_numbers,
    )]
    correct = _dczoo() + ["correct", "--subreads-to-ccs", subreads, "--ccs-bam", ccs,
                          "--min-quality", "0", "--quiet"]
    dczoo_runs = [("dczoo keras-tensorflow, same checkpoint", "same_checkpoint",
                   ["--model", str(_checkpoint_prefix(checkpoint))])]
    for preset in PRESETS:
        dczoo_runs.append((f"dczoo keras-tensorflow {preset}", preset, ["--model", preset]))
        for int8 in (False, True):
            label = f"dczoo onnxruntime {'int8' if int8 else 'float32'} {preset}"
            dczoo_runs.append((label, f"{preset}_ort{'_int8' if int8 else ''}",
                               ["--engine", "onnxruntime", "--model",
                                str(onnx_files[(preset, int8)])]))
    for label, tag, extra in dczoo_runs:
        output = out / f"{tag}.fastq"
        configs.append((label, correct + ["--output", str(output)] + extra,
                        lambda log, output=output: _dczoo_numbers(output)))
    return configs


def _reference_numbers(log):
    # "Processed N ZMWs in X seconds" counts from the start (the last one is
    # the whole run); "Example summary" is printed per batch of ZMWs.
    processed = re.findall(r"Processed (\d+) ZMWs in ([0-9.]+) seconds", log)
    ran = re.findall(r"ran model=(\d+) \([0-9.]+%; ([0-9.]+)s\)", log)
    if not processed or not ran:
        raise RuntimeError("the reference's log lacks its summary lines:\n" + log[-2000:])
    return {"zmws": int(processed[-1][0]), "processing_s": float(processed[-1][1]),
            "model_windows": sum(int(n) for n, _ in ran),
            "model_s": sum(float(t) for _, t in ran)}


def _dczoo_numbers(output):
    summary = json.loads(Path(str(output) + ".summary.json").read_text())
    timings = summary["timings_s"]
    return {"zmws": summary["zmws"], "processing_s": timings["correction_loop"],
            "model_windows": summary["windows"]["model"], "model_s": timings["model"]}


def _timed(command, wait_quiet):
    if wait_quiet and WAIT_QUIET.exists():
        subprocess.run(["bash", str(WAIT_QUIET), "120"], capture_output=True)
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               env=_environment(), text=True)
    log, _ = process.communicate()
    wall = time.perf_counter() - start
    if process.returncode != 0:
        raise RuntimeError(f"{command[:3]} exited {process.returncode}:\n{log[-3000:]}")
    return wall, log


def _cpu_seconds():
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_input(name, folder, args, onnx_files, scratch):
    out = Path(scratch) / name
    out.mkdir(parents=True, exist_ok=True)
    configs = configurations(args.dcref, args.checkpoint, onnx_files, folder, out)
    if args.only:
        configs = configs[:1] + [c for c in configs[1:] if any(o in c[0] for o in args.only)]
    samples = {label: [] for label, _, _ in configs}
    for round_index in range(args.rounds):
        shift = round_index % len(configs)
        for label, command, parse in configs[shift:] + configs[:shift]:
            cpu_before = _cpu_seconds()
            wall, log = _timed(command, not args.no_wait)
            numbers = parse(log)
            numbers.update(wall_s=wall, cpu_s=_cpu_seconds() - cpu_before)
            samples[label].append(numbers)
            print(f"[{name} round {round_index + 1}] {label}: wall {wall:.2f} s, "
                  f"processing {numbers['processing_s']:.2f} s", flush=True)
    reads = (_same_checkpoint_agreement(out) if (out / "same_checkpoint.fastq").exists()
             else None)
    return _summarize(name, samples, configs[0][0]), reads


def _same_checkpoint_agreement(out):
    """Reads of dczoo (reference checkpoint) identical to the reference's."""
    def records(path):
        lines = Path(path).read_text().splitlines()
        return {lines[i]: (lines[i + 1], lines[i + 3]) for i in range(0, len(lines), 4)}

    ours, theirs = records(out / "same_checkpoint.fastq"), records(out / "reference.fastq")
    return {"reads": len(theirs),
            "same_names": sorted(ours) == sorted(theirs),
            "identical_sequences": sum(ours.get(k, ("",))[0] == v[0] for k, v in theirs.items())}


def _summarize(name, samples, reference_label):
    rows = []
    medians = {label: {key: statistics.median(s[key] for s in runs) for key in runs[0]}
               for label, runs in samples.items()}
    reference = medians[reference_label]
    for label, m in medians.items():
        rows.append({
            "input": name, "configuration": label, "runs": len(samples[label]),
            "zmws": m["zmws"], "wall_s": round(m["wall_s"], 2),
            "zmws_per_s_wall": round(m["zmws"] / m["wall_s"], 3),
            "processing_s": round(m["processing_s"], 2),
            "model_windows_per_s": round(m["model_windows"] / m["model_s"], 1),
            "cpu_s": round(m["cpu_s"], 1),
            "x_reference_wall": round(reference["wall_s"] / m["wall_s"], 2),
            "x_reference_processing": round(reference["processing_s"] / m["processing_s"], 2),
            "all_wall_s": [round(s["wall_s"], 2) for s in samples[label]],
        })
    return rows


def table(rows):
    lines = ["| input | configuration | wall s (runs) | ZMWs/s (wall) | processing s | "
             "model windows/s | CPU s | x reference (wall) | x reference (processing) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['input']} | {r['configuration']} | {r['wall_s']} ({', '.join(map(str, r['all_wall_s']))}) "
            f"| {r['zmws_per_s_wall']} | {r['processing_s']} | {r['model_windows_per_s']} "
            f"| {r['cpu_s']} | {r['x_reference_wall']} | {r['x_reference_processing']} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dcref", default=os.environ.get("DCREF", str(DEFAULT_DCREF)),
                        help="folder made by benchmarks/install_reference.sh (default: $DCREF, "
                             f"else {DEFAULT_DCREF})")
    parser.add_argument("--checkpoint", default=str(REFERENCE_TEACHER) if REFERENCE_TEACHER.is_dir() else None,
                        help="DeepConsensus 1.2 checkpoint folder (checkpoint files and params.json) that "
                             "both tools run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--input", action="append", default=[],
                        help="NAME=FOLDER with subreads_to_ccs.bam and ccs.bam (repeatable; "
                             "docs/inputs.md tells how to get the human_1m test set)")
    parser.add_argument("--max-zmws", type=int, help="only the first N ZMWs of each --input")
    parser.add_argument("--only", action="append",
                        help="run only the dczoo configurations whose label contains this "
                             "(repeatable; the reference always runs)")
    parser.add_argument("--no-wait", action="store_true",
                        help="do not wait for a quiet machine before each run")
    parser.add_argument("--json", help="write the rows to this file")
    args = parser.parse_args()
    if not (Path(args.dcref) / "venv" / "bin" / "deepconsensus").exists():
        parser.error(f"{args.dcref}: no DeepConsensus 1.2.0 install there; run "
                     f"`bash benchmarks/install_reference.sh {args.dcref}` (needs Python 3.8) "
                     "or pass --dcref")
    if args.checkpoint is None:
        parser.error("--checkpoint is required: a DeepConsensus 1.2 checkpoint folder "
                     "(checkpoint files and params.json)")
    if not (Path(args.checkpoint) / "params.json").is_file() or _checkpoint_prefix(args.checkpoint) is None:
        parser.error(f"--checkpoint {args.checkpoint}: not a DeepConsensus checkpoint folder "
                     "(needs params.json and a checkpoint's .index file)")
    if not args.input and not HUMAN_1M.is_dir():
        parser.error("--input NAME=FOLDER is required (a folder with subreads_to_ccs.bam and ccs.bam; "
                     "docs/inputs.md tells how to get the human_1m test set)")
    for item in args.input:
        if "=" not in item:
            parser.error(f"--input {item}: expected NAME=FOLDER")
    inputs = [item.split("=", 1) for item in args.input] or [["human_1m", str(HUMAN_1M)]]
    rows, agreement = [], {}
    with tempfile.TemporaryDirectory(prefix="dczoo_vs_reference_") as scratch:
        onnx_files = _export_models(scratch)
        for name, folder in inputs:
            folder = Path(folder)
            if args.max_zmws:
                folder = _subset(folder, Path(scratch) / f"{name}_input", args.max_zmws)
            input_rows, agreement[name] = run_input(name, folder, args, onnx_files, scratch)
            rows += input_rows
    print(table(rows))
    print("dczoo with the reference checkpoint vs the reference's reads:", json.dumps(agreement))
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "same_checkpoint_reads": agreement},
                                              indent=1) + "\n")


if __name__ == "__main__":
    main()
