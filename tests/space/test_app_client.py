"""The Space served on 127.0.0.1 and called with gradio_client on the bundled example."""

import os
import re
import threading
import time

import edlib
import numpy as np
import pysam
import pytest

from tests.space.conftest import dump, read_fastq, require_space_packages, serve

require_space_packages()
import gradio_client  # noqa: E402


@pytest.fixture(scope="module")
def client(served_app):
    return gradio_client.Client(served_app.url, verbose=False)


KEYS = ("status", "numbers_text", "quality_plot", "window_plot", "table", "files", "numbers",
        "histogram_plot")
STAGE_WORDS = ("loading the model", "preprocessing", "model batches", "writing", "comparing reads")


def call(client, subreads, ccs, preset="tiny", min_quality=0, skip=45, truth=None):
    handle = gradio_client.handle_file
    out = client.predict(handle(str(subreads)), handle(str(ccs)), preset, min_quality, skip,
                         handle(str(truth)) if truth else None, api_name="/correct")
    return dict(zip(KEYS, out))


def table_rows(table):
    return [dict(zip(table["headers"], row)) for row in table["data"]]


@pytest.fixture(scope="module")
def example_run(client, example):
    return call(client, example / "subreads_to_ccs.bam", example / "ccs.bam",
                truth=example / "truth_to_ccs.bam")


@pytest.fixture(scope="module")
def trained_run(client, example):
    """The example with a bundled trained preset, so reads do reach Q20 and Q30."""
    return call(client, example / "subreads_to_ccs.bam", example / "ccs.bam",
                preset="student_3layer", truth=example / "truth_to_ccs.bam")


def drafts_of(example):
    with pysam.AlignmentFile(str(example / "ccs.bam"), check_sq=False) as bam:
        return {r.query_name: (r.query_sequence, np.asarray(r.query_qualities)) for r in bam}


def truth_of(example):
    with pysam.AlignmentFile(str(example / "truth_to_ccs.bam")) as bam:
        return {r.reference_name: r.query_sequence for r in bam}


def mean_quality(qualities):
    """A read's average quality in probability space, rounded as `dczoo correct` compares it."""
    qualities = np.asarray(qualities, np.float64)
    return round(float(-10 * np.log10(np.mean(10 ** (-qualities / 10)))), 5)


def reverse_complement(sequence):
    return sequence[::-1].translate(str.maketrans("ACGT", "TGCA"))


@pytest.fixture(scope="module")
def direct_reads(example, test_presets):
    """The same correction through dczoo.inference.correct, outside the app."""
    from dczoo.inference import correct

    return correct(example / "subreads_to_ccs.bam", example / "ccs.bam",
                   model=test_presets["tiny"], min_quality=0)


def test_example_fastq_and_bam_equal_the_pipeline(example_run, direct_reads, example):
    assert "Done" in example_run["status"], dump(example_run)
    files = {path.rsplit("/", 1)[-1]: path for path in example_run["files"]}
    assert set(files) == {"corrected.fastq", "corrected.bam"}
    fastq = read_fastq(files["corrected.fastq"])
    with pysam.AlignmentFile(str(example / "ccs.bam"), check_sq=False) as bam:
        draft_names = [r.query_name for r in bam]
    assert [name for name, _, _ in fastq] == draft_names
    assert [(r.name, r.sequence, r.quality_string) for r in direct_reads] == fastq
    with pysam.AlignmentFile(files["corrected.bam"], check_sq=False) as bam:
        records = list(bam)
        assert "dczoo" in str(bam.header)
    assert [(r.query_name, r.query_sequence) for r in records] == [(n, s) for n, s, _ in fastq]
    assert all(r.has_tag("zm") and r.has_tag("np") for r in records)


