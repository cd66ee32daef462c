"""dczoo Space: upload a small PacBio BAM pair, correct it on CPU, see what changed.

Run locally with `python space/app.py` (serves http://127.0.0.1:7860) or, in
Python, `build_app(...)` then `launch(demo)`. The correction itself is
`dczoo.inference.correct`, the code behind `dczoo correct`; its progress
callback drives the page's progress bar (preprocessing, model batches,
writing).
"""

import argparse
import html
import logging
import os
import queue
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import gradio as gr  # noqa: E402

import space_inputs  # noqa: E402
import space_presets  # noqa: E402
from dczoo.constants import MAX_BASE_QUALITY  # noqa: E402
from dczoo.inference.read_filter import DEFAULT_MIN_QUALITY  # noqa: E402
from dczoo.inference.window_skipping import DEFAULT_SKIP_WINDOWS_ABOVE  # noqa: E402
from dczoo.native_logs import quiet_native_logs  # noqa: E402
from space_jobs import BackgroundJob, RunCancelled  # noqa: E402

LOG = logging.getLogger("dczoo.space")
QUEUE_SIZE = 8
RUN_TIME_LIMIT_S = 600
OUTPUT_MAX_AGE_S = 3600
INTRO = """# dczoo: correct PacBio HiFi reads with a small transformer
Upload **subreads_to_ccs.bam** (subreads aligned to their draft read, made by `actc`) and **ccs.bam**
(the draft reads), or click the bundled example. The model reads every subread of a ZMW and rewrites
the draft where it disagrees; windows whose draft is already very good keep it. The page shows the
yield (bases in reads at Q20 and Q30) before and after; add the true sequences (FASTA, or
`truth_to_ccs.bam`) to see the identity too. Everything runs on CPU, at most {max_zmws} ZMWs and
{max_mb:g} MB per file. For whole SMRT Cells use `dczoo correct`.
"""
# What the status line says in each stage of a run (`space_report.RUN_STAGES` and the two before).
STAGES = {
    "waiting": "waiting for the run before yours",
    "loading": "loading the model",
    "preprocessing": "preprocessing (building windows from the subreads)",
    "model": "model batches",
    "writing": "writing corrected.fastq and corrected.bam",
    "analysing": "comparing reads before and after",
}


def _example_rows():
    """The bundled examples: subreads_to_ccs.bam, ccs.bam and their truth (or None)."""
    from dczoo.examples import available_examples, example_dir

    rows = []
    for name in available_examples():
        folder = example_dir(name)
        truth = folder / "truth_to_ccs.bam"
        rows.append([str(folder / "subreads_to_ccs.bam"), str(folder / "ccs.bam"),
                     str(truth) if truth.is_file() else None])
    return rows


def _output_folder(root):
    """A fresh folder for one run's downloads; removes ones older than an hour."""
    root.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for old in root.glob("run_*"):
        if now - old.stat().st_mtime > OUTPUT_MAX_AGE_S:
            shutil.rmtree(old, ignore_errors=True)
    return tempfile.mkdtemp(prefix="run_", dir=root)


def _bases(count):
    return f"{count:,}"


