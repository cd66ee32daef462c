"""The recipes' report: must-hold checks computed from evaluate.py results."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "recipes"))

import report  # noqa: E402


def _entry(q30, speed=100.0):
    return {"test": {"yield": {"30": q30}}, "windows_per_second": speed}


def _reads(at_q30, total=20):
    """`measure_reads`-like rows: `at_q30` of `total` 1 kb reads reach empirical Q30."""
    return [{"name": f"m/{k}/ccs", "length": 1000, "truth_length": 1000, "predicted_q": 25.0,
             "identity": 0.9995 if k < at_q30 else 0.998} for k in range(total)]


def _compared(**q30_reads):
    """results with paired comparisons as evaluate.py computes them (draft: no read at Q30)."""
    import evaluate

    rows = {name.replace("teacher", "teacher_6layer"): {"test": _reads(n)} for name, n in q30_reads.items()}
    results = {"sets": {"test": "own test set"}}
    results["comparisons"] = evaluate.model_comparisons(rows, {"test": _reads(0)}, "teacher_6layer", 500)
    return results


def _checks(results):
    return {check: (measured, holds) for check, measured, holds in report.student_check_rows(results)}


def test_share_of_the_teachers_gain_and_twins_from_paired_bootstrap():
    checks = _checks(_compared(teacher=20, student_4layer=19, student_4layer_nodistill=10,
                               student_3layer=8, student_3layer_nodistill=10))
    measured, holds = checks["test: student_4layer keeps >= 95% of teacher_6layer's Q30 yield gain over the draft"]
    assert measured.startswith("95.0%") and holds
    measured, holds = checks["test: student_4layer (distilled) beats student_4layer_nodistill at Q30 yield, "
                             "interval of the difference above 0"]
    assert "19,000 vs 10,000" in measured and "+9,000" in measured and holds
    # student_3layer loses to its twin: the check must say so.
    measured, holds = checks["test: student_3layer (distilled) beats student_3layer_nodistill at Q30 yield, "
                             "interval of the difference above 0"]
    assert "-2,000" in measured and not holds
    assert not checks["test: student_3layer keeps >= 95% of teacher_6layer's Q30 yield gain over the draft"][1]


def test_share_check_fails_below_95_percent_and_the_interval_is_paired():
    results = _compared(teacher=20, student_4layer=18)
    measured, holds = _checks(results)[
        "test: student_4layer keeps >= 95% of teacher_6layer's Q30 yield gain over the draft"]
    assert measured.startswith("90.0%") and not holds
    # the student's Q30 reads are a subset of the teacher's: every resample keeps the share at or below 1
    low, high = results["comparisons"]["student_4layer vs teacher_6layer"]["test"]["gain_share_interval"]
    assert 0.5 < low <= 0.9 <= high <= 1.0
    lines = report.must_hold_lines(results)
    assert any("does not hold" in line for line in lines)


def test_share_of_the_teachers_gain_from_separate_runs_has_no_interval():
    def run(name, q30):
        entry = dict(_entry(q30), handle=name)
        entry["test"]["reads"] = 1000
        return {"draft": _entry(100), name: entry,
                "sets": {"test": "own test set"}}

    merged = report.merge_results([run("teacher_6layer", 300), run("student_4layer", 289)])
    measured, holds = _checks(merged)[
        "test: student_4layer keeps >= 95% of teacher_6layer's Q30 yield gain over the draft"]
    assert measured.startswith("94.5% (gain +189 vs +200") and not holds
    merged = report.merge_results([run("teacher_6layer", 300), run("student_4layer", 291)])
    assert _checks(merged)[
        "test: student_4layer keeps >= 95% of teacher_6layer's Q30 yield gain over the draft"][1]


def test_merge_combines_runs_on_the_same_sets_and_refuses_others(tmp_path, monkeypatch):
    import json

    import pytest

    first = {"draft": _entry(100), "teacher_6layer": dict(_entry(200), handle="runs/teacher_v2")}
    second = {"draft": _entry(100), "teacher_v1": dict(_entry(150), handle="teacher_6layer")}
    merged = report.merge_results([first, second])
    assert report._models(merged) == ["teacher_6layer", "teacher_v1"]
    assert merged["draft"]["test"]["yield"]["30"] == 100
    with pytest.raises(ValueError, match="draft of test"):
        report.merge_results([first, {"draft": _entry(99), "teacher_v1": second["teacher_v1"]}])
    with pytest.raises(ValueError, match="teacher_6layer is in two runs"):
        report.merge_results([first, first])
    folders = []
    for name, part in (("a", first), ("b", second)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "results.json").write_text(json.dumps(part))
        folders.append(str(tmp_path / name))
    reported = []
    monkeypatch.setattr(report, "write_report", lambda data, args: reported.append(data))
    report.main(["--merge", *folders, "--out", str(tmp_path / "both")])
    written = json.loads((tmp_path / "both" / "results.json").read_text())
    assert report._models(written) == ["teacher_6layer", "teacher_v1"]
    assert reported and "report.py --merge" in reported[0]["merged_from"]["command"]


def test_shift_set_where_the_draft_has_no_q30_yield():
    def shift(q30, deletions):
        return {"shift_low_pass": {"yield": {"30": q30}, "per_kb": {"deletions": deletions}}}

    results = {"draft": shift(0, 20.0), "teacher_6layer": shift(15667, 19.0),
               "sets": {"shift_low_pass": "more low-pass ZMWs"}}
    (check, measured, holds), = report.teacher_check_rows(results, "teacher_6layer")
    assert measured.startswith("draft 0 -> 15,667") and holds
    results["teacher_6layer"] = shift(0, 19.0)
    assert not report.teacher_check_rows(results, "teacher_6layer")[0][2]


def test_speed_file_adds_windows_per_second_and_refuses_unknown_models(tmp_path, monkeypatch):
    import json

    import pytest

    results = {"draft": _entry(100), "teacher_6layer": {"test": {"yield": {"30": 200}}},
               "student_3layer": {"test": {"yield": {"30": 190}}}}
    (tmp_path / "results.json").write_text(json.dumps(results))
    speed = tmp_path / "speed.json"
    speed.write_text(json.dumps({"windows_per_second": {"teacher_6layer": 150.0, "student_3layer": 290.5},
                                 "backend": "jax", "cpus": 2}))
    monkeypatch.setattr(report, "write_report", lambda data, args: None)
    report.main(["--out", str(tmp_path), "--speed", str(speed)])
    written = json.loads((tmp_path / "results.json").read_text())
    assert written["student_3layer"]["windows_per_second"] == 290.5
    assert written["teacher_6layer"]["windows_per_second"] == 150.0
    assert written["speed_from"]["backend"] == "jax"
    assert report._models(written) == ["teacher_6layer", "student_3layer"]
    speed.write_text(json.dumps({"windows_per_second": {"student_9layer": 1.0}}))
    with pytest.raises(ValueError, match="not in the results: student_9layer"):
        report.main(["--out", str(tmp_path), "--speed", str(speed)])