def test_example_table_matches_reads_and_drafts(example_run, example):
    rows = table_rows(example_run["table"])
    fastq = {name: seq for name, seq, _ in read_fastq(
        next(p for p in example_run["files"] if p.endswith(".fastq")))}
    with pysam.AlignmentFile(str(example / "ccs.bam"), check_sq=False) as bam:
        drafts = {r.query_name: r.query_sequence for r in bam}
    with pysam.AlignmentFile(str(example / "truth_to_ccs.bam")) as bam:
        truth = {r.reference_name: r.query_sequence for r in bam}
    assert [row["read"] for row in rows] == list(drafts)
    for row in rows:
        assert row["draft length"] == len(drafts[row["read"]])
        assert row["corrected length"] == len(fastq[row["read"]])
        assert row["status"] == "written"
        assert row["windows corrected"] + row["windows kept draft"] >= 1
        assert 0 < row["draft Q"] <= 93
        # Identity = 1 - edits / alignment columns, and max(lengths) <= columns <= sum.
        for column, read in (("identity before %", drafts[row["read"]]),
                             ("identity after %", fastq[row["read"]])):
            edits = edlib.align(read, truth[row["read"]], mode="NW")["editDistance"]
            lengths = (len(read), len(truth[row["read"]]))
            low, high = 1 - edits / max(lengths), 1 - edits / sum(lengths)
            assert 100 * low - 1e-3 <= row[column] <= 100 * high + 1e-3
    changed = [row for row in rows if fastq[row["read"]] != drafts[row["read"]]]
    assert all(row["bases changed"] > 0 for row in changed)
    assert all(row["bases changed"] == 0 for row in rows if row not in changed)


def test_example_numbers_add_up(example_run, direct_reads):
    numbers = example_run["numbers"]
    rows = table_rows(example_run["table"])
    summary = direct_reads.summary
    assert numbers["zmws"] == summary["zmws"] == 20
    assert numbers["reads_written"] == len(direct_reads) == 20
    assert numbers["windows_total"] == summary["windows"]["total"]
    assert numbers["windows_model"] == summary["windows"]["model"]
    assert numbers["windows_total"] == sum(r["windows corrected"] + r["windows kept draft"] for r in rows)
    assert numbers["windows_model"] == sum(r["windows corrected"] for r in rows)
    assert numbers["bases_changed"] == sum(r["bases changed"] for r in rows)
    assert numbers["correction_seconds"] > 0 and numbers["model_windows_per_s"] > 0
    identity = numbers["identity"]
    assert identity["reads"] == 20
    mean_before = np.mean([r["identity before %"] for r in rows]) / 100
    assert identity["draft"] == pytest.approx(mean_before, abs=1e-4)
    assert f"{numbers['model_windows_per_s']:.1f} windows/s" in example_run["numbers_text"]
    assert "Identity to the true sequence (20 reads)" in example_run["numbers_text"]
    for plot in ("quality_plot", "window_plot"):
        assert example_run[plot]["type"] == "matplotlib"
        assert example_run[plot]["plot"].startswith("data:image/")


def test_min_quality_keeps_table_but_drops_downloads(client, example):
    result = call(client, example / "subreads_to_ccs.bam", example / "ccs.bam", min_quality=60)
    assert "No read reached Q60" in result["status"]
    assert not result["files"]
    rows = table_rows(result["table"])
    assert len(rows) == 20 and {row["status"] for row in rows} == {"below Q60"}
    assert result["numbers"]["reads_written"] == 0


def test_preset_without_weights_falls_back_with_a_note(client, example):
    result = call(client, example / "subreads_to_ccs.bam", example / "ccs.bam", preset="unfinished")
    assert "unfinished has no trained weights" in result["status"]
    used = result["numbers"]["preset"]
    assert used != "unfinished" and f"used {used} instead" in result["status"]
    assert len(table_rows(result["table"])) == 20


def test_errors_are_messages_not_tracebacks(client, example, text_file, tmp_path):
    other_ccs = tmp_path / "other_ccs.bam"
    with pysam.AlignmentFile(str(example / "ccs.bam"), check_sq=False) as bam, \
            pysam.AlignmentFile(str(other_ccs), "wb", template=bam) as out:
        for record in list(bam)[1:]:  # without the draft of the first subread
            out.write(record)
    cases = {
        "not a BAM file": (text_file, example / "ccs.bam"),
        "did you swap the two files": (example / "ccs.bam", example / "subreads_to_ccs.bam"),
        "does not match": (example / "subreads_to_ccs.bam", other_ccs),
    }
    for expected, (subreads, ccs) in cases.items():
        result = call(client, subreads, ccs)
        assert expected in result["status"] and "dczoo-error" in result["status"], result["status"]
        assert "Traceback" not in result["status"] and "/tmp/" not in result["status"]
        assert result["table"] is None or not result["table"]["data"]


