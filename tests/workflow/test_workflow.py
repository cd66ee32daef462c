"""The bundled Snakemake workflow: 3 chunks run locally give the single run's bytes, a rerun after a
lost shard recomputes only it, and the SLURM profile's dry run renders every job's resources."""

import json
import os
import re
import subprocess
import sys

import pytest

from dczoo.cli.main import main
from dczoo.workflow import config_example, correct_memory_mb, profile, snakefile

from tests.workflow.conftest import CHUNKS, assert_same_bam, correct

pytest.importorskip("snakemake", reason="the workflow needs Snakemake (dczoo[workflow])")


def _workflow(folder, *arguments):
    """Runs `dczoo workflow ...` in `folder` in a new process; returns (exit status, its output)."""
    result = subprocess.run([sys.executable, "-m", "dczoo.cli.main", "workflow", *arguments], cwd=folder,
                            capture_output=True, text=True, timeout=600)
    return result.returncode, result.stdout + result.stderr


def _config(example, preset, out, min_length):
    return ["--config", f"subreads={example[0]}", f"ccs={example[1]}", f"chunks={CHUNKS}", f"out={out}",
            f"model={preset}", "cpus=0", "threads=1", f"correct_args=--min-quality 0 --min-length {min_length}"]


def _correct_jobs(log):
    """The chunks whose correct job ran, from Snakemake's log."""
    return sorted(int(i) for i in re.findall(r"rule correct:\n(?:    .*\n)*?    wildcards: i=(\d+)", log))


def test_workflow_path(capsys):
    assert main(["workflow"]) == 0
    assert capsys.readouterr().out.strip() == snakefile()
    assert os.path.isfile(snakefile()) and os.path.isfile(config_example())
    assert os.path.isfile(os.path.join(profile("slurm"), "config.yaml"))


def test_correct_memory_model():
    assert correct_memory_mb(256, 100) == 1536  # 1 GB + 1.7 MB x 256 windows + 1 MB x 100 ZMWs
    assert correct_memory_mb(1024, 100) == 2841


@pytest.fixture(scope="module")
def fastq_workflow(example, tiny_preset, min_length, tmp_path_factory):
    """A workflow run with 3 chunks and FASTQ output, and the single run it must equal."""
    folder = tmp_path_factory.mktemp("workflow")
    status, log = _workflow(folder, "run", "--cores", "1", *_config(example, tiny_preset, "corrected.fastq",
                                                                    min_length))
    assert status == 0, log[-3000:]
    single = folder / "single.fastq"
    assert correct(example, single, tiny_preset, "--min-length", str(min_length)) == 0
    return folder, single, log


def test_workflow_gives_the_single_run(fastq_workflow):
    folder, single, log = fastq_workflow
    assert _correct_jobs(log) == [0, 1, 2]
    assert (folder / "corrected.fastq").read_bytes() == single.read_bytes()
    report = (folder / "corrected.fastq.report.tsv").read_text().splitlines()
    assert report[0].split("\t") == ["chunk", "zmws", "reads_written", "seconds", "zmws_per_s"]
    assert [line.split("\t")[0] for line in report[1:]] == ["0/3", "1/3", "2/3", "total"]
    assert report[-1].split("\t")[1] == "20"
    for i in range(CHUNKS):  # the job's threads reach the model's runtime
        shard = json.loads((folder / "corrected.fastq.shards" / f"{i}.fastq.summary.json").read_text())
        assert shard["settings"]["threads"] == 1
        assert shard["model_threads"] == {"requested": 1, "applied": True}


def test_rerun_recomputes_only_a_lost_shard(fastq_workflow, example, tiny_preset, min_length):
    """Resume: shard 1 and the merged output lost (an interrupted run); the rerun redoes only them."""
    folder, single, _ = fastq_workflow
    shards = folder / "corrected.fastq.shards"
    kept = {name: (shards / name).stat().st_mtime_ns for name in ("0.fastq", "2.fastq")}
    for name in ("corrected.fastq", "corrected.fastq.summary.json", "corrected.fastq.report.tsv",
                 "corrected.fastq.shards/1.fastq"):
        (folder / name).unlink()
    status, log = _workflow(folder, "run", "--cores", "1", *_config(example, tiny_preset, "corrected.fastq",
                                                                    min_length))
    assert status == 0, log[-3000:]
    assert _correct_jobs(log) == [1]
    assert "rule merge:" in log
    assert {name: (shards / name).stat().st_mtime_ns for name in kept} == kept
    assert (folder / "corrected.fastq").read_bytes() == single.read_bytes()
    status, log = _workflow(folder, "run", "--cores", "1", *_config(example, tiny_preset, "corrected.fastq",
                                                                    min_length))
    assert status == 0 and "Nothing to be done" in log