def _numbers_markdown(numbers):
    lines = []
    lines.append(
        f"**{numbers['reads_written']} of {numbers['zmws']} reads written** "
        f"(min quality Q{numbers['min_quality']:g}) with **{numbers['preset']}** "
        f"on {numbers['backend']}."
    )
    lines.append(
        f"- Run time: **{numbers['correction_seconds']:.1f} s** for the correction "
        f"({numbers['total_seconds']:.1f} s with this page's analysis); "
        f"**{numbers['model_windows_per_s'] or 0:.1f} windows/s** through the model, "
        f"{numbers['zmws_per_s'] or 0:.2f} ZMWs/s"
    )
    lines.append(
        f"- Windows: {numbers['windows_total']} in total, **{numbers['windows_model']} corrected "
        f"by the model**, {numbers['windows_passed_through']} kept the draft; "
        f"{numbers['bases_changed']} bases changed"
    )
    truth = numbers.get("truth")
    if truth:
        lines.append(f"- Truth: {truth['file']}, true sequences of {truth['zmws_with_truth']} of "
                     f"{numbers['zmws']} ZMWs")
    lines.append("")
    lines.append("| | draft (before) | corrected (after) |")
    lines.append("|:--|--:|--:|")
    for name, bases in numbers["yield_bases"].items():
        lines.append(f"| Yield at {name}: bases in reads of predicted quality {name} or more | "
                     f"{_bases(bases['draft'])} | **{_bases(bases['corrected'])}** |")
    if numbers["mean_corrected_quality"] is not None:
        lines.append(f"| Mean predicted read quality | Q{numbers['mean_draft_quality']:.1f} | "
                     f"**Q{numbers['mean_corrected_quality']:.1f}** |")
    identity = numbers["identity"]
    if identity:
        lines.append(
            f"| Identity to the true sequence ({identity['reads']} reads) | "
            f"{100 * identity['draft']:.3f}% (Q{identity['draft_phred']:.1f}) | "
            f"**{100 * identity['corrected']:.3f}% (Q{identity['corrected_phred']:.1f})** |"
        )
    for name, bases in (numbers.get("empirical_yield_bases") or {}).items():
        lines.append(f"| Yield at empirical {name}: bases in reads whose identity to the truth "
                     f"is {name} or more | {_bases(bases['draft'])} | **{_bases(bases['corrected'])}** |")
    return "\n".join(lines)


def _table(reads):
    import pandas as pd

    with_truth = any(r.identity_draft is not None for r in reads)
    rows = []
    for r in reads:
        row = {
            "read": r.name,
            "draft length": r.draft_length,
            "corrected length": r.corrected_length,
            "draft Q": round(r.draft_quality, 2),
            "corrected Q": None if r.corrected_quality is None else round(r.corrected_quality, 2),
            "windows corrected": int((~r.passed_through).sum()),
            "windows kept draft": int(r.passed_through.sum()),
            "bases changed": int(r.changes.sum()),
        }
        if with_truth:
            row["identity before %"] = None if r.identity_draft is None else round(100 * r.identity_draft, 3)
            row["identity after %"] = (
                None if r.identity_corrected is None else round(100 * r.identity_corrected, 3)
            )
        row["status"] = r.status
        rows.append(row)
    return pd.DataFrame(rows)


def _inline_html(text):
    """A message as HTML: the text escaped (file names come from visitors),
    its `**bold**` and `` `code` `` markdown rendered.

    Example:
    >>> _inline_html("Click **Correct** or run `dczoo correct` <here>")
    'Click <b>Correct</b> or run <code>dczoo correct</code> &lt;here&gt;'
    """
    text = html.escape(str(text), quote=False)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)


def _message(kind, text):
    # Words, not emoji: some browsers (headless Chromium on servers) lack emoji fonts.
    prefix = {"error": "<b>Error:</b> ", "warning": "<b>Note:</b> "}.get(kind, "")
    return f'<div class="dczoo-{kind}">{prefix}{_inline_html(text)}</div>'


def _stage_message(stage, counts, n_zmws, name, elapsed):
    """The status line of a running job: its stage and what is done so far."""
    text = f"Correcting {n_zmws} ZMWs with {name}: **{STAGES[stage]}**"
    if counts is not None and stage in ("preprocessing", "model"):
        text += (f". {counts.zmws_preprocessed} of {n_zmws} ZMWs preprocessed, "
                 f"{counts.windows_predicted} windows through the model, "
                 f"{counts.zmws_corrected} of {n_zmws} ZMWs corrected")
    return _message("busy", f"{text} ({elapsed:.0f} s)")


def _show_progress(progress, stage, counts, n_zmws):
    """Moves the page's progress bar (`gr.Progress`): ZMWs corrected so far."""
    done = 0 if counts is None else counts.zmws_corrected
    if stage in ("writing", "analysing"):
        done = n_zmws
    progress((done, n_zmws), desc=STAGES[stage].capitalize(), unit="ZMWs")