def test_every_builtin_preset_is_listed_and_student_4layer_is_default(served_app):
    from dczoo.models import BUILTIN_PRESETS

    dropdown = next(c for c in served_app.demo.config["components"]
                    if c.get("props", {}).get("elem_id") == "preset")
    values = [choice[1] for choice in dropdown["props"]["choices"]]
    assert values[: len(BUILTIN_PRESETS)] == list(BUILTIN_PRESETS)
    assert set(values) == set(BUILTIN_PRESETS) | {"tiny", "unfinished"}
    assert dropdown["props"]["value"] == "student_4layer"
    labels = dict((v, k) for k, v in dropdown["props"]["choices"])
    assert labels["unfinished"].endswith("no weights yet") and "no weights" not in labels["tiny"]


def test_queue_runs_one_at_a_time_and_is_bounded(served_app, space_app):
    queue = served_app.demo._queue
    assert queue.max_size == space_app.QUEUE_SIZE
    assert queue.default_concurrency_limit == 1
    correct_fn = next(fn for fn in served_app.demo.fns.values() if fn.api_name == "correct")
    assert correct_fn.concurrency_limit in ("default", 1)


def test_cancel_stops_a_waiting_run(space_app, test_presets, tmp_path, example):
    """Cancel from the client while the run waits for the one-run lock."""
    import space_jobs

    served = serve(space_app, test_presets, tmp_path)
    try:
        client = gradio_client.Client(served.url, verbose=False)
        handle = gradio_client.handle_file
        with space_jobs.RUN_LOCK:  # as if another visitor's run were going on
            job = client.submit(handle(str(example / "subreads_to_ccs.bam")),
                                handle(str(example / "ccs.bam")), "tiny", 0, 45, api_name="/correct")
            deadline = time.time() + 60
            while not any("Correcting" in str(out[0]) for out in job.outputs()):
                assert time.time() < deadline, "the run never started waiting"
                time.sleep(0.2)
            job.cancel()
            time.sleep(1.5)
        deadline = time.time() + 20
        while space_jobs.RUN_LOCK.locked() or threading.active_count() and any(
                t.name == "dczoo-space-run" for t in threading.enumerate()):
            assert time.time() < deadline, "the cancelled run did not stop"
            time.sleep(0.2)
        assert not any(served.output_root.glob("run_*/corrected.fastq"))
    finally:
        served.demo.close()


def test_cancel_interrupts_the_correction_pipeline(example, test_presets, tmp_path):
    """The job's cancel stops a real `correct` run between model batches."""
    import space_jobs
    from dczoo.inference import correct

    output = tmp_path / "out.fastq"
    started = {}

    def work():
        started["t"] = time.perf_counter()
        return correct(example / "subreads_to_ccs.bam", example / "ccs.bam",
                       model=test_presets["tiny"], output=output, min_quality=0,
                       skip_windows_above=0, batch_size=1)

    job = space_jobs.BackgroundJob(work).start()
    while "t" not in started:
        time.sleep(0.01)
    time.sleep(0.3)
    job.cancel()
    assert job.wait(30)
    assert isinstance(job.error, space_jobs.RunCancelled), job.error
    assert not output.exists() and not list(tmp_path.iterdir())
    assert not space_jobs.RUN_LOCK.locked()


def test_a_cancelled_run_ends_as_cancelled_whatever_the_interrupted_code_raised():
    """The asynchronous exception can surface as another error when it lands
    inside C code; a run that was cancelled still reports RunCancelled."""
    import space_jobs

    running = threading.Event()

    def work():
        running.set()
        try:
            while True:
                time.sleep(0.01)
        except space_jobs.RunCancelled:
            raise SystemError("bad argument to internal function") from None

    job = space_jobs.BackgroundJob(work).start()
    assert running.wait(10)
    job.cancel()
    assert job.wait(10)
    assert isinstance(job.error, space_jobs.RunCancelled)
    assert isinstance(job.error.__cause__, SystemError)
    assert not space_jobs.RUN_LOCK.locked()

    failing = space_jobs.BackgroundJob(lambda: 1 / 0).start()
    assert failing.wait(10)
    assert isinstance(failing.error, ZeroDivisionError)  # not cancelled: the error itself