def test_workflow_bam_gives_the_single_run(example, tiny_preset, min_length, tmp_path):
    status, log = _workflow(tmp_path, "run", "--cores", "2", *_config(example, tiny_preset, "corrected.bam",
                                                                      min_length))
    assert status == 0, log[-3000:]
    single = tmp_path / "single.bam"
    assert correct(example, single, tiny_preset, "--min-length", str(min_length)) == 0
    assert_same_bam(tmp_path / "corrected.bam", single)


@pytest.mark.parametrize("out", ["corrected.fastq", "corrected.bam"])
def test_workflow_on_real_reads_gives_the_single_run(human_1m, tiny_preset, tmp_path, out):
    """The 10 real human_1m ZMWs (long reads, thousands of windows) in 3 chunks: the merged file is
    the single run's, byte for byte (a BAM: but its @PG command line)."""
    config = ["--config", f"subreads={human_1m[0]}", f"ccs={human_1m[1]}", f"chunks={CHUNKS}", f"out={out}",
              f"model={tiny_preset}", "cpus=0", "threads=1", "correct_args=--min-quality 0 --kinetics"
              if out.endswith(".bam") else "correct_args=--min-quality 0"]
    status, log = _workflow(tmp_path, "run", "--cores", "2", *config)
    assert status == 0, log[-3000:]
    assert _correct_jobs(log) == [0, 1, 2]
    single = tmp_path / ("single." + out.split(".")[-1])
    extra = ("--kinetics",) if out.endswith(".bam") else ()
    assert correct(human_1m, single, tiny_preset, *extra) == 0
    if out.endswith(".bam"):
        assert_same_bam(tmp_path / out, single)
    else:
        assert (tmp_path / out).read_bytes() == single.read_bytes()
    merged = json.loads((tmp_path / (out + ".summary.json")).read_text())
    assert merged["zmws"] == 10 and merged["reads_written"] == json.loads(
        (tmp_path / (single.name + ".summary.json")).read_text())["reads_written"]


def test_slurm_profile_dry_run_renders_resources(example, tmp_path):
    pytest.importorskip("snakemake_executor_plugin_slurm", reason="snakemake-executor-plugin-slurm (dczoo[workflow])")
    status, log = _workflow(tmp_path, "run", "--profile", "slurm", "--config", f"subreads={example[0]}",
                            f"ccs={example[1]}", "chunks=3", "out=corrected.bam", "threads=8", "batch_size=128",
                            "--", "--dry-run")
    assert status == 0, log[-3000:]
    assert "Using profile" in log
    jobs = re.findall(r"rule (\w+):\n((?:    .*\n)+)", log)
    correct_jobs = [body for rule, body in jobs if rule == "correct"]
    assert len(correct_jobs) == 3
    memory = correct_memory_mb(128, 100)
    for body in correct_jobs:
        resources = re.search(r"resources: (.*)", body).group(1)
        assert f"mem_mb={memory}" in resources and "cpus_per_task=8" in resources
        assert "slurm_partition=your_partition" in resources and "runtime=720" in resources
    merge = next(body for rule, body in jobs if rule == "merge")
    assert "mem_mb=2000" in merge and "runtime=120" in merge
    assert "--chunk 2/3" in log and "--batch-size 128" in log
    # the job's threads reach dczoo correct (a dry run renders them scaled to this machine's cores)
    assert re.search(r"--threads \d+ ", log)
    assert not any(tmp_path.glob("corrected.bam*"))


def test_missing_config_is_one_clear_line(tmp_path):
    status, log = _workflow(tmp_path, "run", "--cores", "1", "--config", "out=corrected.fastq", "--", "--dry-run")
    assert status != 0
    assert "config key 'subreads' is required" in log
