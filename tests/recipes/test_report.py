"""The recipes' report: must-hold checks computed from evaluate.py results."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "recipes"))

import report  # noqa: E402


def _entry(q30, speed=100.0):
    return {"test": {"yield": {"30": q30}}, "windows_per_second": speed}


def _results(student4=190, twin4=150, student4_speed=140.0):
    return {
        "draft": _entry(100),
        "teacher_6layer": _entry(200, speed=100.0),
        "student_4layer": _entry(student4, speed=student4_speed),
        "student_4layer_nodistill": _entry(twin4),
        "student_3layer": _entry(120),
        "student_3layer_nodistill": _entry(130),
    }


def _rows(lines):
    return {line.split(" | ")[0].strip("| "): line for line in lines if line.startswith("| ")}


def test_checks_report_gain_share_speed_and_twins():
    rows = _rows(report.must_hold_lines(_results()))
    assert "+100 bases | yes" in rows["teacher_6layer improves Q30 yield over the draft"]
    assert "190 vs 150 | yes" in rows["student_4layer (distilled) beats student_4layer_nodistill at Q30"]
    # student_3layer loses to its twin: the check must say so.
    assert "120 vs 130 | NO" in rows["student_3layer (distilled) beats student_3layer_nodistill at Q30"]
    assert "90.0% | yes" in rows["student_4layer keeps >= 90% of the teacher's Q30 yield gain"]
    assert "1.40x | yes" in rows["student_4layer >= 1.3x the teacher's windows/s"]


def test_checks_fail_when_student_keeps_too_little_or_is_slow():
    rows = _rows(report.must_hold_lines(_results(student4=180, student4_speed=120.0)))
    assert "80.0% | NO" in rows["student_4layer keeps >= 90% of the teacher's Q30 yield gain"]
    assert "1.20x | NO" in rows["student_4layer >= 1.3x the teacher's windows/s"]


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