def test_yield_at_q20_and_q30_before_and_after(trained_run, example):
    """Bases of the reads whose average predicted quality reaches Q20/Q30: the
    drafts' qualities from ccs.bam before, the corrected FASTQ's after."""
    assert "Done" in trained_run["status"] or "instead" in trained_run["status"], dump(trained_run)
    fastq = read_fastq(next(p for p in trained_run["files"] if p.endswith(".fastq")))
    assert len(fastq) == 20  # min quality 0: every read is in the download
    drafts = drafts_of(example)
    expected = {}
    for threshold in (20, 30):
        expected[f"Q{threshold}"] = {
            "draft": sum(len(seq) for seq, quals in drafts.values() if mean_quality(quals) >= threshold),
            "corrected": sum(len(seq) for _, seq, quals in fastq
                             if mean_quality([ord(c) - 33 for c in quals]) >= threshold),
        }
    assert trained_run["numbers"]["yield_bases"] == expected
    # A trained model lifts some reads over both thresholds (else the check above proves little).
    assert 0 < expected["Q30"]["corrected"] < expected["Q20"]["corrected"]
    assert expected["Q20"]["corrected"] != expected["Q20"]["draft"]
    text = trained_run["numbers_text"]
    for name, bases in expected.items():
        assert (f"| Yield at {name}: bases in reads of predicted quality {name} or more | "
                f"{bases['draft']:,} | **{bases['corrected']:,}** |") in text


def test_empirical_yield_with_truth(trained_run):
    rows = table_rows(trained_run["table"])
    empirical = trained_run["numbers"]["empirical_yield_bases"]
    for threshold in (20, 30):
        lowest = 100 * (1 - 10 ** (-threshold / 10))
        for column, length, side in (("identity before %", "draft length", "draft"),
                                     ("identity after %", "corrected length", "corrected")):
            # The table rounds identities to 3 decimals; none of these reads sits on a threshold.
            assert all(abs(row[column] - lowest) > 1e-3 for row in rows)
            bases = sum(row[length] for row in rows if row[column] >= lowest)
            assert empirical[f"Q{threshold}"][side] == bases
    assert empirical["Q20"]["corrected"] > 0


def test_per_base_quality_histogram(trained_run, example):
    fastq = read_fastq(next(p for p in trained_run["files"] if p.endswith(".fastq")))
    draft_qualities = np.concatenate([quals for _, quals in drafts_of(example).values()])
    corrected_qualities = np.array([ord(c) - 33 for _, _, quals in fastq for c in quals])
    histogram = trained_run["numbers"]["quality_histogram"]
    assert histogram["draft"] == np.bincount(draft_qualities, minlength=94).tolist()
    assert histogram["corrected"] == np.bincount(corrected_qualities, minlength=94).tolist()
    assert histogram["draft"] != histogram["corrected"]
    assert trained_run["histogram_plot"]["type"] == "matplotlib"
    assert trained_run["histogram_plot"]["plot"].startswith("data:image/")


def test_truth_fasta_on_either_strand_gives_the_bam_truths_identities(client, example, example_run,
                                                                      tmp_path):
    """Half the ZMWs in a FASTA, named movie/zmw, every other one reverse-complemented,
    plus a record of no ZMW: identities equal those with truth_to_ccs.bam."""
    truth = list(truth_of(example).items())[::2]
    fasta = tmp_path / "my_truth.fasta"
    with open(fasta, "w") as handle:
        for index, (draft, sequence) in enumerate(truth):
            movie, zmw = draft.split("/")[:2]
            sequence = reverse_complement(sequence) if index % 2 else sequence
            handle.write(f">{movie}/{zmw} true insert\n{sequence}\n")
        handle.write(">chr1\nACGTACGTACGT\n")
    result = call(client, example / "subreads_to_ccs.bam", example / "ccs.bam", truth=fasta)
    assert "Done" in result["status"], dump(result)
    assert result["numbers"]["truth"] == {"file": "my_truth.fasta", "records": 11, "zmws_with_truth": 10}
    assert result["numbers"]["identity"]["reads"] == 10
    assert "Identity to the true sequence (10 reads)" in result["numbers_text"]
    with_bam = {row["read"]: row for row in table_rows(example_run["table"])}
    with_truth = {draft for draft, _ in truth}
    for row in table_rows(result["table"]):
        for column in ("identity before %", "identity after %"):
            if row["read"] in with_truth:
                assert row[column] == with_bam[row["read"]][column]
            else:
                assert row[column] is None or np.isnan(row[column])


def test_without_truth_there_is_no_identity(client, example):
    result = call(client, example / "subreads_to_ccs.bam", example / "ccs.bam")
    assert result["numbers"]["identity"] is None and result["numbers"]["empirical_yield_bases"] is None
    assert "truth" not in result["numbers"]
    assert "identity before %" not in result["table"]["headers"]
    assert "Identity" not in result["numbers_text"] and "Yield at Q30" in result["numbers_text"]