def build_app(extra_presets=None, default_preset=space_presets.DEFAULT_PRESET,
              max_upload_mb=space_inputs.MAX_UPLOAD_MB, max_zmws=space_inputs.MAX_ZMWS,
              queue_size=QUEUE_SIZE, output_root=None, batch_size=64):
    """Builds the Space's `gr.Blocks` (queued: one run at a time).

    Args:
        extra_presets: dict name -> preset folder offered after the built-ins
            (default: from the `DCZOO_SPACE_PRESETS` environment variable).
        default_preset: str. Preset selected when the page opens.
        max_upload_mb: float. Size limit per uploaded file.
        max_zmws: int. Limit on the ZMWs of an upload.
        queue_size: int. Runs that may wait in the queue.
        output_root: folder for the downloads (default: a temp folder).
        batch_size: int. Windows per model call; small batches let Cancel
            stop a run within one batch.

    Returns:
        `gr.Blocks`; start it with `launch(demo)`.

    Example:
    ```python
    demo = build_app(extra_presets={"my_student": "runs/student/best"})
    launch(demo, port=7861)
    ```
    """
    if extra_presets is None:
        extra_presets = space_presets.presets_from_env()
    catalog = space_presets.PresetCatalog(extra_presets, default=default_preset)
    output_root = Path(output_root or Path(tempfile.gettempdir()) / "dczoo_space")
    jobs = {}

    def check_uploads(subreads, ccs, truth=None):
        paths = (subreads, ccs, truth)
        if not subreads and not ccs:
            return _message("ok", "Truth added; now add the two BAM files.") if truth else ""
        try:
            if subreads and not ccs:
                space_inputs.check_bam_file(subreads, space_inputs.SUBREADS_ROLE, max_upload_mb)
                return _message("ok", f"{space_inputs.display_name(subreads)} looks like a BAM; now add ccs.bam.")
            if ccs and not subreads:
                space_inputs.check_bam_file(ccs, space_inputs.CCS_ROLE, max_upload_mb)
                return _message("ok", f"{space_inputs.display_name(ccs)} looks like a BAM; "
                                      "now add subreads_to_ccs.bam.")
            checked = space_inputs.check_inputs(subreads, ccs, max_upload_mb, max_zmws)
            with_truth = ""
            if truth:
                loaded = space_inputs.load_truth_file(truth, checked.draft_names, max_upload_mb)
                with_truth = (f"; {loaded.name} has the true sequences of {len(loaded.sequences)} "
                              "of them")
        except space_inputs.DczooInputError as error:
            return _message("error", space_inputs.friendly_message(error, paths))
        return _message("ok", f"Ready: {checked.n_zmws} ZMWs ({checked.megabytes:.1f} MB){with_truth}. "
                              "Click **Correct**.")

    def correct_reads(subreads, ccs, preset, min_quality, skip_windows_above, truth=None,
                      progress=gr.Progress(), request: gr.Request = None):
        from space_plots import quality_figure, quality_histogram_figure, window_map_figure
        from space_report import run_report

        keep = gr.skip()
        blank = (None,) * 7
        paths = (subreads, ccs, truth)
        try:
            checked = space_inputs.check_inputs(subreads, ccs, max_upload_mb, max_zmws)
            loaded_truth = (space_inputs.load_truth_file(truth, checked.draft_names, max_upload_mb)
                            if truth else None)
            name, note = catalog.resolve(preset)
        except space_inputs.DczooInputError as error:
            yield (_message("error", space_inputs.friendly_message(error, paths)),) + blank
            return
        out_dir = _output_folder(output_root)
        events = queue.SimpleQueue()  # (stage, CorrectionProgress or None) from the job's thread

        def work():
            events.put(("loading", None))
            model = catalog.load(name)
            return run_report(checked, model, name, out_dir, float(min_quality),
                              float(skip_windows_above), truth=loaded_truth, batch_size=batch_size,
                              on_progress=lambda stage, counts: events.put((stage, counts)))

        job = BackgroundJob(work).start()
        session = getattr(request, "session_hash", None)
        jobs[session] = job
        started = time.perf_counter()
        try:
            # Show each stage at once the first time, else at most every half second.
            # Preprocessing goes on while the model runs; once a model batch has run
            # the page says "model batches" (the status line counts both).
            stage, counts, seen, shown_at = "waiting", None, set(), 0.0
            while True:
                try:
                    stage, counts = events.get(timeout=0.5)
                except queue.Empty:
                    if job.wait(0):
                        break
                if stage == "preprocessing" and "model" in seen:
                    stage = "model"
                now = time.perf_counter()
                if stage in seen and now - shown_at < 0.5:
                    continue
                seen.add(stage)
                _show_progress(progress, stage, counts, checked.n_zmws)
                # The first update clears the outputs of an earlier run.
                yield (_stage_message(stage, counts, checked.n_zmws, name, now - started),) + (
                    (keep,) * 7 if shown_at else blank)
                shown_at = now
        finally:
            if not job.wait(0):
                job.cancel()
            if jobs.get(session) is job:
                del jobs[session]
        error = job.error
        if isinstance(error, RunCancelled) or (job.cancelled and error is not None):
            yield (_message("cancelled", "Cancelled."),) + blank
            return
        if isinstance(error, space_inputs.DczooInputError):
            yield (_message("error", space_inputs.friendly_message(error, paths)),) + blank
            return
        if error is not None:
            LOG.error("run failed", exc_info=error)
            text = str(error).splitlines()[0] if str(error) else ""
            yield (_message("error", f"The run failed ({type(error).__name__}: "
                            f"{space_inputs.friendly_message(text, paths)})."),) + blank
            return
        report = job.result
        numbers = dict(report.numbers, note=note, queue_wait_seconds=round(job.waited_seconds, 2))
        if report.files:
            status = _message("warning", note) if note else _message("ok", "Done.")
        else:
            status = _message("warning", (note + " " if note else "") + (
                f"No read reached Q{float(min_quality):g}, so there is nothing to download; "
                "lower the minimum quality under Advanced settings."))
        yield (
            status,
            _numbers_markdown(numbers),
            quality_figure(report.reads, float(min_quality)),
            window_map_figure(report.reads),
            _table(report.reads),
            report.files or None,
            numbers,
            quality_histogram_figure(report.quality_histogram),
        )

    def cancel_run(request: gr.Request = None):
        job = jobs.get(getattr(request, "session_hash", None))
        if job is not None:
            job.cancel()
        return _message("cancelled", "Cancelled.")

    with gr.Blocks(title="dczoo: correct PacBio HiFi reads", delete_cache=(3600, 3600)) as demo:
        gr.Markdown(INTRO.format(max_zmws=max_zmws, max_mb=max_upload_mb))
        with gr.Row():
            with gr.Column(scale=2, min_width=320):
                subreads_file = gr.File(label="subreads_to_ccs.bam", type="filepath",
                                        elem_id="subreads-file")
                ccs_file = gr.File(label="ccs.bam", type="filepath", elem_id="ccs-file")
                truth_file = gr.File(label="Truth (optional): FASTA or truth_to_ccs.bam", type="filepath",
                                     elem_id="truth-file", height=120)
                examples = gr.Examples(
                    _example_rows(), inputs=[subreads_file, ccs_file, truth_file],
                    label="Bundled example: sim_small, 20 simulated ZMWs with their true sequence (one click runs it)",
                )
                preset = gr.Dropdown(catalog.choices(), value=catalog.default, label="Model preset",
                                     elem_id="preset")
                with gr.Accordion("Advanced settings", open=False, elem_id="advanced"):
                    min_quality = gr.Slider(
                        0, 60, value=DEFAULT_MIN_QUALITY, step=1, label="Minimum read quality (Phred)",
                        elem_id="min-quality",
                        info="Reads whose average predicted quality is lower are not written.")
                    skip_above = gr.Slider(
                        0, MAX_BASE_QUALITY, value=DEFAULT_SKIP_WINDOWS_ABOVE, step=1,
                        label="Keep the draft in windows above (Phred)", elem_id="skip-above",
                        info="Windows whose draft quality is higher skip the model; 0 runs it everywhere.")
                with gr.Row():
                    run_button = gr.Button("Correct", variant="primary", elem_id="run-button")
                    cancel_button = gr.Button("Cancel", variant="stop", elem_id="cancel-button")
            with gr.Column(scale=3, min_width=420):
                status = gr.HTML(elem_id="status")
                numbers_text = gr.Markdown(elem_id="numbers")
                quality_plot = gr.Plot(label="Predicted quality before vs after", show_label=False,
                                       elem_id="quality-plot")
                histogram_plot = gr.Plot(label="Per-base quality histogram", show_label=False,
                                         elem_id="quality-histogram")
                window_plot = gr.Plot(label="Where the model changed bases", show_label=False,
                                      elem_id="window-plot")
        table = gr.Dataframe(label="Per read", elem_id="reads-table", interactive=False, wrap=True)
        downloads = gr.File(label="Corrected FASTQ and BAM", file_count="multiple", elem_id="downloads")
        with gr.Accordion("Run numbers (JSON)", open=False):
            numbers_json = gr.JSON(elem_id="numbers-json")

        inputs = [subreads_file, ccs_file, preset, min_quality, skip_above, truth_file]
        outputs = [status, numbers_text, quality_plot, window_plot, table, downloads, numbers_json,
                   histogram_plot]
        for upload in (subreads_file, ccs_file, truth_file):
            upload.change(check_uploads, [subreads_file, ccs_file, truth_file], status,
                          concurrency_limit=None, api_visibility="private", show_progress="hidden")
        # The progress bar goes on the first plot, so that the status line stays readable.
        run_event = run_button.click(correct_reads, inputs, outputs, api_name="correct",
                                     time_limit=RUN_TIME_LIMIT_S, show_progress_on=quality_plot)
        events = [run_event]
        load_event = getattr(examples, "load_input_event", None)
        if load_event is not None:
            events.append(load_event.then(correct_reads, inputs, outputs, api_visibility="private",
                                          time_limit=RUN_TIME_LIMIT_S, show_progress_on=quality_plot))
        cancel_button.click(cancel_run, None, status, cancels=events, concurrency_limit=None,
                            api_name="cancel")
    demo.queue(default_concurrency_limit=1, max_size=queue_size)
    demo.dczoo_max_upload_mb = max_upload_mb
    demo.dczoo_catalog = catalog
    return demo