def test_bad_truth_files_get_clear_messages(client, example, text_file, tmp_path):
    fastq = tmp_path / "truth.fastq"
    fastq.write_text("@m64001_000020_000000/4194304\nACGT\n+\n!!!!\n")
    unrelated = tmp_path / "genome.fasta"
    unrelated.write_text(">chr1 a genome, not ZMWs\nACGTACGTAC\n>chr2\nACGT\n")
    cases = {
        "notes.txt cannot serve as the truth: it looks like a text file": text_file,
        "truth.fastq cannot serve as the truth: it looks like FASTQ": fastq,
        "ccs.bam is an unaligned BAM (no @SQ lines)": example / "ccs.bam",
        "subreads_to_ccs.bam holds subreads (READTYPE=SUBREAD), not true sequences": (
            example / "subreads_to_ccs.bam"),
        "genome.fasta: none of its 2 sequences belongs to a ZMW of ccs.bam": unrelated,
    }
    for expected, truth in cases.items():
        result = call(client, example / "subreads_to_ccs.bam", example / "ccs.bam", truth=truth)
        status = result["status"]
        assert expected in status and "dczoo-error" in status, status
        assert "Traceback" not in status and "/tmp/" not in status
        assert result["table"] is None or not result["table"]["data"]


def test_messages_render_markdown_and_escape_file_names(client, example, space_app, tmp_path):
    sam = tmp_path / "aligned.sam"
    sam.write_text("@HD\tVN:1.6\n@SQ\tSN:ref\tLN:10\n")
    status = call(client, sam, example / "ccs.bam")["status"]
    assert "<code>samtools view -b</code>" in status and "`" not in status, status
    # Gradio drops < and > from uploaded names; a message still escapes what it shows.
    message = space_app._message("ok", "<script>x</script>.bam: Click **Correct**.")
    assert message == ('<div class="dczoo-ok">&lt;script&gt;x&lt;/script&gt;.bam: '
                       'Click <b>Correct</b>.</div>')


def test_each_stage_is_shown_with_a_progress_bar(client, example):
    """Status lines name each stage in order; the gr.Progress bar moves too
    (seen deterministically while the run waits for the one-run lock)."""
    import space_jobs

    handle = gradio_client.handle_file
    descriptions = set()
    with space_jobs.RUN_LOCK:  # as if another visitor's run were going on
        job = client.submit(handle(str(example / "subreads_to_ccs.bam")),
                            handle(str(example / "ccs.bam")), "tiny", 0, 45, None,
                            api_name="/correct")
        deadline = time.time() + 60
        while "Waiting for the run before yours" not in descriptions:
            assert time.time() < deadline, "no progress update while waiting"
            descriptions.update(p.desc for p in job.status().progress_data or [])
            time.sleep(0.05)
    while not job.done():
        descriptions.update(p.desc for p in job.status().progress_data or [])
        time.sleep(0.05)
    statuses = [out[0] for out in job.outputs()]
    assert "Done" in statuses[-1], statuses[-1]
    assert "waiting for the run before yours" in statuses[0]
    firsts = [next(i for i, text in enumerate(statuses) if f"<b>{word}" in text) for word in STAGE_WORDS]
    assert firsts == sorted(firsts), statuses
    model = next(text for text in statuses if "<b>model batches" in text)
    assert re.search(r"\d+ of 20 ZMWs preprocessed, [1-9]\d* windows through the model", model)


@pytest.mark.parametrize("verbose", [False, True])
def test_main_hides_native_start_up_lines_unless_verbose(space_app, monkeypatch, verbose):
    """The app's life runs inside `quiet_native_logs`: TF_CPP_MIN_LOG_LEVEL is 2
    while it serves (the CLI's rule), untouched with --verbose."""
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    seen = []
    monkeypatch.setattr(space_app, "build_app", lambda: "app")
    monkeypatch.setattr(space_app, "launch", lambda app, host, port: seen.append(
        os.environ.get("TF_CPP_MIN_LOG_LEVEL")))
    space_app.main(["--verbose"] if verbose else [])
    assert seen == ([None] if verbose else ["2"])
    assert "TF_CPP_MIN_LOG_LEVEL" not in os.environ  # restored when the app stops