CSS = """
.dczoo-error {background:#fdecea;border:1px solid #f5c2c0;color:#8a1c12;padding:10px 12px;border-radius:8px;}
.dczoo-warning {background:#fff7e0;border:1px solid #f3d98b;color:#6b4e00;padding:10px 12px;border-radius:8px;}
.dczoo-ok, .dczoo-busy, .dczoo-cancelled
  {background:#eef6ee;border:1px solid #cfe6cf;padding:10px 12px;border-radius:8px;}
"""


def launch(demo, host=None, port=None, **kwargs):
    """Starts the app with the upload size limit (other args: `gr.Blocks.launch`).

    Args:
        demo: from `build_app`.
        host: str. Default: `GRADIO_SERVER_NAME` (set on Spaces) or 127.0.0.1.
        port: int. Default: `GRADIO_SERVER_PORT` or 7860.

    Returns:
        what `gr.Blocks.launch` returns.
    """
    host = host or os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1")
    port = int(port or os.environ.get("GRADIO_SERVER_PORT", 7860))
    kwargs.setdefault("max_file_size", f"{demo.dczoo_max_upload_mb:g}mb")
    kwargs.setdefault("css", CSS)
    return demo.launch(server_name=host, server_port=port, **kwargs)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=None, help="address to serve on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port (default 7860)")
    parser.add_argument("--verbose", action="store_true",
                        help="keep TensorFlow's and absl's start-up log lines (hidden by default)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    # The first correction imports the Keras backend in a worker thread; its
    # native start-up lines stay hidden for the app's whole life, as in the CLI.
    with quiet_native_logs(enabled=not args.verbose):
        return launch(build_app(), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
